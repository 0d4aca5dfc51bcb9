"""Read a table from a file, a database or a data frame, whatever shape the user brings it in.

Every command starts here, so this is where a user's first mistake is met: a wrong path, a
Shift_JIS file, a Parquet file named ``.csv``. Each such case either reads (with a ``Notice``
saying what was guessed) or raises one ``DataError`` that says what is wrong and what to do;
no pandas or pyarrow traceback reaches the user.

The result is a plain ``pandas.DataFrame`` with string column names. What was detected travels in
``df.attrs["manabu_source"]`` (path, format, encoding, sep) and what the user should know in
``df.attrs["manabu_notices"]`` (a list of ``Notice``). Dates are not parsed here: the schema
module decides what a column is.
"""
from __future__ import annotations

import codecs
import csv
import difflib
import io
import json
import os
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pandas as pd

from manabu.base.errors import DataError
from manabu.base.i18n import Notice

# Extension -> format. ".db" and friends are SQLite files, read through the SQL path.
_EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".tab": "csv", ".txt": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".xlsx": "excel", ".xlsm": "excel", ".xls": "xls",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".db": "sqlite", ".sqlite": "sqlite", ".sqlite3": "sqlite",
}
_FORMAT_NAMES = {
    "csv": "CSV", "parquet": "Parquet", "excel": "Excel (.xlsx)", "json": "JSON",
    "jsonl": "JSON lines", "sqlite": "SQLite", "xls": "Excel 97-2003 (.xls)",
}
_SUPPORTED = "CSV, TSV, TXT, Parquet, Excel (.xlsx), JSON, JSON lines, SQLite"
_DELIMITERS = ",\t;|"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_JAPANESE = {"cp932": "Shift_JIS (CP932)", "euc_jp": "EUC-JP"}
_PASSWORD = re.compile(r"(://[^/:@]*:)[^/@]*@")  # user:password@ in a URL that did not parse
_REMOTE = frozenset({"http", "https", "ftp", "s3", "gs", "gcs", "az", "abfs", "hf"})
_SQL_PACKAGES = {"psycopg2": "psycopg2-binary", "psycopg": "psycopg[binary]", "pymysql": "pymysql",
                 "mysqldb": "mysqlclient", "pyodbc": "pyodbc", "oracledb": "oracledb"}


