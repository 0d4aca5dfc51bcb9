"""JSON as a table: JSON lines, an array of records, or an object of columns.

The three shapes people export are told apart from the text itself, and a shape that is not a
table is named in the message rather than left to pandas.
"""
from __future__ import annotations

import json
from typing import Any

import pandas as pd

from manabu.base.errors import DataError
from manabu.data.read.source import Source


def read_json(text: str, src: Source, lines: bool) -> pd.DataFrame:
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


def _json_table(value: Any, src: Source) -> pd.DataFrame:
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
