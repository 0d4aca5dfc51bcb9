"""One column's distribution as the report shows it: a histogram for numbers and dates, text
lengths with a few examples for text, the most frequent levels for categories. Small JSON-able
numbers, since the report is drawn later without the data."""
from __future__ import annotations

import numpy as np
import pandas as pd

from manabu.data.schema import Column, ColumnType

EXAMPLES = 3
EXAMPLE_CHARS = 80
_NS_LIMIT = 9.2e18  # inside the int64 nanoseconds that pandas timestamps can hold


def distribution(col: Column, values: pd.Series, max_levels: int, bins: int) -> dict:
    if col.type is ColumnType.NUMERIC:
        return numeric_distribution(values.to_numpy(dtype=float, na_value=np.nan), col.n_inf, bins)
    if col.type is ColumnType.DATETIME:
        return _datetime_distribution(values, bins)
    if col.type in (ColumnType.TEXT, ColumnType.SMILES):
        return _text_distribution(values, bins)
    return levels_distribution(level_counts(values), max_levels)


def numeric_distribution(x: np.ndarray, n_inf: int, bins: int) -> dict:
    finite = x[np.isfinite(x)]
    return {"kind": "histogram", **_histogram(finite, bins), "n_inf": n_inf}


def _histogram(x: np.ndarray, bins: int) -> dict:
    """Counts over ``_edges`` for finite values, with the usual summaries (None when empty)."""
    if not len(x):
        return {"n": 0, "edges": [], "counts": [], "min": None, "max": None, "mean": None,
                "std": None, "median": None}
    lo, hi = float(x.min()), float(x.max())
    edges = _edges(x, lo, hi, max(1, bins))
    where = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    counts = np.bincount(where, minlength=len(edges) - 1)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = float(np.mean(x))
        std = float(np.std(x, ddof=1)) if len(x) > 1 else 0.0
    return {"n": len(x), "edges": edges.tolist(), "counts": counts.tolist(), "min": lo, "max": hi,
            "mean": mean, "std": std, "median": float(np.median(x))}


def _edges(x: np.ndarray, lo: float, hi: float, bins: int) -> np.ndarray:
    """Bin edges: one bin per whole number when the values are a few whole numbers (counts,
    lengths, a single value), else ``bins`` equal widths, found without ``hi - lo`` (which
    overflows for values near the float limits)."""
    if lo == hi:
        return np.array([lo - 0.5, hi + 0.5])
    if hi - lo < bins and max(-lo, hi) < 2**52 and np.all(x == np.round(x)):
        return np.arange(lo, hi + 2) - 0.5
    t = np.linspace(0.0, 1.0, bins + 1)
    edges = lo * (1 - t) + hi * t
    edges[0], edges[-1] = lo, hi
    return edges


def _datetime_distribution(values: pd.Series, bins: int) -> dict:
    """A histogram of nanoseconds since 1970, shown as ISO-8601 times (std in seconds)."""
    ns = values.dropna().to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(float)
    hist = _histogram(ns, bins)
    for key in ("min", "max", "mean", "median"):
        hist[key] = None if hist[key] is None else _iso(hist[key])
    hist["edges"] = [_iso(e) for e in hist["edges"]]
    hist["std"] = None if hist["std"] is None else hist["std"] / 1e9
    return {"kind": "histogram", **hist}


def _iso(ns: float) -> str:
    return pd.Timestamp(int(np.clip(ns, -_NS_LIMIT, _NS_LIMIT))).isoformat()


def _text_distribution(values: pd.Series, bins: int) -> dict:
    """Lengths in characters, and a few values to show what the text looks like."""
    present = values.dropna()
    lengths = present.map(len).to_numpy(dtype=float) if len(present) else np.empty(0)
    return {"kind": "text_length", **_histogram(lengths, bins), "examples": _examples(present)}


def _examples(present: pd.Series) -> list[str]:
    out: list[str] = []
    for value in present:
        text = str(value).strip()
        if text and text not in out:
            out.append(text if len(text) <= EXAMPLE_CHARS else text[:EXAMPLE_CHARS - 1] + "…")
            if len(out) == EXAMPLES:
                break
    return out


def level_counts(values: pd.Series) -> pd.Series:
    """Count of each present value as text, most frequent first (ties: by value)."""
    counts = values.dropna().astype(str).value_counts(sort=False)
    return counts.sort_index().sort_values(ascending=False, kind="stable")


def levels_distribution(counts: pd.Series, max_levels: int) -> dict:
    top = counts.iloc[:max(0, max_levels)]
    return {"kind": "levels", "n": int(counts.sum()), "values": [str(v) for v in top.index],
            "counts": top.tolist(), "other": int(counts.sum() - top.sum())}
