"""The fitted ColumnTransformer of a pipeline, redone with plain numpy and dict look-ups.

Each block of the transformer becomes a small object that turns the prepared columns (the
arrays of ``Schema.prepare_values``) into its slice of the model's input, computing what the
scikit-learn transformer computes, in the same order of floating-point operations where that
order matters. Encoders of categories are not re-derived at all: their fitted transform is
run once, here, on every category they know (plus one missing and one unseen value), and
kept as a table, so the row path looks answers up instead of recomputing them.

Anything not listed here raises ``Unsupported``; the caller then keeps the original pipeline.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (FunctionTransformer, MinMaxScaler, OneHotEncoder, OrdinalEncoder,
                                   StandardScaler, TargetEncoder)

from manabu.features.datetime import PARTS, DatetimeParts
from manabu.features.text import TextEmbedding
from manabu.features.text_words import TextTfidf
from manabu.inference.errors import NotCovered, Unsupported
from manabu.inference.text import TextVectors
from manabu.inference.text_words import TextWords

Values = dict[str, np.ndarray]  # prepared feature columns, as Schema.prepare_values gives them


class Block(Protocol):
    width: int

    def transform(self, values: Values, n_rows: int) -> np.ndarray: ...


@dataclass
class CompiledColumns:
    """The transformer's blocks in output order, each with the float steps that follow it."""

    blocks: list[tuple[Block, list[Any]]]
    widths: list[int]  # of each block's output, after its steps
    key: int = field(init=False)  # shared by preprocessings that compute the same numbers

    def __post_init__(self) -> None:
        self.key = id(self)  # until share_alike finds its equals

    @property
    def width(self) -> int:
        return sum(self.widths)

    def fingerprint(self) -> str:
        """A digest of everything the transform reads: equal digests, equal outputs."""
        digest = hashlib.sha256()
        for block, steps in self.blocks:
            for part in (block, *steps):
                digest.update(type(part).__name__.encode())
                read = part.read_state() if hasattr(part, "read_state") else vars(part)
                for name, value in read.items():
                    digest.update(name.encode())
                    _digest(digest, value)
        return digest.hexdigest()

    def transform(self, values: Values, n_rows: int) -> np.ndarray:
        parts = []
        for block, steps in self.blocks:
            X = block.transform(values, n_rows)
            for step in steps:
                X = step(X)
            parts.append(X)
        # C order, as ColumnTransformer's hstack gives it: a dot product may sum in another
        # order (and round differently) on a Fortran-ordered matrix
        return np.ascontiguousarray(parts[0] if len(parts) == 1 else np.hstack(parts))


def share_alike(columns: list[CompiledColumns]) -> None:
    """Give preprocessings that compute the same numbers one key, so a call computes them once."""
    first: dict[str, int] = {}
    for compiled in columns:
        compiled.key = first.setdefault(compiled.fingerprint(), compiled.key)


def _digest(digest: Any, value: Any) -> None:
    if isinstance(value, np.ndarray):
        digest.update(str((value.dtype, value.shape)).encode())
        digest.update(np.ascontiguousarray(value).tobytes() if value.dtype != object else repr(value.tolist()).encode())
    elif isinstance(value, dict):
        digest.update(repr(sorted(value.items(), key=repr)).encode())
    elif isinstance(value, (list, tuple)):
        digest.update(b"[")
        for item in value:
            _digest(digest, item)
        digest.update(b"]")
    elif callable(value):
        digest.update(str(id(value)).encode())  # a function is alike only to itself
    else:
        digest.update(repr(value).encode())


