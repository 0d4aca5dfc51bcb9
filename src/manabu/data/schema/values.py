"""How manabu reads one value: canonical text, numbers and dates written as text, true/false words.

The same value must read the same at fit time, at predict time and in an exported script, so
these rules live in one place, apart from the inference and preparation that apply them.
"""
from __future__ import annotations

import re
import unicodedata
import warnings
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd


# ------------------------------------------------------------------------ values: canonical text

_INT_TEXT = re.compile(r"[+-]?\d+")
_FLOAT_TEXT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


def float_text(x: float) -> Any:
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
        return float_text(float(value))
    if isinstance(value, str):
        if _INT_TEXT.fullmatch(value):
            return str(int(value))
        if _FLOAT_TEXT.fullmatch(value):
            return float_text(float(value))
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def canonical_levels(levels: Any) -> list[Any]:
    """``canonical_text`` of each level (no missing among them), fast for numeric levels."""
    kind = getattr(levels.dtype, "kind", "O")
    values = levels.tolist()
    if kind in "iu":
        return [str(v) for v in values]
    if kind == "f":
        return [float_text(v) for v in values]
    return [canonical_text(v) for v in values]


def factorize(s: pd.Series) -> tuple[np.ndarray, Any]:
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


def per_level(s: pd.Series, convert: Any, missing: Any = np.nan, dtype: Any = object) -> np.ndarray:
    """``convert`` applied once per distinct value of ``s`` and spread back over the rows."""
    codes, levels = factorize(s)
    table = np.array(convert(levels) + [missing], dtype=dtype)
    return table[codes]


def canonical(s: pd.Series) -> np.ndarray:
    """Canonical text of every cell (object array, ``np.nan`` for missing)."""
    return per_level(s, canonical_levels)


def norm_text(text: str) -> str:
    """NFKC-normalised, stripped text: full-width ３．５ becomes 3.5, ２０２４年 becomes 2024年."""
    return unicodedata.normalize("NFKC", text).strip()


def normalised_levels(levels: Any, limit: int | None = None) -> list[str]:
    """Levels as normalised text for parsing: strings as written, other values canonical.

    ``limit`` cuts long texts first (inference only needs their start: a number or a date is
    short), which keeps a column of whole articles fast.
    """
    if getattr(levels.dtype, "kind", "O") != "O":
        return [norm_text(str(v)) for v in canonical_levels(levels)]
    return [normalised(v, limit) for v in levels.tolist()]


def normalised(value: Any, limit: int | None = None) -> str:
    return norm_text((value if isinstance(value, str) else str(canonical_text(value)))[:limit])


# ------------------------------------------------------------------------------ numbers in text

_FORMATTED = re.compile(r"([+\-−▲△]?)\s*[¥$€£]?\s*"
                        r"(\d{1,3}(?:,\d{3})+(?:\.\d*)?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*円?")


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


def parse_dates(texts: list[str], fmt: str, *, strict: bool = False) -> pd.Series:
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
    return to_ns(parsed)


def to_ns(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    s = s.where((s >= _NS_MIN) & (s <= _NS_MAX))
    return s.astype("datetime64[ns]")


def best_date_format(texts: list[str], weights: np.ndarray) -> tuple[str | None, np.ndarray]:
    """The format that reads the largest (weighted) share of the texts, and which ones it read."""
    head = texts[:20]
    if sum(bool(_DATE_LIKE.match(v)) for v in head) < len(head) / 2:
        return None, np.zeros(len(texts), dtype=bool)
    best, best_ok, best_share = None, np.zeros(len(texts), dtype=bool), 0.0
    for fmt in DATETIME_FORMATS:
        parsed = parse_dates(texts, fmt, strict=True)
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

TRUE_WORDS = frozenset({"true", "yes", "y", "t", "1", "はい", "有", "あり"})
FALSE_WORDS = frozenset({"false", "no", "n", "f", "0", "いいえ", "無", "なし"})


def bool_token(value: Any) -> str:
    return norm_text(str(canonical_text(value))).casefold()


def boolean_levels(levels: list[Any]) -> tuple[list[str], list[str]] | None:
    """(true tokens, false tokens) when the levels are one true-like and one false-like word."""
    tokens = sorted({bool_token(v) for v in levels})
    if len(tokens) != 2:
        return None
    true = [t for t in tokens if t in TRUE_WORDS]
    false = [t for t in tokens if t in FALSE_WORDS]
    return (true, false) if len(true) == 1 and len(false) == 1 else None
