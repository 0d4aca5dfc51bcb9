"""Data drift: how far new rows have moved from the training rows, column by column and in the
model's predictions.

At training, ``reference`` keeps a small sketch of each feature (kept in the manifest, so the
training data is not needed later): for numbers (dates as time, text as its length) the
quantiles, for categories the shares of the most common values; the share of missing values;
and the same for the out-of-fold predictions. ``compare`` then measures new rows against it:

- **PSI** (population stability index) over the training deciles, or over the category shares:
  below 0.1 the distribution is stable, 0.1–0.25 it has moved, above 0.25 it has changed a lot.
- **A two-sample test**: Kolmogorov–Smirnov for numbers (the new values against the training
  quantiles) and chi-square for categories. Their p-values are shown, not used to decide: on
  many rows a test finds even a harmless shift significant, which is why PSI decides.
- **Missing values and unseen categories**: the share of each in the new rows.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from manabu.data.schema import ColumnType, Schema

QUANTILES = np.linspace(0.0, 1.0, 51)  # the sketch of a numeric column: 2% steps
PSI_BINS = 10
TOP_LEVELS = 30
OTHER = "(other)"
EPSILON = 1e-4  # the smallest share PSI takes: an empty bin would make it infinite
BLOCK_SKETCHES = 200  # columns of a block (genes) sketched: the most variable
STABLE, MOVED = 0.1, 0.25  # PSI below STABLE: stable; up to MOVED: moved; above: changed a lot


def reference(X: pd.DataFrame, schema: Schema, predictions: np.ndarray | None, classes: list | None) -> dict:
    """The sketch of the prepared training features ``X`` and of the out-of-fold predictions
    (class probabilities, or values) that ``compare`` measures new rows against."""
    columns = {}
    for column in _sketched(X, schema):
        values = X[column.name]
        sketch = {"missing": float(values.isna().mean())}
        if _is_levels(column.type):
            sketch |= _level_sketch(values)
        else:
            sketch |= _number_sketch(_as_numbers(values, column.type))
        columns[column.name] = sketch
    return {"columns": columns, "predictions": None if predictions is None else _prediction_sketch(predictions, classes)}


def _sketched(X: pd.DataFrame, schema: Schema) -> list:
    """The features sketched: every column, but of a block (the genes) only the ``BLOCK_SKETCHES``
    that vary most; a batch effect moves many genes at once, and 7,129 sketches took 15 s. A sparse
    gene matrix (``data.gene_matrix``) is left out."""
    single = [c for c in schema.features if c.block is None]
    block = [c for c in schema.features if c.block is not None and not c.n_genes]  # a gene matrix: not sketched
    if len(block) <= BLOCK_SKETCHES:
        return single + block
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a gene missing everywhere
        spread = np.nan_to_num(np.nanvar(X[[c.name for c in block]].to_numpy(dtype=np.float32), axis=0), nan=-1.0)
    chosen = set(np.argsort(-spread, kind="stable")[:BLOCK_SKETCHES].tolist())
    return single + [c for i, c in enumerate(block) if i in chosen]


def compare(sketch: dict, X: pd.DataFrame, schema: Schema, predictions: np.ndarray | None, classes: list | None,
            threshold: float = MOVED) -> dict:
    """Per feature and for the predictions: PSI, the test's p-value, missing and unseen shares,
    and whether PSI reaches ``threshold``."""
    columns = []
    for column in schema.features:
        known = sketch["columns"].get(column.name)
        if known is None:
            continue
        values = X[column.name]
        row = {"column": column.name, "type": column.type.value, "rows": int(len(values)),
               "missing_reference": known["missing"], "missing_now": float(values.isna().mean())}
        if "levels" in known:
            row |= _compare_levels(known, values, column.categories if column.type is ColumnType.CATEGORICAL else None)
        else:
            row |= _compare_numbers(known, _as_numbers(values, column.type))
        row["drifted"] = bool(row["psi"] is not None and row["psi"] >= threshold)
        columns.append(row)
    columns.sort(key=lambda r: -(r["psi"] or 0.0))
    prediction = None
    if predictions is not None and sketch.get("predictions") is not None:
        prediction = _compare_predictions(sketch["predictions"], predictions, classes)
        prediction["drifted"] = bool(prediction["psi"] >= threshold)
    return {"threshold": threshold, "columns": columns, "predictions": prediction,
            "drifted": [r["column"] for r in columns if r["drifted"]],
            "prediction_drifted": bool(prediction and prediction["drifted"])}


def psi(reference_shares: np.ndarray, new_shares: np.ndarray) -> float:
    expected = np.maximum(np.asarray(reference_shares, dtype=float), EPSILON)
    actual = np.maximum(np.asarray(new_shares, dtype=float), EPSILON)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def level(value: float | None) -> str:
    """"stable", "moved" or "changed" for a PSI."""
    if value is None or value < STABLE:
        return "stable"
    return "moved" if value < MOVED else "changed"


# --- numbers --------------------------------------------------------------------------------

def _as_numbers(values: pd.Series, column_type: ColumnType) -> np.ndarray:
    """Floats to sketch: dates as seconds, text as its length, the rest as it is."""
    if column_type is ColumnType.DATETIME:
        x = values.astype("datetime64[ns]").astype("int64").astype(float) / 1e9
        return np.where(values.isna().to_numpy(), np.nan, x)
    if column_type in (ColumnType.TEXT, ColumnType.SMILES):
        return values.map(len, na_action="ignore").to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _number_sketch(x: np.ndarray) -> dict:
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return {"quantiles": [], "edges": [], "shares": []}
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, PSI_BINS + 1)[1:-1]))
    return {"quantiles": np.quantile(finite, QUANTILES).tolist(), "edges": edges.tolist(),
            "shares": _bin_shares(finite, edges).tolist()}


def _bin_shares(finite: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts = np.bincount(np.searchsorted(edges, finite, side="right"), minlength=len(edges) + 1)
    return counts / max(counts.sum(), 1)


def _compare_numbers(known: dict, x: np.ndarray) -> dict:
    finite = x[np.isfinite(x)]
    if finite.size == 0 or not known["quantiles"]:
        return {"psi": None, "p_value": None, "test": "ks", "unseen": None}
    shares = _bin_shares(finite, np.asarray(known["edges"]))
    statistic = _ks_statistic(np.asarray(known["quantiles"]), finite)
    return {"psi": psi(known["shares"], shares), "p_value": float(stats.kstwo.sf(statistic, finite.size)),
            "test": "ks", "unseen": None}


def _ks_statistic(quantiles: np.ndarray, x: np.ndarray) -> float:
    """The largest gap between the new values' distribution and the training one, read off its
    quantiles (linear between them; a value repeated among them is a step of the distribution)."""
    values, counts = np.unique(quantiles, return_counts=True)
    reference_levels = QUANTILES[np.cumsum(counts) - 1]  # the distribution at each distinct value
    points = np.concatenate([x, values])
    reference_cdf = np.interp(points, values, reference_levels, left=0.0, right=1.0)
    new_cdf = np.searchsorted(np.sort(x), points, side="right") / x.size
    return float(np.max(np.abs(new_cdf - reference_cdf)))


# --- categories -----------------------------------------------------------------------------

def _is_levels(column_type: ColumnType) -> bool:
    return column_type in (ColumnType.CATEGORICAL, ColumnType.HIGH_CARDINALITY, ColumnType.BOOLEAN)


def _level_sketch(values: pd.Series) -> dict:
    counts = values.dropna().astype(str).value_counts()
    total = max(int(counts.sum()), 1)
    top = counts.head(TOP_LEVELS)
    shares = {str(k): float(v / total) for k, v in top.items()}
    other = 1.0 - sum(shares.values())
    return {"levels": list(shares), "shares": list(shares.values()) + [max(other, 0.0)]}


def _compare_levels(known: dict, values: pd.Series, categories: list | None) -> dict:
    present = values.dropna().astype(str)
    if present.empty:
        return {"psi": None, "p_value": None, "test": "chi2", "unseen": None}
    index = {name: i for i, name in enumerate(known["levels"])}
    counts = np.bincount(present.map(lambda v: index.get(v, len(index))).to_numpy(dtype=int),
                         minlength=len(index) + 1)
    shares = counts / counts.sum()
    expected = np.maximum(np.asarray(known["shares"]), EPSILON)
    expected = expected / expected.sum() * counts.sum()
    unseen = None if categories is None else float((~present.isin({str(c) for c in categories})).mean())
    return {"psi": psi(known["shares"], shares), "p_value": float(stats.chisquare(counts, expected).pvalue),
            "test": "chi2", "unseen": unseen}


# --- predictions ----------------------------------------------------------------------------

def _prediction_sketch(predictions: np.ndarray, classes: list | None) -> dict:
    if classes is None:
        return {"kind": "values", **_number_sketch(np.asarray(predictions, dtype=float))}
    shares = _class_shares(predictions, len(classes))
    return {"kind": "classes", "classes": [str(c) for c in classes], "shares": shares.tolist()}


def _compare_predictions(known: dict, predictions: np.ndarray, classes: list | None) -> dict:
    if known["kind"] == "values":
        return {"kind": "values", **_compare_numbers(known, np.asarray(predictions, dtype=float))}
    shares = _class_shares(predictions, len(known["shares"]))
    return {"kind": "classes", "classes": known["classes"], "shares_reference": known["shares"],
            "shares_now": shares.tolist(), "psi": psi(known["shares"], shares), "p_value": None}


def _class_shares(probabilities: np.ndarray, n_classes: int) -> np.ndarray:
    """The share of rows whose most probable class is each class."""
    labels = np.asarray(probabilities).argmax(axis=1)
    return np.bincount(labels, minlength=n_classes) / max(len(labels), 1)
