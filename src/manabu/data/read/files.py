"""Files: which format a file really holds, and reading the formats that need no text decoding.
A folder is read as a 10x folder of expression data (``expression``) or a folder of images (``images``).

Users name files carelessly (a Parquet file called ``.csv``, an ``.xls`` from an old export), so
the first bytes are trusted over the extension and a mismatch is told rather than misread.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from manabu.base.errors import DataError
from manabu.base.i18n import Notice
from manabu.data.read.delimited import read_csv
from manabu.data.read.encoding import decode
from manabu.data.read.excel import read_excel
from manabu.data.read.expression import EXPRESSION, read_10x, read_h5ad, tenx_files
from manabu.data.read.images import read_image_folder, resolve_image_paths
from manabu.data.read.json_table import read_json
from manabu.data.read.sdf import read_sdf
from manabu.data.read.source import Source, check_file, first_line, source_info
from manabu.data.read.sql import read_sql
from manabu.data.read.wide import orient_wide_table


# Extension -> format. ".db" and friends are SQLite files, read through the SQL path.
_EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".tab": "csv", ".txt": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".xlsx": "excel", ".xlsm": "excel", ".xls": "xls",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".db": "sqlite", ".sqlite": "sqlite", ".sqlite3": "sqlite",
    ".h5ad": "h5ad", ".sdf": "sdf", ".sdf.gz": "sdf",
}
_FORMAT_NAMES = {
    "csv": "CSV", "parquet": "Parquet", "excel": "Excel (.xlsx)", "json": "JSON",
    "jsonl": "JSON lines", "sqlite": "SQLite", "xls": "Excel 97-2003 (.xls)",
    "h5ad": "AnnData (.h5ad)", "sdf": "SDF",
}
_SUPPORTED = "CSV, TSV, TXT, Parquet, Excel (.xlsx), JSON, JSON lines, SQLite, AnnData (.h5ad), SDF (.sdf, .sdf.gz)"


def read_path(
    path: Path, table: str | None, query: str | None, sheet: str | int | None,
    encoding: str | None, sep: str | None,
) -> tuple[pd.DataFrame, Source]:
    """The table in the file at ``path`` (or the 10x matrix or images in the folder), with its ``Source``;
    a column of image paths comes back with each path made absolute."""
    if path.is_dir():
        if tenx_files(path) is None:
            return read_image_folder(path)
        src = Source(str(path), source_info(str(path), "10x"))
        return read_10x(path, src), src
    check_file(path)
    ext = ".sdf.gz" if path.name.lower().endswith(".sdf.gz") else path.suffix.lower()
    fmt, notice = format_of(path, ext)
    if fmt == "sqlite":
        df, src = read_sql("sqlite:///" + str(path.resolve()), table, query, where=str(path))
    else:
        src = Source(str(path), source_info(str(path), fmt))
        if fmt == "parquet":
            df = orient_wide_table(_read_parquet(path, src), src)
        elif fmt == "h5ad":
            df = read_h5ad(path, src)
        elif fmt == "sdf":
            df = read_sdf(path, src)
        elif fmt == "excel":
            df = read_excel(path, sheet, src)
        else:
            text = decode(_bytes(path, src), src, encoding)
            if fmt == "csv":
                tab = sep is None and ext in (".tsv", ".tab")
                df = orient_wide_table(read_csv(text, src, "\t" if tab else sep), src)
            else:
                df = read_json(text, src, lines=fmt == "jsonl")
    if notice is not None:
        src.notices.insert(0, notice)
    if EXPRESSION in df.attrs:  # thousands of gene columns and no image paths: not looked through
        return df, src
    return resolve_image_paths(df, path.parent, src.where), src


def _bytes(path: Path, src: Source) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:  # no permission, a file that vanished, a network drive that dropped
        raise DataError("data.unreadable", path=src.where, format=src.info["format"],
                        reason=exc.strerror or first_line(exc)) from None


def _sniff_format(path: Path) -> str | None:
    """The format the first bytes prove, whatever the name says; ``None`` for text and unknown."""
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                return "excel" if any(n.startswith("xl/") for n in archive.namelist()) else "zip"
        except zipfile.BadZipFile:
            return "zip"
    return None


def format_of(path: Path, ext: str) -> tuple[str, Notice | None]:
    """The format to read: the content's when it is clearly a supported binary format (with a
    notice if the name says otherwise), else the extension's."""
    named = _EXTENSIONS.get(ext)
    found = _sniff_format(path)
    if found == "xls" or (named == "xls" and found is None):
        raise DataError("data.xls", path=str(path))
    if found in ("parquet", "excel", "sqlite"):
        if named == found:
            return found, None
        return found, Notice("data.format_mismatch", {"path": str(path), "ext": ext or "(none)",
                                                       "real": _FORMAT_NAMES[found]})
    if named is None:
        raise DataError("data.unknown_format", path=str(path), ext=ext or "(none)", formats=_SUPPORTED)
    if named in ("parquet", "excel", "sqlite", "xls"):
        raise DataError("data.wrong_content", path=str(path), format=_FORMAT_NAMES[named])
    if found == "zip":
        raise DataError("data.binary", path=str(path))
    return named, None


def _read_parquet(path: Path, src: Source) -> pd.DataFrame:
    import pyarrow

    try:
        return pd.read_parquet(path)
    except (pyarrow.ArrowException, OSError, ValueError) as exc:
        raise DataError("data.corrupt", path=src.where, format="Parquet", reason=first_line(exc)) from exc