@dataclass
class _Source:
    """Where a table came from: how messages name it, what was detected, what to tell."""

    where: str
    info: dict[str, Any]
    notices: list[Notice] = field(default_factory=list)


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

    ``source`` is a file path (CSV/TSV/TXT, Parquet, Excel .xlsx, JSON, JSON lines, SQLite), a
    SQLAlchemy URL (with ``table=`` or ``query=``), or a pandas or polars frame (copied).
    ``encoding`` and ``sep`` override detection for text files; ``sheet`` picks an Excel sheet.
    """
    if isinstance(source, pd.DataFrame):
        src = _frame_source(source)
        df = source.copy()
    elif _is_polars(source):
        src = _Source("polars." + type(source).__name__, _info(None, "polars"))
        df = _from_polars(source, src)
    elif isinstance(source, str) and _URL.match(source):
        df, src = _read_url(source, table, query, sheet, encoding, sep)
    elif isinstance(source, (str, os.PathLike)):
        df, src = _read_path(Path(source).expanduser(), table, query, sheet, encoding, sep)
    else:
        raise DataError("data.unsupported_source", type=type(source).__name__)
    return _finish(df, src)


def read_csv_bytes(data: bytes, where: str, *, encoding: str | None = None) -> pd.DataFrame:
    """A CSV table sent as bytes (an HTTP request body, say), read as a CSV file would be:
    the encoding and the delimiter detected, one ``DataError`` for what cannot be read."""
    src = _Source(where, _info(None, "csv"))
    return _finish(_read_csv(_decode(data, src, encoding), src, None), src)


def _frame_source(frame: pd.DataFrame) -> _Source:
    """A frame that ``read`` made earlier still names its file and keeps what reading it noticed,
    so that later messages (a missing column, say) can say where the rows came from."""
    earlier = frame.attrs.get("manabu_source")
    if not earlier:
        return _Source("pandas.DataFrame", _info(None, "pandas"))
    return _Source(earlier.get("path") or "pandas.DataFrame", dict(earlier),
                   list(frame.attrs.get("manabu_notices", [])))


def _info(path: str | None, fmt: str, encoding: str | None = None, sep: str | None = None) -> dict[str, Any]:
    return {"path": path, "format": fmt, "encoding": encoding, "sep": sep}


def _finish(df: pd.DataFrame, src: _Source) -> pd.DataFrame:
    """String column names, no duplicates, at least one row; then attach what was detected."""
    names = ["_".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in df.columns]
    if names and names[0].startswith("\ufeff"):
        names[0] = names[0].removeprefix("\ufeff")
    _check_duplicates(names, src.where)
    df.columns = names
    if df.shape[1] == 0:
        raise DataError("data.empty", path=src.where)
    if len(df) == 0:
        raise DataError("data.no_rows", path=src.where, columns=_preview(names))
    df.attrs["manabu_source"] = src.info
    df.attrs["manabu_notices"] = src.notices
    return df


def _check_duplicates(names: list[Any], where: str) -> None:
    counts = Counter(str(n) for n in names if n is not None and str(n) != "")
    duplicated = [n for n, k in counts.items() if k > 1]
    if duplicated:
        raise DataError("data.duplicate_columns", path=where, names=_preview(duplicated))


def _preview(items: list[Any], limit: int = 10) -> str:
    shown = ", ".join(f'"{i}"' for i in items[:limit])
    return shown + (f", … (+{len(items) - limit})" if len(items) > limit else "")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- data frames ---------------------------------------------------------------------------


def _is_polars(obj: Any) -> bool:
    module = type(obj).__module__
    return (module == "polars" or module.startswith("polars.")) and type(obj).__name__ in ("DataFrame", "LazyFrame")


def _from_polars(frame: Any, src: _Source) -> pd.DataFrame:
    try:
        if type(frame).__name__ == "LazyFrame":
            frame = frame.collect()
        return frame.to_pandas()
    except Exception as exc:  # polars raises its own tree; the reason is kept in the message
        raise DataError("data.unreadable", path=src.where, format="polars", reason=_first_line(exc)) from exc


def _read_url(
    url: str, table: str | None, query: str | None, sheet: str | int | None,
    encoding: str | None, sep: str | None,
) -> tuple[pd.DataFrame, _Source]:
    """``file://`` is a path; web and cloud addresses are refused with advice; the rest is SQL."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "file":
        return _read_path(Path(unquote(urlsplit(url).path)), table, query, sheet, encoding, sep)
    if scheme in _REMOTE:
        raise DataError("data.remote_url", url=url)
    return _read_sql(url, table, query)


# --- files ---------------------------------------------------------------------------------


def _read_path(
    path: Path, table: str | None, query: str | None, sheet: str | int | None,
    encoding: str | None, sep: str | None,
) -> tuple[pd.DataFrame, _Source]:
    _check_file(path)
    ext = path.suffix.lower()
    fmt, notice = _format_of(path, ext)
    if fmt == "sqlite":
        df, src = _read_sql("sqlite:///" + str(path.resolve()), table, query, where=str(path))
    else:
        src = _Source(str(path), _info(str(path), fmt))
        if fmt == "parquet":
            df = _read_parquet(path, src)
        elif fmt == "excel":
            df = _read_excel(path, sheet, src)
        else:
            text = _decode(_bytes(path, src), src, encoding)
            if fmt == "csv":
                df = _read_csv(text, src, "\t" if sep is None and ext in (".tsv", ".tab") else sep)
            else:
                df = _read_json(text, src, lines=fmt == "jsonl")
    if notice is not None:
        src.notices.insert(0, notice)
    return df, src


def _bytes(path: Path, src: _Source) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:  # no permission, a file that vanished, a network drive that dropped
        raise DataError("data.unreadable", path=src.where, format=src.info["format"],
                        reason=exc.strerror or _first_line(exc)) from None


