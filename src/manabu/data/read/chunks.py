"""Reading in chunks, for files larger than memory (``manabu predict`` streams them).

Detection runs on the head of the file as ``read`` runs it on the whole, so that a streamed file
is read with the same encoding, delimiter and messages as one read whole.
"""
from __future__ import annotations

import codecs
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from manabu.base.errors import DataError
from manabu.base.i18n import Notice
from manabu.data.read.delimited import detect_sep, first_lines, header_row, unreadable
from manabu.data.read.encoding import decode
from manabu.data.read.entry import URL_PATTERN, read
from manabu.data.read.files import format_of
from manabu.data.read.images import image_positions, resolve_image_paths
from manabu.data.read.source import Source, check_duplicates, check_file, first_line, source_info


# A file larger than memory can still be scored (``manabu predict``): CSV and Parquet stream. A
# CSV file's encoding and delimiter are detected on its first megabyte as ``read`` detects them
# on the whole, then pandas reads it ``chunk_rows`` rows at a time; a Parquet file is read a row
# batch at a time. Other sources (Excel, JSON, SQL) are read whole, as one chunk.

CHUNK_ROWS = 100_000
IMAGE_CHUNK_ROWS = 1_000  # rows of a table of images: 1,000 colour images at 128 px are 200 MB as arrays
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
    if isinstance(source, (str, os.PathLike)) and not options and not URL_PATTERN.match(str(source)):
        path = Path(source).expanduser()
        if path.is_dir():  # a folder of images: one row per file, answered IMAGE_CHUNK_ROWS at a time
            return _in_pieces(read(path))
        check_file(path)
        fmt, _ = format_of(path, path.suffix.lower())
        if fmt == "csv":
            return _csv_chunks(path, chunk_rows)
        if fmt == "parquet":
            return _parquet_chunks(path, chunk_rows)
    return _one_chunk(read(source, **options))


def _image_pieces(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """The frame, in pieces of IMAGE_CHUNK_ROWS rows when it lists images: each row of a piece
    is decoded into an array at once, and 100,000 of them at 128 px would be 19 GB."""
    if not image_positions(frame):
        yield frame
        return
    for start in range(0, len(frame), IMAGE_CHUNK_ROWS):
        yield frame.iloc[start:start + IMAGE_CHUNK_ROWS]


def _in_pieces(frame: pd.DataFrame) -> Chunks:
    """A frame read whole, handed out in pieces (``_image_pieces``), its progress in rows."""
    done = [0]

    def pieces() -> Iterator[pd.DataFrame]:
        for piece in _image_pieces(frame):
            done[0] += len(piece)
            yield piece

    return Chunks(pieces(), len(frame), lambda: done[0], notices=frame.attrs.get("manabu_notices", []))


def _one_chunk(frame: pd.DataFrame) -> Chunks:
    return Chunks(iter([frame]), len(frame), lambda: len(frame), notices=frame.attrs.get("manabu_notices", []))


def _csv_chunks(path: Path, chunk_rows: int) -> Chunks:
    src = Source(str(path), source_info(str(path), "csv"))
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # no line-by-line reading: whole
        return _one_chunk(read(path))
    complete = head if len(head) < HEAD_BYTES else head[:head.rfind(b"\n") + 1] or head
    text = decode(complete, src, None)
    sep = "\t" if path.suffix.lower() in (".tsv", ".tab") else detect_sep(text)
    names = header_row(first_lines(text), sep)
    check_duplicates(names, src.where)
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
                    yield from _image_pieces(resolve_image_paths(frame, path.parent, src.where))
            except (ValueError, pd.errors.ParserWarning) as error:  # ParserError, a decoding error
                raise unreadable(str(path), sep, error) from None

    return Chunks(frames(), total, lambda: total if handle.closed else handle.tell(), "bytes", src.notices)


def _parquet_chunks(path: Path, chunk_rows: int) -> Chunks:
    import pyarrow
    import pyarrow.parquet as parquet

    try:
        file = parquet.ParquetFile(path)
    except (pyarrow.ArrowException, OSError) as error:
        raise DataError("data.corrupt", path=str(path), format="Parquet", reason=first_line(error)) from None
    done = [0]

    def frames() -> Iterator[pd.DataFrame]:
        for batch in file.iter_batches(batch_size=chunk_rows):
            frame = batch.to_pandas()
            frame.columns = _chunk_names(frame.columns)
            frame.attrs["manabu_source"] = source_info(str(path), "parquet")
            done[0] += len(frame)
            yield from _image_pieces(resolve_image_paths(frame, path.parent, str(path)))

    return Chunks(frames(), file.metadata.num_rows, lambda: done[0], "rows")


def _chunk_names(columns: pd.Index) -> list[str]:
    names = [str(c) for c in columns]
    if names and names[0].startswith("\ufeff"):
        names[0] = names[0].removeprefix("\ufeff")
    return names
