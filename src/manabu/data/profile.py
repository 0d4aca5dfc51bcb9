"""Data profile: what the report's "data" section shows about the training data.

The report is rebuilt later without the data, so everything a learner needs to see it is kept
here as small JSON-able numbers: per-column basics, one distribution per column, the target's
distribution, a rank-correlation matrix and warnings as message keys with parameters.

Values are read the way the model reads them (``Schema.prepare``), so a column of "1,234円"
shows numbers and a column of dates shows dates. Counts kept by the schema (``n_missing``,
``n_unique``, ``n_inf``) cover all rows; distributions and correlations cover the sampled rows
(``sampled_rows``) except the target's distribution, which covers all rows because rare
classes matter. Every distribution carries ``n``: how many values it describes. Datetime
histograms give edges, min, max, mean and median as ISO-8601 text and ``std`` in seconds.
A column of images has no distribution but ``images``: sizes and modes read from the files'
headers (``image_facts``, at most 2,000 files of the sampled rows).
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from manabu.base.jsonable import to_jsonable
from manabu.data.distributions import distribution, level_counts, levels_distribution, numeric_distribution
from manabu.data.image_facts import image_facts
from manabu.data.schema import Column, ColumnType, Role, Schema

TASKS = ("binary", "multiclass", "regression")
CORRELATION_COLUMNS = 25  # the matrix stays readable (and small) at this size
RANK_ROWS = 10_000        # rows used to rank columns when there are more than max_columns
BLOCK_CELLS = 2_000_000   # columns are prepared in blocks of about this many cells
IMBALANCE_SHARE = 0.10    # a minority class below this share of the rows is worth a warning
HIGH_MISSING = 0.5
ROWS_PER_FEATURE = 10

_NUMBERISH = (ColumnType.NUMERIC, ColumnType.BOOLEAN)


def profile_data(frame: pd.DataFrame, schema: Schema, task: str, *, max_rows: int = 100_000,
                 max_columns: int = 100, max_levels: int = 20, bins: int = 30, seed: int = 0) -> dict:
    """Summarise ``frame`` (target included, as read) for the report; JSON-able, never NaN.

    ``schema`` is ``infer_schema(frame, target)``; ``task`` is "binary", "multiclass" or
    "regression". ``frame`` is left untouched.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, not {task!r}")
    positions = {str(name): i for i, name in enumerate(frame.columns)}
    everything = _Rows(frame, None, positions)
    sample = _Rows(frame, _sample_rows(len(frame), max_rows, seed), positions)
    columns = [c for c in schema.columns if c.role is not Role.TARGET]
    # a block's columns (the genes of an expression matrix) are counted as one: 7,129 per-gene
    # profiles took 17 s on golub, and the report has its own section for them
    single = [c for c in columns if c.block is None]
    target = schema.target_column
    y, positive = _target_numbers(sample, target, task)
    kept = _keep_columns(sample, single, y, max_columns, seed)
    target_profile = _target_profile(everything, target, task, max_levels, bins)
    profile = {
        "n_rows": len(frame),
        "n_columns": len(columns),
        "sampled_rows": None if sample.rows is None else len(sample.rows),
        "columns_shown": len(kept),
        "columns_total": len(columns),
        "columns": _column_profiles(sample, kept, len(frame), max_levels, bins),
        "target": target_profile,
        "correlation": _correlation(sample, kept, target, y, positive),
        "warnings": _warnings(schema, single, target_profile, len(frame), sample, len(kept)),
        "blocks": dict(Counter(c.block for c in columns if c.block is not None)),
    }
    return to_jsonable(profile)


# ------------------------------------------------------------------------------------- reading