def compile_columns(transformer: Any) -> CompiledColumns:
    """The row version of a fitted ColumnTransformer, or ``Unsupported``."""
    if not isinstance(transformer, ColumnTransformer) or not hasattr(transformer, "transformers_"):
        raise Unsupported(f"preprocessing {type(transformer).__name__}")
    blocks, widths = [], []
    for name, fitted, cols in transformer.transformers_:
        if isinstance(fitted, str) and fitted == "drop" or _empty(cols):
            continue
        if not all(isinstance(c, str) for c in cols):
            raise Unsupported(f"block {name}: columns not given by name")
        block, steps, block_width = _compile_block(fitted, list(cols))
        blocks.append((block, steps))
        widths.append(block_width)
    if not blocks:
        raise Unsupported("no output columns")
    return CompiledColumns(blocks, widths)


def _identity(step: Any) -> bool:
    """``"passthrough"``, which a fitted ColumnTransformer keeps as FunctionTransformer(None)."""
    if isinstance(step, str):
        return step == "passthrough"
    return isinstance(step, FunctionTransformer) and step.func is None


def _empty(cols: Any) -> bool:
    try:
        return len(cols) == 0
    except TypeError:
        return False


def _compile_block(fitted: Any, cols: list[str]) -> tuple[Block, list[Any], int]:
    """(the block, its float steps, the width of what comes out of the last step)."""
    steps = [step for _, step in fitted.steps] if isinstance(fitted, Pipeline) else [fitted]
    first, rest = steps[0], steps[1:]
    if _identity(first):
        block: Block = Passthrough(cols)
    elif isinstance(first, (SimpleImputer, StandardScaler, MinMaxScaler)):  # numbers straight into float steps
        block, rest = Passthrough(cols), steps
    elif isinstance(first, (OrdinalEncoder, OneHotEncoder, TargetEncoder)):
        block = Lookup.tabulate(first, cols)
    elif isinstance(first, DatetimeParts):
        block = DateParts.of(first, cols)
    elif isinstance(first, TextEmbedding):
        block = TextVectors.of(first, cols)
    elif isinstance(first, TextTfidf):
        block = TextWords.of(first, cols)
    else:
        raise Unsupported(f"transformer {type(first).__name__}")
    compiled = [_compile_step(step) for step in rest if step is not None and not _identity(step)]
    width = block.width
    for step in compiled:
        width = step.width_after(width)
    return block, compiled, width


# ------------------------------------------------------------------------------------- blocks

@dataclass
class Passthrough:
    """Numeric columns as they are (prepare has made them float64, NaN for missing)."""

    columns: list[str]

    @property
    def width(self) -> int:
        return len(self.columns)

    def transform(self, values: Values, n_rows: int) -> np.ndarray:
        arrays = [values[c] for c in self.columns]
        if any(a.dtype != np.float64 for a in arrays):
            raise NotCovered("passthrough of a column that is not numeric")
        return np.array(arrays).T.reshape(n_rows, len(arrays))


