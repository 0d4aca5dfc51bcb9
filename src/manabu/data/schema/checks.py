"""Checks of a whole frame, made before any column is looked at.

A frame with no rows, duplicate names or a misspelt target fails here, with a message that names
the data and guesses the column meant, rather than somewhere deep in inference or ``prepare``.
"""
from __future__ import annotations

import difflib

import pandas as pd

from manabu.base.errors import SchemaError
from manabu.base.i18n import Notice
from manabu.data.schema.columns import Column, ColumnType


def with_text_names(df: pd.DataFrame) -> pd.DataFrame:
    """Column names as strings (a header-less read gives 0, 1, 2 ...), the same at fit and predict."""
    if all(isinstance(c, str) for c in df.columns):
        return df
    return df.set_axis([str(c) for c in df.columns], axis=1)


def where_suffix(where: str | None) -> str:
    return f" ({where})" if where else ""


def check_frame(df: pd.DataFrame, where: str | None) -> None:
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise SchemaError("schema.empty", where=where_suffix(where), rows=df.shape[0], columns=df.shape[1])
    dup = df.columns[df.columns.duplicated()].unique().tolist()
    if dup:
        raise SchemaError("schema.duplicate_columns", where=where_suffix(where),
                          names=", ".join(f'"{d}"' for d in dup))


def require_column(df: pd.DataFrame, name: str, key: str, where: str | None) -> None:
    if name in df.columns:
        return
    cols = [str(c) for c in df.columns]
    exact = [c for c in cols if c.casefold() == str(name).casefold()]
    lowered = {c.casefold(): c for c in cols}
    close = [lowered[c] for c in difflib.get_close_matches(str(name).casefold(), list(lowered), n=3)]
    guesses = list(dict.fromkeys(exact + close + difflib.get_close_matches(str(name), cols, n=3)))
    shown = ", ".join(cols[:20]) + (", …" if len(cols) > 20 else "")
    raise SchemaError(key, name=name, where=where_suffix(where), n_columns=len(cols), columns=shown,
                      guess=", ".join(f'"{g}"' for g in guesses[:3]) or "-")


def check_time(df: pd.DataFrame, col: Column) -> None:
    if col.type in (ColumnType.DATETIME, ColumnType.NUMERIC):
        return
    values = df[col.name].dropna()
    example = str(values.iloc[0])[:40] if len(values) else ""
    raise SchemaError("schema.time_not_datetime", name=col.name, example=example)


def drop_notice(col: Column) -> Notice:
    if col.type is ColumnType.ID:
        return Notice("schema.id_dropped", {"name": col.name, "n": col.n_unique})
    if col.n_unique == 0:
        return Notice("schema.all_missing_dropped", {"name": col.name})
    value = (col.categories or ["?"])[0]
    return Notice("schema.constant_dropped", {"name": col.name, "value": str(value)[:40]})
