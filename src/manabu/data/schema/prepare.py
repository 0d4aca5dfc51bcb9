"""Preparing data as the schema says: one conversion per column type, the same at fit and predict.

There are two ways to the same values: one built on pandas for frames, and one that reads a few
rows value by value, because a one-row prediction would otherwise spend most of its time in the
work pandas does for each column.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from manabu.data.gene_matrix import is_gene_matrix
from manabu.data.schema.columns import Column, ColumnType
from manabu.data.schema.values import (
    FALSE_WORDS, TRUE_WORDS, bool_token, canonical, canonical_text, normalised, normalised_levels,
    parse_dates, parse_number, per_level, to_ns,
)


# ------------------------------------------------------------------------------------- prepare

def _numbers_of_levels(levels: Any) -> list[float]:
    return [parse_number(t) for t in normalised_levels(levels)]


def _number_of(value: Any) -> float:
    """``_numbers_of_levels`` for one value of an object column."""
    return parse_number(normalised(value))


def prepare_numeric(s: pd.Series) -> np.ndarray:
    """Floats for any column: numbers as they are, timedeltas in seconds, text parsed; ±inf → NaN."""
    if pd.api.types.is_timedelta64_dtype(s.dtype):
        x = s.dt.total_seconds().to_numpy(dtype=float, na_value=np.nan)
    elif pd.api.types.is_numeric_dtype(s.dtype):  # booleans included
        x = s.to_numpy(dtype=float, na_value=np.nan)
    else:
        x = per_level(s, _numbers_of_levels, dtype=float)
    x = np.array(x, dtype=float)
    x[np.isinf(x)] = np.nan
    return x


def _as_float(s: pd.Series, col: Column) -> pd.Series:
    if is_gene_matrix(s.dtype):  # a sparse matrix of genes: prepared as a whole (``features.expression``)
        return s
    return pd.Series(prepare_numeric(s), index=s.index, dtype="float64")


def _as_boolean(s: pd.Series, col: Column) -> pd.Series:
    """1.0 / 0.0 / NaN: the training words first, then any common true/false word."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(s.to_numpy(dtype=float, na_value=np.nan), index=s.index)
    return pd.Series(per_level(s, _boolean_reader(col), dtype=float), index=s.index, dtype="float64")


def _boolean_reader(col: Column) -> Any:
    one = _boolean_of(col)

    def read(levels: Any) -> list[float]:
        return [one(v) for v in levels]

    return read


def _boolean_of(col: Column) -> Any:
    """1.0 / 0.0 / NaN for one value: the training words first, then any common one."""
    true, false = set(col.true_values or ()), set(col.false_values or ())

    def one(value: Any) -> float:
        t = bool_token(value)
        return (1.0 if t in true else 0.0 if t in false else
                1.0 if t in TRUE_WORDS else 0.0 if t in FALSE_WORDS else np.nan)

    return one


def _as_text(s: pd.Series, col: Column) -> pd.Series:
    return pd.Series(canonical(s), index=s.index, dtype=object)


def _image_cells(values: list[Any]) -> list[Any]:
    """Image paths exactly as written (a file name is not normalised like text), the bytes of an
    image sent to the server as they are, and NaN where missing."""
    return [value if isinstance(value, bytes) else np.nan if _missing(value) else str(value) for value in values]


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _as_datetime(s: pd.Series, col: Column) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return to_ns(s)
    read = _date_reader(col.datetime_format or "ISO8601")
    values = per_level(s, read, missing=_NAT, dtype="datetime64[ns]")
    return pd.Series(values, index=s.index, dtype="datetime64[ns]")


def _date_reader(fmt: str) -> Any:
    def read(levels: Any) -> list[Any]:
        return list(parse_dates(normalised_levels(levels), fmt).to_numpy(dtype="datetime64[ns]"))
    return read


_NAT = np.datetime64("NaT", "ns")


