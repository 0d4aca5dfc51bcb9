"""Excel workbooks: one sheet, with its header row taken by hand.

pandas renames a duplicate header (``a``, ``a.1``) and keeps blank leading rows and columns, which
hide mistakes in hand-made sheets; reading the header ourselves lets them be seen or dropped.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from manabu.base.errors import DataError
from manabu.base.i18n import Notice
from manabu.data.read.source import Source, check_duplicates, first_line, preview


def read_excel(path: Path, sheet: str | int | None, src: Source) -> pd.DataFrame:
    """Read one sheet; the header row is taken by hand so that duplicate names are seen
    (pandas would rename the second ``a`` to ``a.1``)."""
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # openpyxl fails on a damaged zip in many ways (KeyError, BadZipFile …)
        raise DataError("data.corrupt", path=src.where, format="Excel", reason=first_line(exc)) from exc
    with book:
        names = [str(n) for n in book.sheet_names]
        chosen = _pick_sheet(names, sheet, src.where)
        if sheet is None and len(names) > 1:
            src.notices.append(Notice("data.excel_first_sheet", {
                "path": src.where, "count": len(names), "sheets": preview(names), "sheet": chosen}))
        try:
            raw = pd.read_excel(book, sheet_name=chosen, header=None)
        except Exception as exc:
            raise DataError("data.corrupt", path=src.where, format="Excel", reason=first_line(exc)) from exc
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
    check_duplicates(names, where)
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
    raise DataError("data.sheet_not_found", path=where, sheet=str(sheet), sheets=preview(names))


def _cell_name(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