def _check_file(path: Path) -> None:
    """A path that exists, is a file and holds something; else say which of these is wrong."""
    if not path.exists():
        parent = path.parent if str(path.parent) else Path(".")
        names = sorted(os.listdir(parent)) if parent.is_dir() else []
        guess = difflib.get_close_matches(path.name, names, n=1, cutoff=0.6)
        if guess:
            raise DataError("data.not_found_guess", path=str(path), guess=str(parent / guess[0]))
        raise DataError("data.not_found", path=str(path), cwd=os.getcwd())
    if path.is_dir():
        raise DataError("data.is_directory", path=str(path))
    if path.stat().st_size == 0:
        raise DataError("data.empty", path=str(path))


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


def _format_of(path: Path, ext: str) -> tuple[str, Notice | None]:
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


def _read_parquet(path: Path, src: _Source) -> pd.DataFrame:
    import pyarrow

    try:
        return pd.read_parquet(path)
    except (pyarrow.ArrowException, OSError, ValueError) as exc:
        raise DataError("data.corrupt", path=src.where, format="Parquet", reason=_first_line(exc)) from exc


def _read_excel(path: Path, sheet: str | int | None, src: _Source) -> pd.DataFrame:
    """Read one sheet; the header row is taken by hand so that duplicate names are seen
    (pandas would rename the second ``a`` to ``a.1``)."""
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # openpyxl fails on a damaged zip in many ways (KeyError, BadZipFile …)
        raise DataError("data.corrupt", path=src.where, format="Excel", reason=_first_line(exc)) from exc
    with book:
        names = [str(n) for n in book.sheet_names]
        chosen = _pick_sheet(names, sheet, src.where)
        if sheet is None and len(names) > 1:
            src.notices.append(Notice("data.excel_first_sheet", {
                "path": src.where, "count": len(names), "sheets": _preview(names), "sheet": chosen}))
        try:
            raw = pd.read_excel(book, sheet_name=chosen, header=None)
        except Exception as exc:
            raise DataError("data.corrupt", path=src.where, format="Excel", reason=_first_line(exc)) from exc
    src.info["sheet"] = chosen
    return _sheet_table(raw, src.where)


def _sheet_table(raw: pd.DataFrame, where: str) -> pd.DataFrame:
    """The first non-blank row as names (blank unnamed columns dropped), the rest as data."""
    raw = raw.loc[raw.notna().any(axis=1).cummax()] if len(raw) else raw  # leading blank rows
    if raw.empty:
        raise DataError("data.empty", path=where)
    header = raw.iloc[0].tolist()
    body = raw.iloc[1:].reset_index(drop=True)
    keep = [not (pd.isna(h) and body.iloc[:, i].isna().all()) for i, h in enumerate(header)]
    body = body.loc[:, keep]
    header = [h for h, k in zip(header, keep) if k]
    names = [f"Unnamed: {i}" if pd.isna(h) else _cell_name(h) for i, h in enumerate(header)]
    _check_duplicates(names, where)
    body.columns = names
    return body.infer_objects()


def _pick_sheet(names: list[str], sheet: str | int | None, where: str) -> str:
    if sheet is None:
        return names[0]
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return names[sheet]
    if isinstance(sheet, str) and sheet in names:
        return sheet
    if isinstance(sheet, str) and sheet.isdigit() and int(sheet) < len(names):  # "1" from a command line
        return names[int(sheet)]
    raise DataError("data.sheet_not_found", path=where, sheet=str(sheet), sheets=_preview(names))


