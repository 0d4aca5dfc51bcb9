"""The ways in: ``read`` for any source, ``read_csv_bytes`` for a request body, ``read_text_file``
for plain text.

This module routes a source to its reader and checks the result once, the same way for every
format, so that each reader need only produce a frame.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pandas as pd

from manabu.base.errors import DataError
from manabu.data.read.delimited import read_csv
from manabu.data.read.encoding import decode
from manabu.data.read.files import read_path
from manabu.data.read.source import Source, check_duplicates, check_file, first_line, preview, source_info
from manabu.data.read.sql import read_sql

URL_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_REMOTE = frozenset({"http", "https", "ftp", "s3", "gs", "gcs", "az", "abfs", "hf"})


def read(
    source: Any,
    *,
    table: str | None = None,
    query: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    sep: str | None = None,
) -> pd.DataFrame:
    """Read ``source`` into a new DataFrame, or raise ``DataError`` saying why it cannot be read.

    ``source`` is a file path (CSV/TSV/TXT, Parquet, Excel .xlsx, JSON, JSON lines, SQLite,
    AnnData .h5ad, SDF; a wide table of genes turned to samples as rows: ``wide``), a 10x folder or a
    folder of images (``images.read_image_folder``), a SQLAlchemy URL (with ``table=`` or
    ``query=``), or a pandas or polars frame (copied). A file's column of image paths comes back
    with the paths made absolute.
    ``encoding`` and ``sep`` override detection for text files; ``sheet`` picks an Excel sheet.
    """
    if isinstance(source, pd.DataFrame):
        src = _frame_source(source)
        df = source.copy()
    elif _is_polars(source):
        src = Source("polars." + type(source).__name__, source_info(None, "polars"))
        df = _from_polars(source, src)
    elif isinstance(source, str) and URL_PATTERN.match(source):
        df, src = _read_url(source, table, query, sheet, encoding, sep)
    elif isinstance(source, (str, os.PathLike)):
        df, src = read_path(Path(source).expanduser(), table, query, sheet, encoding, sep)
    else:
        raise DataError("data.unsupported_source", type=type(source).__name__)
    return _finish(df, src)


def read_csv_bytes(data: bytes, where: str, *, encoding: str | None = None) -> pd.DataFrame:
    """A CSV table sent as bytes (an HTTP request body, say), read as a CSV file would be:
    the encoding and the delimiter detected, one ``DataError`` for what cannot be read."""
    src = Source(where, source_info(None, "csv"))
    return _finish(read_csv(decode(data, src, encoding), src, None), src)


def _frame_source(frame: pd.DataFrame) -> Source:
    """A frame that ``read`` made earlier still names its file and keeps what reading it noticed,
    so that later messages (a missing column, say) can say where the rows came from."""
    earlier = frame.attrs.get("manabu_source")
    if not earlier:
        return Source("pandas.DataFrame", source_info(None, "pandas"))
    return Source(earlier.get("path") or "pandas.DataFrame", dict(earlier),
                  list(frame.attrs.get("manabu_notices", [])))


def _finish(df: pd.DataFrame, src: Source) -> pd.DataFrame:
    """String column names, no duplicates, at least one row; then attach what was detected."""
    names = ["_".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in df.columns]
    if names and names[0].startswith("\ufeff"):
        names[0] = names[0].removeprefix("\ufeff")
    check_duplicates(names, src.where)
    df.columns = names
    if df.shape[1] == 0:
        raise DataError("data.empty", path=src.where)
    if len(df) == 0:
        raise DataError("data.no_rows", path=src.where, columns=preview(names))
    df.attrs["manabu_source"] = src.info
    df.attrs["manabu_notices"] = src.notices
    return df


# --- data frames ---------------------------------------------------------------------------


def _is_polars(obj: Any) -> bool:
    module = type(obj).__module__
    return (module == "polars" or module.startswith("polars.")) and type(obj).__name__ in ("DataFrame", "LazyFrame")


def _from_polars(frame: Any, src: Source) -> pd.DataFrame:
    try:
        if type(frame).__name__ == "LazyFrame":
            frame = frame.collect()
        return frame.to_pandas()
    except Exception as exc:  # polars raises its own tree; the reason is kept in the message
        raise DataError("data.unreadable", path=src.where, format="polars", reason=first_line(exc)) from exc


def _read_url(
    url: str, table: str | None, query: str | None, sheet: str | int | None,
    encoding: str | None, sep: str | None,
) -> tuple[pd.DataFrame, Source]:
    """``file://`` is a path; web and cloud addresses are refused with advice; the rest is SQL."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "file":
        return read_path(Path(unquote(urlsplit(url).path)), table, query, sheet, encoding, sep)
    if scheme in _REMOTE:
        raise DataError("data.remote_url", url=url)
    return read_sql(url, table, query)


def read_text_file(path: str | Path, encoding: str | None = None) -> str:
    """A plain text file's content, its encoding found as a table's is (UTF-8, the Japanese
    encodings, then a guess), with the same messages for a missing, empty or binary file."""
    file = Path(path)
    check_file(file)
    return decode(file.read_bytes(), Source(str(path), {}), encoding)