PREPARE = {
    ColumnType.NUMERIC: _as_float,
    ColumnType.BOOLEAN: _as_boolean,
    ColumnType.CATEGORICAL: _as_text,
    ColumnType.HIGH_CARDINALITY: _as_text,
    ColumnType.TEXT: _as_text,
    ColumnType.DATETIME: _as_datetime,
    ColumnType.ID: _as_text,
    ColumnType.CONSTANT: _as_text,
    ColumnType.IMAGE: lambda s, col: pd.Series(_image_cells(s.tolist()), index=s.index, dtype=object),
    ColumnType.SMILES: _as_text,
}


# ------------------------------------------------------------------------ prepare, a few rows

_SCALARS = frozenset({str, int, float, bool})  # cell types the small path reads itself
_NS_DTYPE = np.dtype("datetime64[ns]")
_DATE_CACHE: dict[tuple[str, type, Any], Any] = {}
_DATE_CACHE_SIZE = 10_000


def column_arrays(df: pd.DataFrame) -> list[Any]:
    """Each column's values as pandas keeps them, in column order. Read from pandas' blocks
    (one pass, about a microsecond for the frame) where its ``_iter_column_arrays`` costs
    about a microsecond a column and ``df.iloc[:, i]`` tens; without either (another pandas)
    the columns come as Series, which ``small_values`` leaves to the general path."""
    blocks = getattr(getattr(df, "_mgr", None), "blocks", None)
    if blocks is not None:
        arrays = _block_arrays(blocks, df.shape[1])
        if arrays is not None:
            return arrays
    iterate = getattr(df, "_iter_column_arrays", None)
    if iterate is None:
        return [df.iloc[:, i] for i in range(df.shape[1])]
    return list(iterate())


def _block_arrays(blocks: Any, n_columns: int) -> list[Any] | None:
    """What ``_iter_column_arrays`` gives, block by block: a two-dimensional block holds a
    column per row, a one-dimensional one (an extension array) is one column. None where the
    blocks are not laid out so."""
    arrays: list[Any] = [None] * n_columns
    try:
        for block in blocks:
            values, places = block.values, block.mgr_locs.as_array
            if values.ndim == 2:
                for k, place in enumerate(places.tolist()):
                    arrays[place] = values[k]
            elif len(places) == 1:
                arrays[int(places[0])] = values
            else:
                return None
    except (AttributeError, IndexError, TypeError):
        return None
    return None if any(a is None for a in arrays) else arrays


def small_values(values: Any, col: Column) -> np.ndarray | None:
    """One prepared column read value by value, or None where the dtype is not one it knows
    (nullable numbers, categoricals, time zones, periods ...)."""
    if isinstance(values.dtype, np.dtype) and not isinstance(values, np.ndarray):
        values = np.asarray(values)  # pandas keeps naive datetimes in a DatetimeArray
    if isinstance(values, np.ndarray):
        kind = values.dtype.kind
    elif isinstance(values.dtype, pd.StringDtype):
        kind = "O"
    else:
        return None
    return _SMALL[col.type](values, kind, col)


def _small_number(values: Any, kind: str, col: Column) -> np.ndarray | None:
    if kind in "biuf":
        x = values.astype(np.float64)
    elif kind == "O":
        read = _by_value(_cells(values), _number_of, np.nan)
        if read is None:
            return None
        x = np.array(read, dtype=np.float64)
    else:
        return None
    x[np.isinf(x)] = np.nan
    return x


def _small_boolean(values: Any, kind: str, col: Column) -> np.ndarray | None:
    if kind == "b":
        return values.astype(np.float64)
    if kind not in "iufO":
        return None
    read = _by_value(_cells(values), _boolean_of(col), np.nan)
    return None if read is None else np.array(read, dtype=np.float64)


def _small_text(values: Any, kind: str, col: Column) -> np.ndarray | None:
    if kind not in "biufO":
        return None
    read = _by_value(_cells(values), _remembered_text, np.nan)
    return None if read is None else _object_array(read)


_TEXT_CACHE: dict[str, Any] = {}
_TEXT_CACHE_SIZE = 10_000