@dataclass
class Lookup:
    """Category encoders as tables: each input column's value picks a row of its table.

    All tables are laid end to end in ``flat``; output column c reads
    ``flat[base[c] + row[feature[c]] * step[c]]``, one fancy index for the whole block.
    """

    columns: list[str]
    rows: list[dict[Any, int]]      # per input column: category -> row of its table
    missing_row: list[int]
    unseen_row: list[int]
    flat: np.ndarray
    base: np.ndarray
    feature: np.ndarray
    step: np.ndarray

    @property
    def width(self) -> int:
        return len(self.base)

    @classmethod
    def tabulate(cls, encoder: Any, cols: list[str]) -> "Lookup":
        widths = _encoder_widths(encoder, len(cols))
        known = [[c for c in cats if not _missing(c)] for cats in encoder.categories_]
        unseen = _unseen(known)
        probe_length = max(len(k) for k in known) + 2
        probe = {}
        for name, cats in zip(cols, known):
            column = np.empty(probe_length, dtype=object)
            column[:] = [*cats, np.nan, unseen] + [np.nan] * (probe_length - len(cats) - 2)
            probe[name] = pd.Series(column, dtype=object)
        out = encoder.transform(pd.DataFrame(probe))
        out = np.asarray(out.toarray() if sparse.issparse(out) else out, dtype=np.float64)
        if out.shape != (probe_length, sum(widths)):
            raise Unsupported(f"{type(encoder).__name__} output of unexpected shape")
        tables, rows, missing_row, unseen_row, base, feature, step = [], [], [], [], [], [], []
        offset, start = 0, 0
        for j, (cats, w) in enumerate(zip(known, widths)):
            table = np.ascontiguousarray(out[:len(cats) + 2, start:start + w])
            tables.append(table.ravel())
            rows.append({c: i for i, c in enumerate(cats)})
            missing_row.append(len(cats))
            unseen_row.append(len(cats) + 1)
            base += [offset + k for k in range(w)]
            feature += [j] * w
            step += [w] * w
            offset += table.size
            start += w
        return cls(cols, rows, missing_row, unseen_row, np.concatenate(tables),
                   np.asarray(base, dtype=np.intp), np.asarray(feature, dtype=np.intp),
                   np.asarray(step, dtype=np.intp))

    def transform(self, values: Values, n_rows: int) -> np.ndarray:
        index = np.array([[_row_of(rows, v, missing, unseen) for v in values[name].tolist()]
                          for name, rows, missing, unseen
                          in zip(self.columns, self.rows, self.missing_row, self.unseen_row)],
                         dtype=np.intp).reshape(len(self.columns), n_rows)
        return self.flat[self.base + index[self.feature].T * self.step]


def _row_of(rows: dict[Any, int], value: Any, missing: int, unseen: int) -> int:
    row = rows.get(value)
    if row is not None:
        return row
    return missing if _missing(value) else unseen


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _unseen(known: list[list[Any]]) -> str:
    everything = {c for cats in known for c in cats}
    word = "\x00manabu-unseen"
    while word in everything:
        word += "\x00"
    return word


def _encoder_widths(encoder: Any, n_columns: int) -> list[int]:
    """Output columns per input column, which each encoder lays out column after column."""
    if isinstance(encoder, OrdinalEncoder):
        if getattr(encoder, "infrequent_categories_", None) and any(
                c is not None for c in encoder.infrequent_categories_):
            raise Unsupported("ordinal encoder with infrequent categories")
        return [1] * n_columns
    if isinstance(encoder, TargetEncoder):
        per = len(encoder.classes_) if encoder.target_type_ == "multiclass" else 1
        return [per] * n_columns
    widths = getattr(encoder, "_n_features_outs", None)  # OneHotEncoder: infrequent and drop applied
    if widths is None or len(widths) != n_columns:
        raise Unsupported("one-hot encoder layout")
    return [int(w) for w in widths]


@dataclass
class DateParts:
    """``DatetimeParts``: calendar parts and elapsed days of datetime64[ns] columns."""

    columns: list[str]
    origins: list[float | None]
    parts: list[list[str]]

    @property
    def width(self) -> int:
        return sum(len(p) for p in self.parts)

    @classmethod
    def of(cls, fitted: DatetimeParts, cols: list[str]) -> "DateParts":
        if list(fitted.feature_names_in_) != cols:
            raise Unsupported("datetime parts fitted on other columns")
        if any(p not in PARTS for kept in fitted.parts_ for p in kept):
            raise Unsupported("datetime parts this module does not know")
        return cls(cols, list(fitted.origins_), [list(p) for p in fitted.parts_])

    def transform(self, values: Values, n_rows: int) -> np.ndarray:
        blocks = []
        for name, origin, kept in zip(self.columns, self.origins, self.parts):
            dates = values[name]
            if dates.dtype != np.dtype("datetime64[ns]"):
                raise NotCovered("datetime parts of a column that is not datetime64[ns]")
            parts = _date_parts(dates, origin)
            blocks.extend(parts[p] for p in kept)
        if not blocks:
            return np.empty((n_rows, 0))
        return np.column_stack(blocks)