@dataclass
class _Rows:
    """The frame and the rows to read from it (all of them, or a sample's positions)."""

    frame: pd.DataFrame
    rows: np.ndarray | None
    positions: dict[str, int]

    def __len__(self) -> int:
        return len(self.frame) if self.rows is None else len(self.rows)

    def raw(self, cols: list[Column]) -> pd.DataFrame:
        """The columns' raw values on these rows, taken column by column: taking rows from
        the whole frame first would copy every column of a wide frame."""
        parts = {}
        for col in cols:
            s = self.frame.iloc[:, self.positions[col.name]]
            parts[col.name] = (s if self.rows is None else s.iloc[self.rows]).reset_index(drop=True)
        return pd.DataFrame(parts)

    def prepared(self, cols: list[Column], kinds: list[ColumnType]) -> pd.DataFrame:
        """The columns read as ``kinds`` by the schema's own ``prepare`` (the model's view)."""
        as_features = [replace(c, role=Role.FEATURE, type=k) for c, k in zip(cols, kinds)]
        return Schema(as_features, None).prepare(self.raw(cols))

    def numbers(self, cols: list[Column]) -> np.ndarray:
        """Numeric and boolean columns as one float block (missing and ±inf: NaN)."""
        kinds = [c.type if c.type in _NUMBERISH else ColumnType.NUMERIC for c in cols]
        return self.prepared(cols, kinds).to_numpy(dtype=float, na_value=np.nan)

    def subset(self, n: int, seed: int) -> tuple["_Rows", np.ndarray | None]:
        """At most ``n`` of these rows, and where they sit among them (None: all of them)."""
        pick = _sample_rows(len(self), n, seed)
        if pick is None:
            return self, None
        rows = pick if self.rows is None else self.rows[pick]
        return _Rows(self.frame, rows, self.positions), pick


def _sample_rows(n_rows: int, max_rows: int, seed: int) -> np.ndarray | None:
    """Sorted positions of a seeded random sample of ``max_rows`` rows, None when all fit."""
    if n_rows <= max_rows:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_rows, size=max(1, max_rows), replace=False))


