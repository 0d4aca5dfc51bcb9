"""What every reader shares: the ``Source`` a table came from, and the checks and words of
messages that every format uses, so that a missing file or a duplicate column reads the same
whichever reader met it.
"""
from __future__ import annotations

import difflib
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manabu.base.errors import DataError
from manabu.base.i18n import Notice


@dataclass
class Source:
    """Where a table came from: how messages name it, what was detected, what to tell."""

    where: str
    info: dict[str, Any]
    notices: list[Notice] = field(default_factory=list)


def source_info(path: str | None, fmt: str, encoding: str | None = None, sep: str | None = None) -> dict[str, Any]:
    return {"path": path, "format": fmt, "encoding": encoding, "sep": sep}


def check_duplicates(names: list[Any], where: str) -> None:
    counts = Counter(str(n) for n in names if n is not None and str(n) != "")
    duplicated = [n for n, k in counts.items() if k > 1]
    if duplicated:
        raise DataError("data.duplicate_columns", path=where, names=preview(duplicated))


def preview(items: list[Any], limit: int = 10) -> str:
    shown = ", ".join(f'"{i}"' for i in items[:limit])
    return shown + (f", … (+{len(items) - limit})" if len(items) > limit else "")


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_file(path: Path) -> None:
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
