"""Schema: what each column is (its type) and what it is for (its role).

Inferred once from the training data, saved with the model, and used at predict time to check and
prepare new data exactly as the training data was prepared. ``prepare`` reads values rather than
trusting dtypes, because the same column often arrives differently at predict time (a CSV turns
ints into floats, dates into text, ``"01"`` into ``1``).
"""
from __future__ import annotations

import difflib
import re
import unicodedata
import warnings
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from manabu.data.language import detect_language
from manabu.base.errors import SchemaError
from manabu.base.i18n import Notice

SAMPLE_ROWS = 10_000      # rows sampled for the parsing tests (numbers, dates, text length)
MIN_ID_ROWS = 20          # a frame this small cannot tell an ID from a feature
MAX_CATEGORIES = 255      # LightGBM / HistGradientBoosting categorical limit
PARSE_SHARE = 0.95        # share of values that must parse for text to count as numbers/dates
LEAK_CORRELATION = 0.99
LEAK_PURITY = 0.995
_BLOCK_CELLS = 2_000_000  # numeric columns are inspected in blocks of about this many cells
SMALL_FRAME_ROWS = 512    # prepare reads frames of at most this many rows value by value


class ColumnType(StrEnum):
    NUMERIC = "numeric"
    BOOLEAN = "boolean"
    CATEGORICAL = "categorical"            # low cardinality: one-hot / native categorical
    HIGH_CARDINALITY = "high_cardinality"  # categorical with many levels: target encoding
    DATETIME = "datetime"
    TEXT = "text"
    ID = "id"
    CONSTANT = "constant"


class Role(StrEnum):
    FEATURE = "feature"
    TARGET = "target"
    DROPPED = "dropped"
    GROUP = "group"  # used only to split folds (--group)
    TIME = "time"    # used only to order folds (--time); kept out of the features


