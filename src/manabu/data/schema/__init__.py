"""Schema: what each column is (its type) and what it is for (its role).

Inferred once from the training data, saved with the model, and used at predict time to check and
prepare new data exactly as the training data was prepared. ``prepare`` reads values rather than
trusting dtypes, because the same column often arrives differently at predict time (a CSV turns
ints into floats, dates into text, ``"01"`` into ``1``).

The modules: ``columns`` (the column model), ``model`` (``Schema`` and ``infer_schema``),
``checks`` (whole-frame checks), ``values`` (reading one value), ``inference`` (a type per
column), ``leakage`` and ``prepare``.
"""
from manabu.data.schema.columns import Column, ColumnType, Role
from manabu.data.schema.inference import MAX_CATEGORIES, MIN_ID_ROWS, PARSE_SHARE, SAMPLE_ROWS
from manabu.data.schema.leakage import LEAK_CORRELATION, LEAK_PURITY
from manabu.data.schema.model import Schema, infer_schema
from manabu.data.schema.values import DATETIME_FORMATS, canonical_text, parse_number

__all__ = [
    "DATETIME_FORMATS", "LEAK_CORRELATION", "LEAK_PURITY", "MAX_CATEGORIES", "MIN_ID_ROWS", "PARSE_SHARE",
    "SAMPLE_ROWS", "Column", "ColumnType", "Role", "Schema", "canonical_text", "infer_schema", "parse_number",
]
