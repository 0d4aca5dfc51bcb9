"""Column inference: a type for every column, read from its values rather than its dtype.

Readers choose dtypes badly for this purpose (numbers arrive as text, IDs as integers, dates as
strings), so values are sampled and parsed. It runs on wide and long frames, hence the blocks of
numeric columns handled together and the samples of text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from manabu.base.i18n import Notice
from manabu.data.language import detect_language
from manabu.data.molecules import PARSE_SHARE as SMILES_PARSE_SHARE, parsed_share, rdkit_available, unreadable, \
    written_like_smiles
from manabu.data.read.images import all_image_names
from manabu.data.schema.columns import Column, ColumnType, Role
from manabu.data.schema.prepare import prepare_numeric
from manabu.data.schema.values import (
    best_date_format, boolean_levels, canonical_levels, canonical_text, factorize, float_text, norm_text,
    normalised_levels, parse_number,
)

SAMPLE_ROWS = 10_000      # rows sampled for the parsing tests (numbers, dates, text length)
MIN_ID_ROWS = 20          # a frame this small cannot tell an ID from a feature
MAX_CATEGORIES = 255      # LightGBM / HistGradientBoosting categorical limit
PARSE_SHARE = 0.95        # share of values that must parse for text to count as numbers/dates
BLOCK_CELLS = 2_000_000   # numeric columns are inspected in blocks of about this many cells

_BLANKS = frozenset({"", "nan", "na", "n/a", "null", "none", "-", "--", "?", "#n/a", "nat"})
_CODE_ZERO = re.compile(r"0\d")


# ---------------------------------------------------------------------------------- name hints

def _id_name(name: str) -> bool:
    n = norm_text(name)
    return bool(re.search(r"(?<![A-Za-z])(id|uuid|guid)$|^(id|uuid|guid)[_\W]", n, re.IGNORECASE)
                or re.search(r"[a-z0-9](Id|ID)$", n) or "番号" in n)


def _time_name(name: str) -> bool:
    return bool(re.search(r"year|yr|month|date|time|day|年|月|日付|時刻", norm_text(name).casefold()))


def category_limit(n_rows: int) -> int:
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
        col.categories = [float_text(float(st.first[i]))] if n_unique else None
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


def plain_number(dtype: Any) -> bool:
    return (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
            and not pd.api.types.is_timedelta64_dtype(dtype))


def float_matrix(df: pd.DataFrame, names: list[str], convert: Any) -> np.ndarray:
    """Columns as one float block: plain numeric dtypes in one copy, the others by ``convert``."""
    dtypes = df.dtypes
    out = np.empty((len(df), len(names)))
    direct = [j for j, n in enumerate(names) if plain_number(dtypes[n])]
    if direct:
        out[:, direct] = df[[names[j] for j in direct]].to_numpy(dtype=float, na_value=np.nan)
    for j in sorted(set(range(len(names))) - set(direct)):
        out[:, j] = convert(df[names[j]])
    return out


def _infer_numeric(df: pd.DataFrame, names: list[str], no_id: set[str]
                   ) -> dict[str, tuple[Column, list[Notice]]]:
    out: dict[str, tuple[Column, list[Notice]]] = {}
    step = max(1, BLOCK_CELLS // max(len(df), 1))
    for start in range(0, len(names), step):
        block = names[start:start + step]
        st = _numeric_stats(float_matrix(df, block, prepare_numeric))
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
    """Type of a text/object column: images, constant, boolean, dates, numbers, ID, text or categories."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    codes, levels = factorize(s)
    col = Column(name, ColumnType.CONSTANT, Role.FEATURE, n_missing=int((codes < 0).sum()),
                 n_unique=len(levels))
    if not len(levels):
        return col, []
    if all_image_names(levels):  # before constants, IDs and text: image paths are all distinct text
        col.type = ColumnType.IMAGE
        return col, []
    canon = canonical_levels(levels) if len(levels) <= 1000 else None
    if canon is not None:
        col.categories = sorted(set(canon))
        col.n_unique = len(col.categories)
    if col.n_unique == 1:
        return col, []
    if col.n_unique <= 8 and (tf := boolean_levels(canon)):
        col.type, (col.true_values, col.false_values) = ColumnType.BOOLEAN, tf
        return col, []
    pick, weights = _level_sample(codes)
    texts = normalised_levels(levels[pick], limit=256)
    if written_like_smiles(texts):  # before dates and numbers: "C1CC1" is neither
        molecules = _smiles_column(col, texts, levels)
        if molecules is not None:
            return molecules
    fmt, read = best_date_format(texts, weights)
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


def _smiles_column(col: Column, texts: list[str], levels: Any) -> tuple[Column, list[Notice]] | None:
    """A SMILES column when RDKit reads most of the sampled values, with one notice naming the
    values it cannot read (all of them counted). Without RDKit the characters decide, and
    training asks for the ``chem`` extra (a column of molecules is no use as categories)."""
    if not rdkit_available():
        col.type, col.categories = ColumnType.SMILES, None
        return col, []
    if parsed_share(texts) < SMILES_PARSE_SHARE:
        return None
    col.type, col.categories = ColumnType.SMILES, None
    bad = unreadable([v for v in levels.tolist() if isinstance(v, str)])
    if not bad:
        return col, []
    return col, [Notice("molecules.unreadable_smiles", {"name": col.name, "n": len(bad),
                                                     "examples": ", ".join(b[:40] for b in bad[:3])})]


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
    st = _numeric_stats(prepare_numeric(s)[:, None])
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
    if n_unique <= category_limit(n_rows):
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

def infer_columns(df: pd.DataFrame, no_id: set[str], skip: set[str] = frozenset()
                  ) -> dict[str, tuple[Column, list[Notice]]]:
    """A column and its notices for every column of ``df`` but those in ``skip``, in data order."""
    numeric, found = [], {}
    for name, dtype in df.dtypes.items():
        if name in skip:
            continue
        if pd.api.types.is_bool_dtype(dtype):
            found[name] = (_infer_bool(name, df[name]), [])
        elif pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
            numeric.append(name)
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            found[name] = (_infer_datetime(name, df[name]), [])
        else:
            found[name] = _infer_text(name, df[name], len(df), name not in no_id)
    found.update(_infer_numeric(df, numeric, no_id))
    return {name: found[name] for name in df.columns if name not in skip}


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
