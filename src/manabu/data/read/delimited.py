"""Delimited text (CSV, TSV and the like): the delimiter, the header, ragged rows.

The delimiter is detected rather than assumed, and a row with more fields than the header is
reported with its line number, since pandas would otherwise drop its extra fields silently.
"""
from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pandas as pd

from manabu.base.errors import DataError
from manabu.data.read.source import Source, check_duplicates, first_line

_DELIMITERS = ",\t;|"


def first_lines(text: str, max_chars: int = 1 << 17, max_lines: int = 50) -> str:
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


def detect_sep(text: str) -> str:
    """The delimiter that splits the sampled rows into the same number of fields as the header,
    and into the most fields; ``csv.Sniffer``'s guess breaks ties. A single column gives ","."""
    sample = first_lines(text)
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


def read_csv(text: str, src: Source, sep: str | None) -> pd.DataFrame:
    sep = sep or detect_sep(text)
    src.info["sep"] = sep
    header = header_row(first_lines(text), sep)
    check_duplicates(header, src.where)
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
        raise unreadable(src.where, sep, exc) from None


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


def header_row(sample: str, sep: str) -> list[str]:
    try:
        return next((row for _, row in _rows(sample, sep) if row), [])
    except (csv.Error, re.error):
        return []


def _ragged(text: str, sep: str, width: int, src: Source) -> DataError:
    """The first row with more fields than the header, found by reading the rows again."""
    line, found = "?", width + 1
    try:
        line, found = next((n, len(row)) for n, row in _rows(text, sep) if len(row) > width)
    except (StopIteration, csv.Error, re.error):
        pass
    return DataError("data.ragged", path=src.where, line=line, expected=width, found=found, sep=_show_sep(sep))


def _show_sep(sep: str) -> str:
    return {"\t": "\\t"}.get(sep, sep)


def unreadable(where: str, sep: str, error: Exception) -> DataError:
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
    if found:
        expected, line, seen = found.groups()
        return DataError("data.ragged", path=where, line=int(line), expected=int(expected), found=int(seen),
                         sep=_show_sep(sep))
    return DataError("data.unreadable", path=where, format="CSV", reason=first_line(error))