def _cell_name(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- text: encoding, delimiter, CSV, JSON ---------------------------------------------------


def read_text_file(path: str | Path, encoding: str | None = None) -> str:
    """A plain text file's content, its encoding found as a table's is (UTF-8, the Japanese
    encodings, then a guess), with the same messages for a missing, empty or binary file."""
    file = Path(path)
    _check_file(file)
    return _decode(file.read_bytes(), _Source(str(path), {}), encoding)


def _decode(data: bytes, src: _Source, encoding: str | None) -> str:
    """Decode the whole file: the user's encoding, else UTF-8 (with or without BOM), UTF-16 by
    BOM, then the Japanese encodings tried strictly, and charset-normalizer only as a last guess
    (it is unreliable on short Japanese text, so it does not go first)."""
    if encoding is not None:
        return _decode_as(data, src, encoding)
    if data.startswith(codecs.BOM_UTF8):
        return _decode_as(data, src, "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode_as(data, src, "utf-16")
        src.notices.append(Notice("data.encoding_detected", {"path": src.where, "encoding": "UTF-16"}))
        return text
    if not data.strip():
        raise DataError("data.empty", path=src.where)
    if b"\x00" in data[:1024]:
        raise DataError("data.binary", path=src.where)
    try:
        return _decoded(data.decode("utf-8"), src, "utf-8")
    except UnicodeDecodeError:
        pass
    japanese = {}
    for enc in _JAPANESE:
        try:
            japanese[enc] = data.decode(enc)
        except UnicodeDecodeError:
            continue
    if japanese:
        enc = max(japanese, key=lambda e: _japanese_score(japanese[e]))  # ties keep cp932
        src.notices.append(Notice("data.encoding_detected", {"path": src.where, "encoding": _JAPANESE[enc]}))
        return _decoded(japanese[enc], src, enc)
    _refuse_mixed_encodings(data, src)
    return _guess_encoding(data, src)


def _refuse_mixed_encodings(data: bytes, src: _Source) -> None:
    """A file pasted together from a UTF-8 part and a Shift_JIS part (two exports joined) decodes
    as neither: say which lines are which, rather than guess and garble one part."""
    first: dict[str, int] = {}  # encoding: the first line that needs it
    for number, line in enumerate(data.splitlines()[:100_000], start=1):
        if line.isascii():
            continue
        encoding = next((enc for enc in ("utf-8", *_JAPANESE) if _decodes(line, enc)), None)
        if encoding is None:
            return  # a line of neither: not this case
        first.setdefault(encoding, number)
        if "utf-8" in first and len(first) > 1:
            other = next(enc for enc in first if enc != "utf-8")
            raise DataError("data.mixed_encodings", path=src.where, utf8_line=first["utf-8"],
                            line=first[other], encoding=_JAPANESE[other])


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _decode_as(data: bytes, src: _Source, encoding: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise DataError("data.unknown_encoding", encoding=encoding) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError("data.bad_encoding", path=src.where, encoding=encoding, position=exc.start) from None
    return _decoded(text.removeprefix("\ufeff"), src, encoding)


def _decoded(text: str, src: _Source, encoding: str) -> str:
    """Record the encoding, and refuse text that is mostly control characters (binary data)."""
    head = text[:1024]
    controls = sum(1 for c in head if c < " " and c not in "\t\r\n\f")
    if "\x00" in head or controls > len(head) // 10:
        raise DataError("data.binary", path=src.where)
    if not text.strip():
        raise DataError("data.empty", path=src.where)
    src.info["encoding"] = encoding
    return text


def _japanese_score(text: str) -> int:
    """How much ``text`` looks like Japanese, to choose between CP932 and EUC-JP when the bytes
    decode as both. Reading one as the other gives rare kanji, private-use characters, or
    half-width kana in impossible places (a voicing mark after a kanji), which score low."""
    score, prev = 0, " "
    for char in text[:65536]:
        if "\u3040" <= char <= "\u30ff":
            score += 2
        elif char in _EUC_KANA_AS_CP932:
            score -= 3
        elif "\u4e00" <= char <= "\u9fff":
            score += 2 if _common_kanji(char) else -2
        elif "\uff61" <= char <= "\uff9f":
            score += _halfwidth_score(char, prev)
        elif "\ue000" <= char <= "\uf8ff":
            score -= 5
        elif char > "\u00ff" and "\uff61" <= prev <= "\uff9f":
            score -= 3
        prev = char
    return score


# EUC-JP writes a half-width kana as 0x8E and one byte; CP932 reads those two bytes as a kanji.
_EUC_KANA_AS_CP932 = frozenset(bytes([0x8E, b]).decode("cp932") for b in range(0xA1, 0xE0))
_VOICED = frozenset("ｳｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎ")
_AFTER_KANA = frozenset("ｧｨｩｪｫｬｭｮｯｰ")


def _halfwidth_score(char: str, prev: str) -> int:
    if char in "｡｢｣､･" or (prev > "\u00ff" and not "\uff66" <= prev <= "\uff9f"):
        return -3 if char not in "｡｢｣､･" else -2
    if char == "ﾞ":
        return 1 if prev in _VOICED else -3
    if char == "ﾟ":
        return 1 if prev in "ﾊﾋﾌﾍﾎ" else -3
    if char in _AFTER_KANA:
        return 1 if "\uff66" <= prev <= "\uff9d" else -3
    return 1


@cache
def _common_kanji(char: str) -> bool:
    """JIS level 1 (the 2,965 everyday kanji): EUC-JP lead byte 0xB0 to 0xCF."""
    try:
        encoded = char.encode("euc_jp")
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and 0xB0 <= encoded[0] <= 0xCF


def _guess_encoding(data: bytes, src: _Source) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1 << 20]).best()
    if best is None:
        raise DataError("data.binary", path=src.where)
    try:
        text = data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise DataError("data.undecodable", path=src.where) from None
    src.notices.append(Notice("data.encoding_guessed", {"path": src.where, "encoding": best.encoding}))
    return _decoded(text, src, best.encoding)


def _sample(text: str, max_chars: int = 1 << 17, max_lines: int = 50) -> str:
    """The first whole lines of ``text``: at least two, up to ``max_lines`` or ``max_chars``.
    (Found with ``str.find``: wrapping a large text in ``StringIO`` would copy all of it.)"""
    end = 0
    for count in range(1, max_lines + 1):
        newline = text.find("\n", end)
        if newline < 0:
            return text
        end = newline + 1
        if end >= max_chars and count >= 2:
            break
    return text[:end]


def _field_counts(sample: str, sep: str) -> list[int]:
    try:
        rows = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=sep) if r]
    except csv.Error:
        return []
    return rows[:-1] if len(rows) > 2 else rows  # the last line of a sample may be cut


