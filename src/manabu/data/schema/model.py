"""The ``Schema`` and ``infer_schema``, which builds one from training data.

The schema is what is saved with a model and what data at predict time is checked and prepared
against, so this is the module the rest of manabu talks to; the work is done by the package's
other modules (checks, inference, leakage, prepare).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from manabu.base.errors import SchemaError
from manabu.base.i18n import Notice
from manabu.data.schema.blocks import expression_genes, gene_block_columns
from manabu.data.schema.checks import (
    check_frame, check_time, drop_notice, require_column, where_suffix, with_text_names,
)
from manabu.data.schema.columns import Column, ColumnType, Role
from manabu.data.schema.inference import infer_columns, plain_number
from manabu.data.schema.leakage import flag_leakage
from manabu.data.schema.prepare import PREPARE, column_arrays, prepared_frame, prepared_values, small_values

SMALL_FRAME_ROWS = 512    # prepare reads frames of at most this many rows value by value


@dataclass
class Schema:
    columns: list[Column]
    target: str | None
    notices: list[Notice] = field(default_factory=list)

    @property
    def features(self) -> list[Column]:
        return [c for c in self.columns if c.role is Role.FEATURE]

    @property
    def target_column(self) -> Column | None:
        return next((c for c in self.columns if c.role is Role.TARGET), None)

    @property
    def group(self) -> str | None:
        return next((c.name for c in self.columns if c.role is Role.GROUP), None)

    @property
    def time(self) -> str | None:
        return next((c.name for c in self.columns if c.role is Role.TIME), None)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def of_type(self, *types: ColumnType) -> list[str]:
        """Names of the feature columns of the given types, in data order."""
        return [c.name for c in self.features if c.type in types]

    def in_block(self, block: str) -> list[str]:
        """Names of the feature columns of one matrix (``blocks``: the genes), in data order."""
        return [c.name for c in self.features if c.block == block]

    def prepare(self, df: pd.DataFrame, *, where: str | None = None) -> pd.DataFrame:
        """The feature columns of ``df``, in schema order, typed for the model pipelines.

        NUMERIC and BOOLEAN become float64 (±inf and unreadable values: NaN), CATEGORICAL,
        HIGH_CARDINALITY and TEXT become object columns of ``str`` with ``np.nan``, DATETIME
        becomes naive ``datetime64[ns]`` (UTC). The input frame is left untouched.
        """
        if 0 < len(df) <= SMALL_FRAME_ROWS:
            return prepared_frame(self.features, self.prepare_values(df, where=where), df.index)
        df = with_text_names(df)
        feats = self.features
        self._check_names(list(df.columns), where)
        dtypes = df.dtypes
        plain = [c.name for c in feats if c.type is ColumnType.NUMERIC and plain_number(dtypes[c.name])]
        block = df[plain].to_numpy(dtype=float, na_value=np.nan, copy=True)
        block[np.isinf(block)] = np.nan
        parts = [pd.DataFrame(block, index=df.index, columns=plain)]
        taken = set(plain)
        parts += [PREPARE[c.type](df[c.name], c).rename(c.name).to_frame()
                  for c in feats if c.name not in taken]
        return pd.concat(parts, axis=1)[[c.name for c in feats]]

    def prepare_values(self, df: pd.DataFrame, *, where: str | None = None) -> dict[str, np.ndarray]:
        """``prepare`` as one array per feature, without building a frame: meant for a few rows.

        Values are read one by one (each distinct value converted once, by the same functions
        as ``prepare``), which on one row skips the pandas work per column that dominates a
        single prediction. Columns of dtypes this path does not know take ``prepare``'s way.
        """
        features = self.features
        positions = self._positions(df, where)
        arrays = column_arrays(df)
        out, numbers = {}, {}
        for col, i in zip(features, positions):
            values = arrays[i]
            if col.type is ColumnType.NUMERIC and isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
                numbers[col.name] = values  # numbers as numbers: converted together below
                continue
            prepared = small_values(values, col)
            out[col.name] = prepared if prepared is not None else prepared_values(PREPARE[col.type](df.iloc[:, i], col))
        if numbers:
            block = np.array(list(numbers.values()), dtype=np.float64)
            block[np.isinf(block)] = np.nan
            out.update(zip(numbers, block))
        return {c.name: out[c.name] for c in features}

    def _positions(self, df: pd.DataFrame, where: str | None) -> list[int]:
        """Where each feature is in ``df``, checked once per columns index (the rows taken
        from a frame share its index, which ``Index.is_`` sees through)."""
        columns = df.columns
        cached = self.__dict__.get("_known_columns")
        if cached is not None and cached[0].is_(columns):
            return cached[1]
        names = [str(c) for c in columns]
        self._check_names(names, where)
        first: dict[str, int] = {}
        for i, name in enumerate(names):
            first.setdefault(name, i)
        positions = [first[c.name] for c in self.features]
        self.__dict__["_known_columns"] = (columns, positions)
        return positions

    def _check_names(self, names: list[str], where: str | None) -> None:
        feats = self.features
        present = set(names)
        missing = [c.name for c in feats if c.name not in present]
        if missing:
            raise SchemaError("schema.missing_columns", n=len(missing), where=where_suffix(where),
                              names=", ".join(f'"{m}"' for m in missing))
        duplicated = {name for name, count in Counter(names).items() if count > 1}
        dup = sorted(duplicated & {c.name for c in feats})
        if dup:
            raise SchemaError("schema.duplicate_columns", where=where_suffix(where),
                              names=", ".join(f'"{d}"' for d in dup))

    def to_dict(self) -> dict[str, Any]:
        return {"version": 1, "target": self.target,
                "columns": [c.to_dict() for c in self.columns],
                "notices": [n.to_dict() for n in self.notices]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Schema":
        return cls(columns=[Column.from_dict(c) for c in d["columns"]], target=d.get("target"),
                   notices=[Notice(n["key"], dict(n.get("params", {}))) for n in d.get("notices", [])])


def infer_schema(df: pd.DataFrame, target: str | None, *, group: str | None = None,
                 time: str | None = None, where: str | None = None) -> Schema:
    """Give every column a type and a role; flag IDs, constants and likely leakage.

    ``group`` and ``time`` columns only shape the validation folds and are not features; a time
    column must hold dates (or numbers that order the rows). ``where`` (e.g. the file name) only
    makes error messages point at the data. Notices say what was dropped or reinterpreted.
    """
    df = with_text_names(df)
    check_frame(df, where)
    special = {}
    for key, name, role in (("target", target, Role.TARGET), ("group", group, Role.GROUP),
                            ("time", time, Role.TIME)):
        if name is None:
            continue
        require_column(df, name, f"schema.{key}_missing", where)
        if name in special:
            raise SchemaError("schema.role_conflict", name=name, first=special[name].value,
                              second=role.value)
        special[name] = role
    genes = expression_genes(df, exclude=set(special))
    per_column = infer_columns(df, no_id=set(special), skip=set(genes))
    block = gene_block_columns(df, genes)
    columns = {name: block[name] if name in block else per_column[name][0] for name in df.columns}
    notices = [n for _, found in per_column.values() for n in found]
    for name, col in columns.items():
        col.role = special.get(name, Role.FEATURE)
        if col.role is Role.FEATURE and col.type in (ColumnType.ID, ColumnType.CONSTANT):
            col.role = Role.DROPPED
            notices.append(drop_notice(col))
    if time is not None:
        check_time(df, columns[time])
    if target is not None:
        notices += flag_leakage(df, columns, target)
    schema = Schema(list(columns.values()), target, notices)
    if not schema.features:
        dropped = ", ".join(f"{c.name} ({c.type.value if c.role is Role.DROPPED else c.role.value})"
                            for c in schema.columns if c.role is not Role.TARGET)
        raise SchemaError("schema.no_features", where=where_suffix(where), dropped=dropped or "-")
    return schema