def _date_parts(dates: np.ndarray, origin: float | None) -> dict[str, np.ndarray]:
    """What ``DatetimeParts`` reads through pandas' ``.dt``, from numpy's calendar units."""
    missing = np.isnat(dates)
    days = dates.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    years = dates.astype("datetime64[Y]")
    ns = dates.astype(np.int64)
    parts = {
        "year": years.astype(np.int64) + 1970,
        "month": months.astype(np.int64) - years.astype("datetime64[M]").astype(np.int64) + 1,
        "day": (days - months.astype("datetime64[D]")).astype(np.int64) + 1,
        "weekday": (days.astype(np.int64) + 3) % 7,  # 1970-01-01 was a Thursday; Monday is 0
        "hour": (dates - days.astype("datetime64[ns]")).astype(np.int64) // 3_600_000_000_000,
    }
    out = {name: np.where(missing, np.nan, value.astype(np.float64)) for name, value in parts.items()}
    seconds = ns.astype(np.float64) / 1e9
    seconds[missing] = np.nan
    out["elapsed_days"] = (seconds - (origin or 0.0)) / 86_400.0
    return out


# -------------------------------------------------------------------------------- float steps

def _compile_step(step: Any) -> Any:
    if isinstance(step, StandardScaler):
        return Scale(step.mean_ if step.with_mean else None, step.scale_ if step.with_std else None)
    if isinstance(step, SimpleImputer):
        return Impute.of(step)
    if isinstance(step, MinMaxScaler):
        return MinMax.of(step)
    raise Unsupported(f"step {type(step).__name__}")


@dataclass
class Scale:
    mean: np.ndarray | None
    scale: np.ndarray | None

    def width_after(self, width: int) -> int:
        return width

    def __call__(self, X: np.ndarray) -> np.ndarray:
        if self.mean is not None:
            X = X - self.mean
        if self.scale is not None:
            X = X / self.scale
        return X


@dataclass
class MinMax:
    """MinMaxScaler (Naive Bayes' numbers): ``X * scale_ + min_``, clipped into the range when
    fitted with ``clip``, in scikit-learn's order."""

    scale: np.ndarray
    low: np.ndarray
    clip: tuple[float, float] | None

    @classmethod
    def of(cls, step: MinMaxScaler) -> "MinMax":
        clip = tuple(float(v) for v in step.feature_range) if step.clip else None
        return cls(np.asarray(step.scale_, dtype=np.float64), np.asarray(step.min_, dtype=np.float64), clip)

    def width_after(self, width: int) -> int:
        return width

    def __call__(self, X: np.ndarray) -> np.ndarray:
        X = X * self.scale
        X += self.low
        if self.clip is not None:
            np.clip(X, self.clip[0], self.clip[1], out=X)
        return X


@dataclass
class Impute:
    """SimpleImputer on NaN: the fitted statistic where a value is missing, then the missing
    indicators of the columns that had missing values in training."""

    statistics: np.ndarray
    indicator: np.ndarray | None

    @classmethod
    def of(cls, step: SimpleImputer) -> "Impute":
        missing = step.missing_values
        if not (isinstance(missing, float) and math.isnan(missing)):
            raise Unsupported("imputer of values other than NaN")
        statistics = np.asarray(step.statistics_, dtype=np.float64)
        if not step.keep_empty_features and np.isnan(statistics).any():
            raise Unsupported("imputer that drops empty columns")
        indicator = None
        if step.add_indicator:
            if step.indicator_.features != "missing-only":
                raise Unsupported("missing indicator of all columns")
            indicator = np.asarray(step.indicator_.features_, dtype=np.intp)
        return cls(statistics, indicator)

    def width_after(self, width: int) -> int:
        return width + (0 if self.indicator is None else len(self.indicator))

    def __call__(self, X: np.ndarray) -> np.ndarray:
        mask = np.isnan(X)
        out = np.where(mask, self.statistics, X)
        if self.indicator is None:
            return out
        return np.hstack([out, mask[:, self.indicator].astype(np.float64)])