def _detect_sep(text: str) -> str:
    """The delimiter that splits the sampled rows into the same number of fields as the header,
    and into the most fields; ``csv.Sniffer``'s guess breaks ties. A single column gives ","."""
    sample = _sample(text)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    scores = {}
    for sep in _DELIMITERS:
        counts = _field_counts(sample, sep)
        if counts and counts[0] > 1:
            scores[sep] = (sum(c == counts[0] for c in counts) / len(counts), counts[0], sep == sniffed)
    return max(scores, key=scores.__getitem__) if scores else ","


def _read_csv(text: str, src: _Source, sep: str | None) -> pd.DataFrame:
    sep = sep or _detect_sep(text)
    src.info["sep"] = sep
    header = _header(_sample(text), sep)
    _check_duplicates(header, src.where)
    options: dict[str, Any] = {"sep": sep, "index_col": False, "low_memory": False}
    if len(sep) > 1:
        options = {"sep": sep, "index_col": False, "engine": "python"}
    try:
        with warnings.catch_warnings():
            # With index_col=False, pandas drops the extra fields of long rows with only a warning.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(io.StringIO(text), **options)
    except pd.errors.ParserWarning:
        raise _ragged(text, sep, len(header), src) from None
    except pd.errors.EmptyDataError:
        raise DataError("data.empty", path=src.where) from None
    except ValueError as exc:  # pandas' ParserError is a ValueError, as are bad options
        raise _unreadable(src.where, sep, exc) from None