def _blocks(cols: list[Column], n_rows: int) -> Iterator[list[Column]]:
    """Columns in groups small enough to prepare at once, so wide frames stay bounded."""
    step = max(1, BLOCK_CELLS // max(n_rows, 1))
    for start in range(0, len(cols), step):
        yield cols[start:start + step]


def _shown_kind(col: Column) -> ColumnType:
    """How a column is read for its distribution: numbers, dates, or canonical text."""
    return col.type if col.type in (ColumnType.NUMERIC, ColumnType.DATETIME) else ColumnType.CATEGORICAL


# ------------------------------------------------------------------------------------- columns

def _keep_columns(sample: _Rows, columns: list[Column], y: np.ndarray | None, max_columns: int,
                  seed: int) -> list[Column]:
    """All columns, or the ``max_columns`` most useful in schema order: used features first
    (those most correlated with the target before the others), then the rest."""
    if len(columns) <= max_columns:
        return columns
    used = [c for c in columns if c.role is Role.FEATURE]
    scores: dict[str, float] = {}
    if y is not None:
        rows, pick = sample.subset(RANK_ROWS, seed)
        scored = [c for c in used if c.type in _NUMBERISH]
        scores = _target_scores(rows, scored, y if pick is None else y[pick])
    ranked = sorted(used, key=lambda c: _score_key(scores.get(c.name)))
    ranked += [c for c in columns if c.role is not Role.FEATURE]
    chosen = {c.name for c in ranked[:max(0, max_columns)]}
    return [c for c in columns if c.name in chosen]


def _score_key(score: float | None) -> tuple[int, float]:
    """Sort key: known scores first, highest first; unknown ones after, in their own order."""
    if score is None or not math.isfinite(score):
        return (1, 0.0)
    return (0, -score)


def _column_profiles(sample: _Rows, cols: list[Column], n_rows: int, max_levels: int,
                     bins: int) -> list[dict]:
    out = []
    for block in _blocks(cols, len(sample)):
        values = sample.prepared(block, [_shown_kind(c) for c in block])
        out += [_column_profile(c, values[c.name], n_rows, max_levels, bins) for c in block]
    return out


def _column_profile(col: Column, values: pd.Series, n_rows: int, max_levels: int, bins: int) -> dict:
    if col.type is ColumnType.IMAGE:  # paths are all distinct: what the files hold is worth showing
        return {**_basics(col, n_rows), "distribution": None, "images": image_facts(values.dropna().tolist())}
    return {**_basics(col, n_rows), "distribution": distribution(col, values, max_levels, bins)}


def _basics(col: Column, n_rows: int) -> dict:
    return {
        "name": col.name,
        "type": col.type.value,
        "role": col.role.value,
        "n_missing": col.n_missing,
        "missing_fraction": _fraction(col.n_missing, n_rows),
        "n_unique": col.n_unique,
        "used": col.role is Role.FEATURE,
        "dropped_reason": _dropped_reason(col),
        "leakage": col.leakage,
    }


def _dropped_reason(col: Column) -> str | None:
    """Why the model does not use a column. Leakage-flagged columns stay features in the schema
    (the user decides), so "leakage" only names columns that were dropped for it."""
    if col.role is not Role.DROPPED:
        return None
    if col.type is ColumnType.ID:
        return "id"
    if col.type is ColumnType.CONSTANT:
        return "constant"
    return "leakage" if col.leakage else None


def _fraction(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


# -------------------------------------------------------------------------------------- target

def _target_profile(everything: _Rows, target: Column | None, task: str, max_levels: int,
                    bins: int) -> dict | None:
    """The target over all rows: levels (and imbalance) for classes, a histogram for numbers."""
    if target is None:
        return None
    out: dict[str, Any] = {"name": target.name, "task": task, "n_missing": target.n_missing}
    if task == "regression":
        x = everything.numbers([target])[:, 0]
        out["distribution"] = numeric_distribution(x, target.n_inf, bins)
        return out
    counts = level_counts(everything.prepared([target], [ColumnType.CATEGORICAL])[target.name])
    out["distribution"] = levels_distribution(counts, max_levels)
    out["n_classes"] = len(counts)
    out["imbalance_ratio"] = float(counts.iloc[0] / counts.iloc[-1]) if len(counts) else None
    out["minority"] = _minority(counts)
    return out


def _minority(counts: pd.Series) -> dict | None:
    """The least frequent class and its share of the labelled rows."""
    if not len(counts):
        return None
    return {"class": str(counts.index[-1]), "count": int(counts.iloc[-1]),
            "share": round(float(counts.iloc[-1] / counts.sum()), 4)}


def _target_numbers(sample: _Rows, target: Column | None, task: str) -> tuple[np.ndarray | None, str | None]:
    """The target as numbers on the sampled rows, for correlations: a regression target as it
    is, a binary one as 0/1 (1: the later of its two classes, returned too); else None."""
    if target is None or task == "multiclass":
        return None, None
    if task == "regression":
        return sample.numbers([target])[:, 0], None
    text = sample.prepared([target], [ColumnType.CATEGORICAL])[target.name]
    levels = sorted(str(v) for v in text.dropna().unique())
    if len(levels) != 2:
        return None, None
    present = text.notna().to_numpy()
    ones = (text.astype(str) == levels[1]).to_numpy()
    return np.where(present, ones.astype(float), np.nan), levels[1]


# --------------------------------------------------------------------------------- correlation

def _correlation(sample: _Rows, kept: list[Column], target: Column | None, y: np.ndarray | None,
                 positive: str | None) -> dict | None:
    """Spearman correlations between the used numeric/boolean features (and the target when it
    is numeric or binary), the features most correlated with the target first."""
    cols = [c for c in kept if c.role is Role.FEATURE and c.type in _NUMBERISH]
    if y is None:
        cols = cols[:CORRELATION_COLUMNS]
    elif len(cols) > CORRELATION_COLUMNS - 1:
        scores = _target_scores(sample, cols, y)
        cols = sorted(cols, key=lambda c: _score_key(scores.get(c.name)))[:CORRELATION_COLUMNS - 1]
    names = [c.name for c in cols]
    x = sample.numbers(cols) if cols else np.empty((len(sample), 0))
    if y is not None and target is not None:
        names, x = [target.name] + names, np.column_stack([y, x])
    if len(names) < 2:
        return None
    r = _rank_corr(x)
    if y is not None:
        order = [0] + sorted(range(1, len(names)), key=lambda j: _score_key(abs(r[0, j])))
        names, r = [names[j] for j in order], r[np.ix_(order, order)]
    return {"columns": names, "matrix": np.round(r, 4).tolist(),
            "positive_class": positive}


def _target_scores(rows: _Rows, cols: list[Column], y: np.ndarray) -> dict[str, float]:
    """|Spearman r| of each column with ``y`` (NaN where it cannot be computed), in blocks."""
    out: dict[str, float] = {}
    ry = _centred_ranks(y[:, None])[:, 0]
    for block in _blocks(cols, len(rows)):
        r = _pearson_with(ry, _centred_ranks(rows.numbers(block)))
        out.update(zip([c.name for c in block], np.abs(r).tolist()))
    return out


def _centred_ranks(x: np.ndarray) -> np.ndarray:
    """Each column's ranks among its present values, minus their mean (NaN stays NaN), so
    that the sums below stay small and exact enough."""
    ranks = pd.DataFrame(x).rank(method="average", na_option="keep").to_numpy()
    count = (~np.isnan(ranks)).sum(axis=0)
    return ranks - np.nansum(ranks, axis=0) / np.maximum(count, 1)


def _pearson_with(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Pearson r of ``y`` with each column of ``x`` over the rows where both are present
    (NaN where fewer than 3 rows pair up or one side does not vary): one pass, no pairs."""
    both = ~np.isnan(x) & ~np.isnan(y)[:, None]
    zx, zy = np.where(both, x, 0.0), np.where(both, y[:, None], 0.0)
    n, sx, sy = both.sum(axis=0), zx.sum(axis=0), zy.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (zx * zy).sum(axis=0) - sx * sy / n
        vx, vy = (zx * zx).sum(axis=0) - sx * sx / n, (zy * zy).sum(axis=0) - sy * sy / n
        r = cov / np.sqrt(np.where(vx > 1e-6, vx, np.nan) * np.where(vy > 1e-6, vy, np.nan))
    return np.where(n >= 3, np.clip(r, -1.0, 1.0), np.nan)


def _rank_corr(x: np.ndarray) -> np.ndarray:
    """Spearman correlations of the columns of ``x``: each column ranked over its present
    values, then pandas' pairwise Pearson over the rows where both are present. NaN where
    fewer than 3 rows pair up or a column does not vary."""
    r = pd.DataFrame(x).rank(method="average", na_option="keep").corr(min_periods=3).to_numpy()
    return np.clip((r + r.T) / 2, -1.0, 1.0)  # exactly symmetric, whatever order the sums took


# ------------------------------------------------------------------------------------ warnings

def _warnings(schema: Schema, columns: list[Column], target: dict | None, n_rows: int,
              sample: _Rows, n_shown: int) -> list[dict]:
    """What a learner should notice, as message keys with parameters (the report words them)."""
    out = _imbalance_warning(target)
    out += [_warning("leakage", column=c.name) for c in columns if c.leakage]
    for c in columns:
        if c.role is Role.DROPPED and c.type in (ColumnType.ID, ColumnType.CONSTANT):
            out.append(_warning(f"dropped_{c.type.value}", column=c.name))
    n_used = len(schema.features)
    if n_rows < ROWS_PER_FEATURE * n_used:
        out.append(_warning("few_rows", n_rows=n_rows, n_columns=n_used))
    out += [_warning("high_missing", column=c.name, fraction=_fraction(c.n_missing, n_rows))
            for c in columns if n_rows and c.n_missing / n_rows > HIGH_MISSING]
    if sample.rows is not None:
        out.append(_warning("sampled", n_rows=n_rows, sampled_rows=len(sample.rows)))
    if n_shown < len(columns):
        out.append(_warning("columns_limited", shown=n_shown, total=len(columns)))
    return out


def _imbalance_warning(target: dict | None) -> list[dict]:
    minority = target.get("minority") if target else None
    if minority is None or target["n_classes"] < 2 or minority["share"] >= IMBALANCE_SHARE:
        return []
    return [_warning("imbalance", minority=minority["class"], share=minority["share"],
                     ratio=round(target["imbalance_ratio"], 4))]


def _warning(kind: str, **params: Any) -> dict:
    return {"kind": kind, "params": params}