@dataclass
class Column:
    name: str
    type: ColumnType
    role: Role
    n_missing: int = 0
    n_unique: int = 0
    categories: list[Any] | None = None   # CATEGORICAL/BOOLEAN: the levels seen in training
    datetime_format: str | None = None    # DATETIME parsed from text: the strptime format
    true_values: list[Any] | None = None  # BOOLEAN from text: the values read as True
    leakage: bool = False                 # equals or nearly equals the target
    false_values: list[Any] | None = None  # BOOLEAN from text: the values read as False
    n_inf: int = 0                        # NUMERIC: ±inf values (prepared as missing)
    language: str | None = None           # TEXT: "ja", "en" or "mixed"
    tokenizer: str | None = None          # TEXT: the word analyser chosen for training (tokenize)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["type"], d["role"] = self.type.value, self.role.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Column":
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in known}
        kwargs["type"], kwargs["role"] = ColumnType(d["type"]), Role(d["role"])
        return cls(**kwargs)


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

    def prepare(self, df: pd.DataFrame, *, where: str | None = None) -> pd.DataFrame:
        """The feature columns of ``df``, in schema order, typed for the model pipelines.

        NUMERIC and BOOLEAN become float64 (±inf and unreadable values: NaN), CATEGORICAL,
        HIGH_CARDINALITY and TEXT become object columns of ``str`` with ``np.nan``, DATETIME
        becomes naive ``datetime64[ns]`` (UTC). The input frame is left untouched.
        """
        if 0 < len(df) <= SMALL_FRAME_ROWS:
            return _prepared_frame(self.features, self.prepare_values(df, where=where), df.index)
        df = _with_text_names(df)
        feats = self.features
        self._check_names(list(df.columns), where)
        dtypes = df.dtypes
        plain = [c.name for c in feats if c.type is ColumnType.NUMERIC and _plain_number(dtypes[c.name])]
        block = df[plain].to_numpy(dtype=float, na_value=np.nan, copy=True)
        block[np.isinf(block)] = np.nan
        parts = [pd.DataFrame(block, index=df.index, columns=plain)]
        taken = set(plain)
        parts += [_PREPARE[c.type](df[c.name], c).rename(c.name).to_frame()
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
        arrays = _column_arrays(df)
        out, numbers = {}, {}
        for col, i in zip(features, positions):
            values = arrays[i]
            if col.type is ColumnType.NUMERIC and isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
                numbers[col.name] = values  # numbers as numbers: converted together below
                continue
            prepared = _small_values(values, col)
            out[col.name] = prepared if prepared is not None else _PREPARE[col.type](df.iloc[:, i], col).to_numpy()
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
            raise SchemaError("schema.missing_columns", n=len(missing), where=_where(where),
                              names=", ".join(f'"{m}"' for m in missing))
        duplicated = {name for name, count in Counter(names).items() if count > 1}
        dup = sorted(duplicated & {c.name for c in feats})
        if dup:
            raise SchemaError("schema.duplicate_columns", where=_where(where),
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
    df = _with_text_names(df)
    _check_frame(df, where)
    special = {}
    for key, name, role in (("target", target, Role.TARGET), ("group", group, Role.GROUP),
                            ("time", time, Role.TIME)):
        if name is None:
            continue
        _require_column(df, name, f"schema.{key}_missing", where)
        if name in special:
            raise SchemaError("schema.role_conflict", name=name, first=special[name].value,
                              second=role.value)
        special[name] = role
    per_column = _infer_columns(df, no_id=set(special))
    columns = {name: col for name, (col, _) in per_column.items()}
    notices = [n for _, found in per_column.values() for n in found]
    for name, col in columns.items():
        col.role = special.get(name, Role.FEATURE)
        if col.role is Role.FEATURE and col.type in (ColumnType.ID, ColumnType.CONSTANT):
            col.role = Role.DROPPED
            notices.append(_drop_notice(col))
    if time is not None:
        _check_time(df, columns[time])
    if target is not None:
        notices += _flag_leakage(df, columns, target)
    schema = Schema(list(columns.values()), target, notices)
    if not schema.features:
        dropped = ", ".join(f"{c.name} ({c.type.value if c.role is Role.DROPPED else c.role.value})"
                            for c in schema.columns if c.role is not Role.TARGET)
        raise SchemaError("schema.no_features", where=_where(where), dropped=dropped or "-")
    return schema


# ---------------------------------------------------------------------------------- frame checks

def _with_text_names(df: pd.DataFrame) -> pd.DataFrame:
    """Column names as strings (a header-less read gives 0, 1, 2 ...), the same at fit and predict."""
    if all(isinstance(c, str) for c in df.columns):
        return df
    return df.set_axis([str(c) for c in df.columns], axis=1)


def _where(where: str | None) -> str:
    return f" ({where})" if where else ""


def _check_frame(df: pd.DataFrame, where: str | None) -> None:
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise SchemaError("schema.empty", where=_where(where), rows=df.shape[0], columns=df.shape[1])
    dup = df.columns[df.columns.duplicated()].unique().tolist()
    if dup:
        raise SchemaError("schema.duplicate_columns", where=_where(where),
                          names=", ".join(f'"{d}"' for d in dup))


def _require_column(df: pd.DataFrame, name: str, key: str, where: str | None) -> None:
    if name in df.columns:
        return
    cols = [str(c) for c in df.columns]
    exact = [c for c in cols if c.casefold() == str(name).casefold()]
    lowered = {c.casefold(): c for c in cols}
    close = [lowered[c] for c in difflib.get_close_matches(str(name).casefold(), list(lowered), n=3)]
    guesses = list(dict.fromkeys(exact + close + difflib.get_close_matches(str(name), cols, n=3)))
    shown = ", ".join(cols[:20]) + (", …" if len(cols) > 20 else "")
    raise SchemaError(key, name=name, where=_where(where), n_columns=len(cols), columns=shown,
                      guess=", ".join(f'"{g}"' for g in guesses[:3]) or "-")


def _check_time(df: pd.DataFrame, col: Column) -> None:
    if col.type in (ColumnType.DATETIME, ColumnType.NUMERIC):
        return
    values = df[col.name].dropna()
    example = str(values.iloc[0])[:40] if len(values) else ""
    raise SchemaError("schema.time_not_datetime", name=col.name, example=example)


def _drop_notice(col: Column) -> Notice:
    if col.type is ColumnType.ID:
        return Notice("schema.id_dropped", {"name": col.name, "n": col.n_unique})
    if col.n_unique == 0:
        return Notice("schema.all_missing_dropped", {"name": col.name})
    value = (col.categories or ["?"])[0]
    return Notice("schema.constant_dropped", {"name": col.name, "value": str(value)[:40]})


# ------------------------------------------------------------------------ values: canonical text

_INT_TEXT = re.compile(r"[+-]?\d+")
_FLOAT_TEXT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


def _float_text(x: float) -> Any:
    if x != x:
        return np.nan
    if x.is_integer() and abs(x) < 2**53:
        return str(int(x))
    return repr(x)


def canonical_text(value: Any) -> Any:
    """One spelling per value, so that 1, 1.0, "1" and "1.0" are the same category at fit and at
    predict time whatever dtype the reader chose; missing values come back as ``np.nan``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return np.nan
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return _float_text(float(value))
    if isinstance(value, str):
        if _INT_TEXT.fullmatch(value):
            return str(int(value))
        if _FLOAT_TEXT.fullmatch(value):
            return _float_text(float(value))
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _canonical_levels(levels: Any) -> list[Any]:
    """``canonical_text`` of each level (no missing among them), fast for numeric levels."""
    kind = getattr(levels.dtype, "kind", "O")
    values = levels.tolist()
    if kind in "iu":
        return [str(v) for v in values]
    if kind == "f":
        return [_float_text(v) for v in values]
    return [canonical_text(v) for v in values]


def _factorize(s: pd.Series) -> tuple[np.ndarray, Any]:
    """``pd.factorize`` that also copes with unhashable cells (lists, dicts) by taking their text."""
    try:
        return pd.factorize(s, use_na_sentinel=True)
    except TypeError:
        return pd.factorize(s.map(lambda v: v if _is_missing(v) else str(v)), use_na_sentinel=True)


def _is_missing(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _per_level(s: pd.Series, convert: Any, missing: Any = np.nan, dtype: Any = object) -> np.ndarray:
    """``convert`` applied once per distinct value of ``s`` and spread back over the rows."""
    codes, levels = _factorize(s)
    table = np.array(convert(levels) + [missing], dtype=dtype)
    return table[codes]


def _canonical(s: pd.Series) -> np.ndarray:
    """Canonical text of every cell (object array, ``np.nan`` for missing)."""
    return _per_level(s, _canonical_levels)


def _norm(text: str) -> str:
    """NFKC-normalised, stripped text: full-width ３．５ becomes 3.5, ２０２４年 becomes 2024年."""
    return unicodedata.normalize("NFKC", text).strip()


def _normalised_levels(levels: Any, limit: int | None = None) -> list[str]:
    """Levels as normalised text for parsing: strings as written, other values canonical.

    ``limit`` cuts long texts first (inference only needs their start: a number or a date is
    short), which keeps a column of whole articles fast.
    """
    if getattr(levels.dtype, "kind", "O") != "O":
        return [_norm(str(v)) for v in _canonical_levels(levels)]
    return [_normalised(v, limit) for v in levels.tolist()]


def _normalised(value: Any, limit: int | None = None) -> str:
    return _norm((value if isinstance(value, str) else str(canonical_text(value)))[:limit])


# ------------------------------------------------------------------------------ numbers in text

_BLANKS = frozenset({"", "nan", "na", "n/a", "null", "none", "-", "--", "?", "#n/a", "nat"})
_FORMATTED = re.compile(r"([+\-−▲△]?)\s*[¥$€£]?\s*"
                        r"(\d{1,3}(?:,\d{3})+(?:\.\d*)?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*円?")
_CODE_ZERO = re.compile(r"0\d")


def parse_number(text: str) -> float:
    """The number in normalised text (thousands commas, ¥/$ signs, 円, ▲ for minus), else NaN."""
    m = _FORMATTED.fullmatch(text)
    if m is not None:
        value = float(m[2].replace(",", ""))
        return value if m[1] in ("", "+") else -value
    if text.casefold().lstrip("+-") in ("inf", "infinity"):
        return float(text)
    return np.nan


# ----------------------------------------------------------------------------------- dates in text

DATETIME_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "ISO8601",
    "%Y/%m/%d", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S",
    "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M",
    "%Y年%m月%d日", "%Y年%m月%d日 %H時%M分", "%Y年%m月%d日 %H時%M分%S秒", "%Y年%m月%d日 %H:%M",
    "%Y.%m.%d", "%Y%m%d", "%Y-%m", "%Y/%m", "%Y年%m月",
)
"""Tried in this order on text columns; the format that reads the most values wins (ties: first)."""

_DATE_LIKE = re.compile(r"\d{4}[-/.年]\d{1,2}|\d{1,2}/\d{1,2}/\d{4}|\d{8}$")
_ISO_WITH_TIME = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*"
_NS_MIN, _NS_MAX = pd.Timestamp.min, pd.Timestamp.max


def _parse_dates(texts: list[str], fmt: str, *, strict: bool = False) -> pd.Series:
    """Naive UTC ``datetime64[ns]`` for normalised texts read with one format; NaT elsewhere.

    ``strict`` (used while guessing) lets ISO8601 claim only values with a time of day, so that
    plain dates are left to the explicit formats tried before it.
    """
    text = pd.Series(texts, dtype="str")
    if fmt == "%Y%m%d":
        text = text.where(text.str.fullmatch(r"\d{8}").fillna(False))
    elif fmt == "ISO8601" and strict:
        text = text.where(text.str.fullmatch(_ISO_WITH_TIME).fillna(False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
    return _to_ns(parsed)


def _to_ns(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    s = s.where((s >= _NS_MIN) & (s <= _NS_MAX))
    return s.astype("datetime64[ns]")


def _best_date_format(texts: list[str], weights: np.ndarray) -> tuple[str | None, np.ndarray]:
    """The format that reads the largest (weighted) share of the texts, and which ones it read."""
    head = texts[:20]
    if sum(bool(_DATE_LIKE.match(v)) for v in head) < len(head) / 2:
        return None, np.zeros(len(texts), dtype=bool)
    best, best_ok, best_share = None, np.zeros(len(texts), dtype=bool), 0.0
    for fmt in DATETIME_FORMATS:
        parsed = _parse_dates(texts, fmt, strict=True)
        ok = parsed.notna().to_numpy().copy()
        if fmt == "%Y%m%d":
            years = parsed.dt.year.to_numpy(dtype=float, na_value=np.nan)
            ok &= (years >= 1800) & (years <= 2200)
        share = float(weights[ok].sum() / weights.sum())
        if share > best_share:
            best, best_ok, best_share = fmt, ok, share
        if share == 1.0:
            break
    return best, best_ok


# ------------------------------------------------------------------------------------ booleans

_TRUE = frozenset({"true", "yes", "y", "t", "1", "はい", "有", "あり"})
_FALSE = frozenset({"false", "no", "n", "f", "0", "いいえ", "無", "なし"})


def _bool_token(value: Any) -> str:
    return _norm(str(canonical_text(value))).casefold()


def _boolean_levels(levels: list[Any]) -> tuple[list[str], list[str]] | None:
    """(true tokens, false tokens) when the levels are one true-like and one false-like word."""
    tokens = sorted({_bool_token(v) for v in levels})
    if len(tokens) != 2:
        return None
    true = [t for t in tokens if t in _TRUE]
    false = [t for t in tokens if t in _FALSE]
    return (true, false) if len(true) == 1 and len(false) == 1 else None


# ---------------------------------------------------------------------------------- name hints

def _id_name(name: str) -> bool:
    n = _norm(name)
    return bool(re.search(r"(?<![A-Za-z])(id|uuid|guid)$|^(id|uuid|guid)[_\W]", n, re.IGNORECASE)
                or re.search(r"[a-z0-9](Id|ID)$", n) or "番号" in n)


def _time_name(name: str) -> bool:
    return bool(re.search(r"year|yr|month|date|time|day|年|月|日付|時刻", _norm(name).casefold()))


def _category_limit(n_rows: int) -> int:
    return min(MAX_CATEGORIES, max(20, int(0.05 * n_rows)))


# ----------------------------------------------------------------------------- numeric columns

@dataclass
class _NumStats:
    n_missing: np.ndarray
    n_inf: np.ndarray
    n_unique: np.ndarray
    integral: np.ndarray
    monotone: np.ndarray
    span: np.ndarray
    first: np.ndarray


def _numeric_stats(x: np.ndarray) -> _NumStats:
    """Per-column counts for a 2-D float block, vectorised so that 10,000 columns stay fast."""
    inf = np.isinf(x)
    f = np.where(inf, np.nan, x)
    s = np.sort(f, axis=0)  # NaN sorts last
    valid = ~np.isnan(s)
    count = valid.sum(axis=0)
    n_unique = valid[0].astype(int) + ((s[1:] != s[:-1]) & valid[1:]).sum(axis=0)
    top = s[np.maximum(count - 1, 0), np.arange(x.shape[1])]
    d = np.diff(f, axis=0)
    with np.errstate(invalid="ignore", over="ignore"):
        integral = np.all(np.isnan(f) | (f == np.round(f)), axis=0)
        monotone = np.all(d > 0, axis=0) | np.all(d < 0, axis=0)
        span = top - s[0] + 1
    return _NumStats(n_missing=np.isnan(x).sum(axis=0), n_inf=inf.sum(axis=0), n_unique=n_unique,
                     integral=integral, monotone=monotone, span=span, first=s[0])


def _numeric_column(name: str, st: _NumStats, i: int, n_rows: int, allow_id: bool
                    ) -> tuple[Column, list[Notice]]:
    n_inf, n_unique = int(st.n_inf[i]), int(st.n_unique[i])
    col = Column(name, ColumnType.NUMERIC, Role.FEATURE, n_missing=int(st.n_missing[i]),
                 n_unique=n_unique, n_inf=n_inf)
    notices = [Notice("schema.inf_values", {"name": name, "n": n_inf})] if n_inf else []
    if n_unique <= 1:
        col.type = ColumnType.CONSTANT
        col.categories = [_float_text(float(st.first[i]))] if n_unique else None
    elif allow_id and _int_id(name, st, i, n_rows):
        col.type = ColumnType.ID
    return col, notices


def _int_id(name: str, st: _NumStats, i: int, n_rows: int) -> bool:
    """All distinct whole numbers that count rows (in order, or nearly 1..n), or named like an ID."""
    if n_rows <= MIN_ID_ROWS or st.n_unique[i] != n_rows or not st.integral[i]:
        return False
    if _id_name(name):
        return True
    return not _time_name(name) and bool(st.monotone[i] or st.span[i] <= 2 * n_rows)


def _plain_number(dtype: Any) -> bool:
    return (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
            and not pd.api.types.is_timedelta64_dtype(dtype))


def _float_matrix(df: pd.DataFrame, names: list[str], convert: Any) -> np.ndarray:
    """Columns as one float block: plain numeric dtypes in one copy, the others by ``convert``."""
    dtypes = df.dtypes
    out = np.empty((len(df), len(names)))
    direct = [j for j, n in enumerate(names) if _plain_number(dtypes[n])]
    if direct:
        out[:, direct] = df[[names[j] for j in direct]].to_numpy(dtype=float, na_value=np.nan)
    for j in sorted(set(range(len(names))) - set(direct)):
        out[:, j] = convert(df[names[j]])
    return out


def _infer_numeric(df: pd.DataFrame, names: list[str], no_id: set[str]
                   ) -> dict[str, tuple[Column, list[Notice]]]:
    out: dict[str, tuple[Column, list[Notice]]] = {}
    step = max(1, _BLOCK_CELLS // max(len(df), 1))
    for start in range(0, len(names), step):
        block = names[start:start + step]
        st = _numeric_stats(_float_matrix(df, block, _prepare_numeric))
        for i, name in enumerate(block):
            out[name] = _numeric_column(name, st, i, len(df), name not in no_id)
    return out


# ----------------------------------------------------------------------- text and object columns

def _level_sample(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values (by code) seen in a sample of up to SAMPLE_ROWS rows, with their counts."""
    valid = codes[codes >= 0]
    if len(valid) > SAMPLE_ROWS:
        valid = np.random.default_rng(0).choice(valid, SAMPLE_ROWS, replace=False)
    pick, counts = np.unique(valid, return_counts=True)
    return pick, counts.astype(float)


def _infer_text(name: str, s: pd.Series, n_rows: int, allow_id: bool) -> tuple[Column, list[Notice]]:
    """Type of a text/object column: constant, boolean, dates, numbers, ID, text or categories."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    codes, levels = _factorize(s)
    col = Column(name, ColumnType.CONSTANT, Role.FEATURE, n_missing=int((codes < 0).sum()),
                 n_unique=len(levels))
    if not len(levels):
        return col, []
    canon = _canonical_levels(levels) if len(levels) <= 1000 else None
    if canon is not None:
        col.categories = sorted(set(canon))
        col.n_unique = len(col.categories)
    if col.n_unique == 1:
        return col, []
    if col.n_unique <= 8 and (tf := _boolean_levels(canon)):
        col.type, (col.true_values, col.false_values) = ColumnType.BOOLEAN, tf
        return col, []
    pick, weights = _level_sample(codes)
    texts = _normalised_levels(levels[pick], limit=256)
    fmt, read = _best_date_format(texts, weights)
    if fmt is not None and weights[read].sum() >= PARSE_SHARE * weights.sum():
        col.type, col.datetime_format, col.categories = ColumnType.DATETIME, fmt, None
        return col, _unparsed("schema.unparsed_dates", name, texts, ~read, weights)
    numbers = _numbers_from_text(name, s, texts, weights, levels[pick], allow_id)
    if numbers is not None:
        return numbers
    col.type = _text_kind(name, texts, weights, col.n_unique, n_rows - col.n_missing, n_rows, allow_id)
    if col.type is not ColumnType.CATEGORICAL:
        col.categories = None
    if col.type is ColumnType.TEXT:
        col.language = detect_language(texts)
    return col, _mixed_notice(name, levels[pick])


def _numbers_from_text(name: str, s: pd.Series, texts: list[str], weights: np.ndarray, levels: Any,
                       allow_id: bool) -> tuple[Column, list[Notice]] | None:
    """A NUMERIC column when at least 95% of the sampled non-blank values read as numbers."""
    if not any(ch.isdigit() for v in texts[:20] for ch in v):
        return None
    values = np.array([parse_number(v) for v in texts])
    counted = np.array([v.casefold() not in _BLANKS for v in texts], dtype=bool)
    read = ~np.isnan(values) & counted
    if weights[read].sum() < PARSE_SHARE * weights[counted].sum() or not read.any():
        return None
    if sum(bool(_CODE_ZERO.match(t)) for t in texts) >= 0.1 * len(texts):
        return None  # "01", "007": codes (prefectures, postcodes), not quantities
    st = _numeric_stats(_prepare_numeric(s)[:, None])
    col, notices = _numeric_column(name, st, 0, len(s), allow_id)
    col.n_missing = int(s.isna().sum())
    if s.dtype == "str" or any(isinstance(v, str) and ok for v, ok in zip(levels, read)):
        shaped = [t for t, v, ok in zip(texts, values, read) if ok and t != canonical_text(v)]
        example = shaped[0] if shaped else texts[int(np.argmax(read))]
        notices.insert(0, Notice("schema.text_numbers", {"name": name, "example": example}))
    return col, notices + _unparsed("schema.unparsed_numbers", name, texts, ~read & counted, weights)


def _unparsed(key: str, name: str, texts: list[str], failed: np.ndarray, weights: np.ndarray
              ) -> list[Notice]:
    if not failed.any():
        return []
    example = texts[int(np.argmax(failed))][:40]
    share = round(float(weights[failed].sum() / weights.sum()), 4)
    return [Notice(key, {"name": name, "example": example, "share": share})]


def _mixed_notice(name: str, levels: Any) -> list[Notice]:
    if getattr(levels.dtype, "kind", "O") != "O" or levels.dtype == "str":
        return []
    kinds = {"number" if isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))
             else "text" if isinstance(v, str) else "other" for v in levels}
    return [Notice("schema.mixed_types", {"name": name})] if len(kinds) > 1 else []


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_SPACE = re.compile(r"\s")


def _text_kind(name: str, texts: list[str], weights: np.ndarray, n_unique: int, n_present: int,
               n_rows: int, allow_id: bool) -> ColumnType:
    """ID (distinct codes), TEXT (long, mostly unique), else CATEGORICAL or HIGH_CARDINALITY."""
    head, w = texts[:1000], weights[:1000] / weights[:1000].sum()
    mean_len = float(np.dot([len(v) for v in head], w))
    spaced = float(np.dot([_SPACE.search(v) is not None for v in head], w))
    cjk = float(np.dot([len(_CJK.findall(v[:200])) for v in head], w))
    kana = float(np.dot([len(_HIRAGANA.findall(v[:200])) for v in head], w))  # grammar: sentences
    if n_unique >= 0.5 * n_present and ((mean_len >= 20 and spaced >= 0.5) or cjk >= 15 or kana >= 5):
        return ColumnType.TEXT
    if (allow_id and n_unique == n_rows == n_present and n_rows > MIN_ID_ROWS
            and _code_shaped(name, texts)):
        return ColumnType.ID
    if n_unique <= _category_limit(n_rows):
        return ColumnType.CATEGORICAL
    return ColumnType.HIGH_CARDINALITY


def _code_shaped(name: str, texts: list[str]) -> bool:
    """Codes such as UUIDs or ``C-00012``: no spaces, short, and one shape of letter/digit runs."""
    if any(_SPACE.search(v) or len(v) > 64 for v in texts):
        return False
    if _id_name(name):
        return True
    shapes = pd.Series([re.sub(r"[A-Za-z0-9]+", "x", v) for v in texts]).value_counts(normalize=True)
    return bool(shapes.iloc[0] >= PARSE_SHARE)


# --------------------------------------------------------------------------------- all columns

def _infer_columns(df: pd.DataFrame, no_id: set[str]) -> dict[str, tuple[Column, list[Notice]]]:
    numeric, found = [], {}
    for name, dtype in df.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype):
            found[name] = (_infer_bool(name, df[name]), [])
        elif pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
            numeric.append(name)
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            found[name] = (_infer_datetime(name, df[name]), [])
        else:
            found[name] = _infer_text(name, df[name], len(df), name not in no_id)
    found.update(_infer_numeric(df, numeric, no_id))
    return {name: found[name] for name in df.columns}


def _infer_bool(name: str, s: pd.Series) -> Column:
    levels = sorted({bool(v) for v in s.dropna()})
    kind = ColumnType.BOOLEAN if len(levels) == 2 else ColumnType.CONSTANT
    return Column(name, kind, Role.FEATURE, n_missing=int(s.isna().sum()), n_unique=len(levels),
                  categories=[str(v) for v in levels], true_values=["true"], false_values=["false"])


def _infer_datetime(name: str, s: pd.Series) -> Column:
    n_unique = int(s.nunique())
    kind = ColumnType.DATETIME if n_unique > 1 else ColumnType.CONSTANT
    first = [str(s.dropna().iloc[0])] if kind is ColumnType.CONSTANT and n_unique else None
    return Column(name, kind, Role.FEATURE, n_missing=int(s.isna().sum()), n_unique=n_unique,
                  categories=first)


# ------------------------------------------------------------------------------------- leakage

def _flag_leakage(df: pd.DataFrame, columns: dict[str, Column], target: str) -> list[Notice]:
    """Flag features that (nearly) equal the target; they stay features, the user decides."""
    tcol = columns[target]
    feats = [c for c in columns.values() if c.role is Role.FEATURE]
    numberish = (ColumnType.NUMERIC, ColumnType.BOOLEAN)
    y_num = _prepare_numeric(df[target]) if tcol.type is ColumnType.NUMERIC else None
    leaks: set[str] = set()
    if y_num is not None:
        leaks |= _correlated(df, [c for c in feats if c.type in numberish], y_num)
    if 2 <= tcol.n_unique <= MAX_CATEGORIES:
        y_codes, _ = pd.factorize(_canonical(df[target]), use_na_sentinel=True)
        few = min(_category_limit(len(df)), max(2, len(df) // 10))
        leaks |= {c.name for c in feats if 2 <= c.n_unique <= few and _pure(df[c.name], y_codes)}
    if y_num is None:  # numeric targets: the correlation already caught copies
        texts = (ColumnType.CATEGORICAL, ColumnType.HIGH_CARDINALITY, ColumnType.TEXT)
        leaks |= {c.name for c in feats if c.name not in leaks and c.type in texts
                  and c.n_unique == tcol.n_unique and _equal(df[c.name], df[target])}
    notices = []
    for c in feats:
        if c.name in leaks:
            c.leakage = True
            notices.append(Notice("schema.leakage", {"name": c.name}))
    return notices


def _correlated(df: pd.DataFrame, cols: list[Column], y: np.ndarray) -> set[str]:
    out: set[str] = set()
    step = max(1, _BLOCK_CELLS // max(len(y), 1))
    for start in range(0, len(cols), step):
        block = cols[start:start + step]
        by_name = {c.name: c for c in block}
        x = _float_matrix(df, list(by_name), lambda s: _PREPARE[by_name[s.name].type](s, by_name[s.name]))
        x[np.isinf(x)] = np.nan
        out |= {c.name for c, r in zip(block, _abs_corr(x, y)) if r >= LEAK_CORRELATION}
    return out


def _abs_corr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|Pearson r| of each column of ``x`` with ``y`` over the rows where both are present."""
    m = ~np.isnan(x) & ~np.isnan(y)[:, None]
    n = m.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mx = np.where(m, x, 0.0).sum(0) / n
        my = np.where(m, y[:, None], 0.0).sum(0) / n
        dx, dy = np.where(m, x - mx, 0.0), np.where(m, y[:, None] - my, 0.0)
        r = (dx * dy).sum(0) / np.sqrt((dx * dx).sum(0) * (dy * dy).sum(0))
    return np.where(n >= 3, np.nan_to_num(np.abs(r)), 0.0)


def _pure(x: pd.Series, y_codes: np.ndarray) -> bool:
    """True when each value of a few-valued feature nearly always goes with one class."""
    x_codes, _ = pd.factorize(_canonical(x), use_na_sentinel=True)
    both = (x_codes >= 0) & (y_codes >= 0)
    xc, yc = x_codes[both], y_codes[both]
    if len(xc) < 10:
        return False
    k = int(yc.max()) + 1
    table = np.bincount(xc * k + yc, minlength=(int(xc.max()) + 1) * k).reshape(-1, k)
    errors = len(xc) - table.max(axis=1).sum()
    baseline = len(xc) - table.sum(axis=0).max()
    return bool(errors <= (1 - LEAK_PURITY) * len(xc) and errors < 0.1 * baseline)


def _equal(x: pd.Series, y: pd.Series) -> bool:
    a, b = _canonical(x), _canonical(y)
    both = pd.notna(a) & pd.notna(b)
    return bool(both.sum() >= 3 and (a[both] == b[both]).mean() >= LEAK_PURITY)


# ------------------------------------------------------------------------------------- prepare

def _numbers_of_levels(levels: Any) -> list[float]:
    return [parse_number(t) for t in _normalised_levels(levels)]


def _number_of(value: Any) -> float:
    """``_numbers_of_levels`` for one value of an object column."""
    return parse_number(_normalised(value))


def _prepare_numeric(s: pd.Series) -> np.ndarray:
    """Floats for any column: numbers as they are, timedeltas in seconds, text parsed; ±inf → NaN."""
    if pd.api.types.is_timedelta64_dtype(s.dtype):
        x = s.dt.total_seconds().to_numpy(dtype=float, na_value=np.nan)
    elif pd.api.types.is_numeric_dtype(s.dtype):  # booleans included
        x = s.to_numpy(dtype=float, na_value=np.nan)
    else:
        x = _per_level(s, _numbers_of_levels, dtype=float)
    x = np.array(x, dtype=float)
    x[np.isinf(x)] = np.nan
    return x


def _as_float(s: pd.Series, col: Column) -> pd.Series:
    return pd.Series(_prepare_numeric(s), index=s.index, dtype="float64")


def _as_boolean(s: pd.Series, col: Column) -> pd.Series:
    """1.0 / 0.0 / NaN: the training words first, then any common true/false word."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(s.to_numpy(dtype=float, na_value=np.nan), index=s.index)
    return pd.Series(_per_level(s, _boolean_reader(col), dtype=float), index=s.index, dtype="float64")


def _boolean_reader(col: Column) -> Any:
    one = _boolean_of(col)

    def read(levels: Any) -> list[float]:
        return [one(v) for v in levels]

    return read


def _boolean_of(col: Column) -> Any:
    """1.0 / 0.0 / NaN for one value: the training words first, then any common one."""
    true, false = set(col.true_values or ()), set(col.false_values or ())

    def one(value: Any) -> float:
        t = _bool_token(value)
        return (1.0 if t in true else 0.0 if t in false else
                1.0 if t in _TRUE else 0.0 if t in _FALSE else np.nan)

    return one


def _as_text(s: pd.Series, col: Column) -> pd.Series:
    return pd.Series(_canonical(s), index=s.index, dtype=object)


def _as_datetime(s: pd.Series, col: Column) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return _to_ns(s)
    read = _date_reader(col.datetime_format or "ISO8601")
    values = _per_level(s, read, missing=_NAT, dtype="datetime64[ns]")
    return pd.Series(values, index=s.index, dtype="datetime64[ns]")


def _date_reader(fmt: str) -> Any:
    def read(levels: Any) -> list[Any]:
        return list(_parse_dates(_normalised_levels(levels), fmt).to_numpy(dtype="datetime64[ns]"))
    return read


_NAT = np.datetime64("NaT", "ns")


_PREPARE = {
    ColumnType.NUMERIC: _as_float,
    ColumnType.BOOLEAN: _as_boolean,
    ColumnType.CATEGORICAL: _as_text,
    ColumnType.HIGH_CARDINALITY: _as_text,
    ColumnType.TEXT: _as_text,
    ColumnType.DATETIME: _as_datetime,
    ColumnType.ID: _as_text,
    ColumnType.CONSTANT: _as_text,
}


# ------------------------------------------------------------------------ prepare, a few rows

_SCALARS = frozenset({str, int, float, bool})  # cell types the small path reads itself
_NS_DTYPE = np.dtype("datetime64[ns]")
_DATE_CACHE: dict[tuple[str, type, Any], Any] = {}
_DATE_CACHE_SIZE = 10_000


def _column_arrays(df: pd.DataFrame) -> list[Any]:
    """Each column's values as pandas keeps them, in column order. Read from pandas' blocks
    (one pass, about a microsecond for the frame) where its ``_iter_column_arrays`` costs
    about a microsecond a column and ``df.iloc[:, i]`` tens; without either (another pandas)
    the columns come as Series, which ``_small_values`` leaves to the general path."""
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


def _small_values(values: Any, col: Column) -> np.ndarray | None:
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
    cells share the first one's result, as ``pd.factorize`` groups them for ``_per_level``.
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


def _prepared_frame(features: list[Column], values: dict[str, np.ndarray], index: pd.Index) -> pd.DataFrame:
    """The frame ``prepare`` returns, from ``prepare_values``: object columns stay object."""
    return pd.DataFrame({c.name: pd.Series(values[c.name], index=index, dtype=values[c.name].dtype, copy=False)
                         for c in features})