def _remembered_text(value: Any) -> Any:
    """``canonical_text``, remembered for text: the same categories come back call after call,
    and two pattern matches per cell are a fair part of a one-row prediction."""
    if type(value) is not str:
        return canonical_text(value)
    known = _TEXT_CACHE.get(value)
    if known is None:
        if len(_TEXT_CACHE) >= _TEXT_CACHE_SIZE:
            _TEXT_CACHE.clear()
        known = _TEXT_CACHE[value] = canonical_text(value)
    return known


def _small_datetime(values: Any, kind: str, col: Column) -> np.ndarray | None:
    if values.dtype == _NS_DTYPE:
        return values.copy()
    if kind != "O":
        return None
    return _dates(_cells(values), col.datetime_format or "ISO8601")


_SMALL = {
    ColumnType.NUMERIC: _small_number,
    ColumnType.BOOLEAN: _small_boolean,
    ColumnType.DATETIME: _small_datetime,
    ColumnType.CATEGORICAL: _small_text,
    ColumnType.HIGH_CARDINALITY: _small_text,
    ColumnType.TEXT: _small_text,
    ColumnType.ID: _small_text,
    ColumnType.CONSTANT: _small_text,
    ColumnType.IMAGE: lambda values, kind, col: _object_array(_image_cells(_cells(values))),
    ColumnType.SMILES: _small_text,
}


def _cells(values: Any) -> list[Any]:
    """The cells as Python values; Arrow-backed text through Arrow, much faster than pandas'."""
    if not isinstance(values, np.ndarray) and values.dtype.storage == "pyarrow":
        return values.__arrow_array__().to_pylist()
    return values.tolist()


def _missing_cell(value: Any) -> bool:
    return value is None or value is pd.NA or (type(value) is float and value != value)


def _by_value(cells: list[Any], convert: Any, missing: Any) -> list[Any] | None:
    """``convert`` once per distinct cell, spread back, missing cells as ``missing``: equal
    cells share the first one's result, as ``pd.factorize`` groups them for ``per_level``.
    None when a cell is not a plain str/int/float/bool."""
    if len(cells) == 1:  # one row: nothing to share
        value = cells[0]
        if _missing_cell(value):
            return [missing]
        return [convert(value)] if type(value) in _SCALARS else None
    first: dict[Any, Any] = {}
    out = []
    for value in cells:
        if _missing_cell(value):
            out.append(missing)
            continue
        if type(value) not in _SCALARS:
            return None
        if value not in first:
            first[value] = convert(value)
        out.append(first[value])
    return out


def _object_array(items: list[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _dates(cells: list[Any], fmt: str) -> np.ndarray | None:
    """Dates read from text, each distinct text parsed once by ``_date_reader`` and
    remembered: parsing costs a pandas call, and the same dates come back again and again."""
    found: dict[Any, Any] = {}

    def remember(value: Any) -> Any:
        key = (fmt, type(value), value)
        found[key] = _DATE_CACHE.get(key)
        return key

    keys = _by_value(cells, remember, None)
    if keys is None:
        return None
    todo = [key for key, when in found.items() if when is None]
    if todo:
        parsed = _date_reader(fmt)(_object_array([value for _, _, value in todo]))
        if len(_DATE_CACHE) + len(todo) > _DATE_CACHE_SIZE:
            _DATE_CACHE.clear()
        for key, when in zip(todo, parsed):
            found[key] = _DATE_CACHE[key] = when
    return np.array([_NAT if key is None else found[key] for key in keys], dtype="datetime64[ns]")


def prepared_values(series: pd.Series) -> Any:
    """A prepared column's values as ``prepared_frame`` takes them: a gene matrix stays one."""
    return series.array if is_gene_matrix(series.dtype) else series.to_numpy()


def prepared_frame(features: list[Column], values: dict[str, np.ndarray], index: pd.Index) -> pd.DataFrame:
    """The frame ``prepare`` returns, from ``prepare_values``: object columns stay object."""
    return pd.DataFrame({c.name: pd.Series(values[c.name], index=index, dtype=values[c.name].dtype, copy=False)
                         for c in features})