def _rows(text: str, sep: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each row: ``csv`` for one-character delimiters, else split as
    pandas does for longer ones (a regular expression, no quoting)."""
    if len(sep) == 1:
        reader = csv.reader(io.StringIO(text), delimiter=sep)
        for row in reader:
            yield reader.line_num, row
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            yield number, re.split(sep, line) if line else []


def _header(sample: str, sep: str) -> list[str]:
    try:
        return next((row for _, row in _rows(sample, sep) if row), [])
    except (csv.Error, re.error):
        return []


def _ragged(text: str, sep: str, width: int, src: _Source) -> DataError:
    """The first row with more fields than the header, found by reading the rows again."""
    line, found = "?", width + 1
    try:
        line, found = next((n, len(row)) for n, row in _rows(text, sep) if len(row) > width)
    except (StopIteration, csv.Error, re.error):
        pass
    return DataError("data.ragged", path=src.where, line=line, expected=width, found=found, sep=_show_sep(sep))


def _show_sep(sep: str) -> str:
    return {"\t": "\\t"}.get(sep, sep)


def _read_json(text: str, src: _Source, lines: bool) -> pd.DataFrame:
    """JSON lines (one object per line), a JSON array of objects, or an object of columns."""
    src.info["format"] = "jsonl" if lines else "json"
    if not lines:
        try:
            whole = json.loads(text)
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":  # "Extra data" means several documents: JSON lines
                raise DataError("data.bad_json", path=src.where, line=exc.lineno, reason=exc.msg) from None
        else:
            return _json_table(whole, src)
        src.info["format"] = "jsonl"
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError("data.bad_json", path=src.where, line=number, reason=exc.msg) from None
        if not isinstance(record, dict):
            raise DataError("data.json_line_shape", path=src.where, line=number, found=_json_type(record))
        records.append(record)
    return pd.json_normalize(records)


def _json_table(value: Any, src: _Source) -> pd.DataFrame:
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return pd.json_normalize(value)
    if isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values()):
        if len({len(v) for v in value.values()}) == 1:
            return pd.DataFrame(value)
    if isinstance(value, list):
        odd = next(v for v in value if not isinstance(v, dict))
        found = f"array of {_json_type(odd)}"
    else:
        found = _json_type(value)
    raise DataError("data.json_shape", path=src.where, found=found)


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


# --- SQL -----------------------------------------------------------------------------------


def _read_sql(url: str, table: str | None, query: str | None, where: str | None = None) -> tuple[pd.DataFrame, _Source]:
    """A table or a query through SQLAlchemy; the engine is disposed whatever happens."""
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:  # a bad port is a ValueError
        raise DataError("data.sql_bad_url", url=_PASSWORD.sub(r"\1***@", url), reason=_first_line(exc)) from None
    shown = where or parsed.render_as_string(hide_password=True)
    src = _Source(shown, _info(shown, "sql"))
    src.info.update(table=table, query=query)
    if table is not None and query is not None:
        raise DataError("data.sql_table_and_query", url=shown)
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not database.startswith("file:"):
        _check_file(Path(database).expanduser())
    try:
        engine = sa.create_engine(parsed)
    except sa.exc.NoSuchModuleError as exc:  # an unknown dialect: the URL is wrong
        raise DataError("data.sql_bad_url", url=shown, reason=_first_line(exc)) from None
    except ImportError as exc:
        driver = parsed.get_driver_name()
        raise DataError("data.sql_driver", url=shown, driver=driver, reason=_first_line(exc),
                        package=_SQL_PACKAGES.get(driver, driver)) from None
    try:
        with engine.connect() as connection:
            return _sql_frame(connection, table, query, shown), src
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
        root: BaseException = exc
        while root.__cause__ is not None:  # the driver's own error says it best
            root = root.__cause__
        raise DataError("data.sql_failed", url=shown, reason=_first_line(root)) from exc
    finally:
        engine.dispose()


def _sql_frame(connection: Any, table: str | None, query: str | None, shown: str) -> pd.DataFrame:
    import sqlalchemy as sa

    if query is not None:
        return pd.read_sql_query(query, connection)
    inspector = sa.inspect(connection)
    names = inspector.get_table_names() + inspector.get_view_names()
    if table is None:
        raise DataError("data.sql_needs_table", url=shown, tables=_preview(names) or "-")
    schema, _, name = table.rpartition(".") if table not in names and "." in table else ("", "", table)
    if not inspector.has_table(name, schema=schema or None):
        guess = difflib.get_close_matches(table, names, n=1, cutoff=0.6)
        if guess:
            raise DataError("data.sql_no_table_guess", url=shown, table=table, guess=guess[0])
        raise DataError("data.sql_no_table", url=shown, table=table, tables=_preview(names) or "-")
    return pd.read_sql_table(name, connection, schema=schema or None)


# --- in chunks -----------------------------------------------------------------------------
# A file larger than memory can still be scored (``manabu predict``): CSV and Parquet stream. A
# CSV file's encoding and delimiter are detected on its first megabyte as ``read`` detects them
# on the whole, then pandas reads it ``chunk_rows`` rows at a time; a Parquet file is read a row
# batch at a time. Other sources (Excel, JSON, SQL) are read whole, as one chunk.

CHUNK_ROWS = 100_000
HEAD_BYTES = 1 << 20  # what encoding and delimiter are detected on


@dataclass
class Chunks:
    """Iterate over it for the frames; ``done()`` against ``total`` is the progress so far, in
    ``unit`` (bytes read for CSV, rows for the others)."""

    frames: Iterator[pd.DataFrame]
    total: int
    done: Callable[[], int]
    unit: str = "rows"
    notices: list[Notice] = field(default_factory=list)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return self.frames


def read_chunks(source: Any, chunk_rows: int | None = None, **options: Any) -> Chunks:
    """``source`` in chunks of at most ``chunk_rows`` rows (``CHUNK_ROWS``); ``options`` (a SQL
    table or query, an Excel sheet) go to ``read``, which reads such sources whole."""
    chunk_rows = chunk_rows or CHUNK_ROWS
    if isinstance(source, (str, os.PathLike)) and not options and not _URL.match(str(source)):
        path = Path(source).expanduser()
        _check_file(path)
        fmt, _ = _format_of(path, path.suffix.lower())
        if fmt == "csv":
            return _csv_chunks(path, chunk_rows)
        if fmt == "parquet":
            return _parquet_chunks(path, chunk_rows)
    return _one_chunk(read(source, **options))


def _one_chunk(frame: pd.DataFrame) -> Chunks:
    return Chunks(iter([frame]), len(frame), lambda: len(frame), notices=frame.attrs.get("manabu_notices", []))


def _csv_chunks(path: Path, chunk_rows: int) -> Chunks:
    src = _Source(str(path), _info(str(path), "csv"))
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # no line-by-line reading: whole
        return _one_chunk(read(path))
    complete = head if len(head) < HEAD_BYTES else head[:head.rfind(b"\n") + 1] or head
    text = _decode(complete, src, None)
    sep = "\t" if path.suffix.lower() in (".tsv", ".tab") else _detect_sep(text)
    names = _header(_sample(text), sep)
    _check_duplicates(names, src.where)
    encoding = src.info["encoding"]
    handle = path.open("rb")
    total = path.stat().st_size

    def frames() -> Iterator[pd.DataFrame]:
        with handle, warnings.catch_warnings():
            # with index_col=False, pandas drops the extra fields of long rows with only a warning
            warnings.simplefilter("error", pd.errors.ParserWarning)
            try:
                for frame in pd.read_csv(handle, sep=sep, encoding=encoding, chunksize=chunk_rows, index_col=False,
                                         low_memory=False):
                    frame.columns = _chunk_names(frame.columns)
                    frame.attrs["manabu_source"] = {**src.info, "sep": sep}
                    yield frame
            except (ValueError, pd.errors.ParserWarning) as error:  # ParserError, a decoding error
                raise _unreadable(str(path), sep, error) from None

    return Chunks(frames(), total, lambda: total if handle.closed else handle.tell(), "bytes", src.notices)


def _parquet_chunks(path: Path, chunk_rows: int) -> Chunks:
    import pyarrow
    import pyarrow.parquet as parquet

    try:
        file = parquet.ParquetFile(path)
    except (pyarrow.ArrowException, OSError) as error:
        raise DataError("data.corrupt", path=str(path), format="Parquet", reason=_first_line(error)) from None
    done = [0]

    def frames() -> Iterator[pd.DataFrame]:
        for batch in file.iter_batches(batch_size=chunk_rows):
            frame = batch.to_pandas()
            frame.columns = _chunk_names(frame.columns)
            frame.attrs["manabu_source"] = _info(str(path), "parquet")
            done[0] += len(frame)
            yield frame

    return Chunks(frames(), file.metadata.num_rows, lambda: done[0], "rows")


def _chunk_names(columns: pd.Index) -> list[str]:
    names = [str(c) for c in columns]
    if names and names[0].startswith("\ufeff"):
        names[0] = names[0].removeprefix("\ufeff")
    return names


def _unreadable(where: str, sep: str, error: Exception) -> DataError:
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
    if found:
        expected, line, seen = found.groups()
        return DataError("data.ragged", path=where, line=int(line), expected=int(expected), found=int(seen),
                         sep=_show_sep(sep))
    return DataError("data.unreadable", path=where, format="CSV", reason=_first_line(error))
