"""Clustering: groups of similar rows, found without a target.

The columns are read and typed as for training (``manabu.data.schema``) and prepared as for the
linear models: missing numbers filled, numbers scaled, categories one-hot encoded, so that every
column weighs alike in the distances. Methods: k-means (mini-batch on large data), Gaussian
mixture, HDBSCAN, DBSCAN and agglomerative clustering.

``k="auto"`` tries k = 2 to 10 with k-means and lets three criteria vote: the silhouette (how
much closer rows are to their own cluster than to the next; higher is better), Calinski-Harabasz
(spread between clusters against spread within; higher is better) and the BIC of a Gaussian
mixture (fit against complexity; lower is better). The k with the most votes wins; on a tie,
the silhouette's. Every score is kept, so the choice can be shown and explained.

Methods without a way to place new rows (HDBSCAN, DBSCAN, agglomerative) are fitted on at most
``FIT_ROWS`` rows, and every other row (and every new one) joins the cluster of its nearest
fitted rows (a k-nearest-neighbours vote), which is what the saved model does too.
"""
from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN, HDBSCAN, AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.metrics import calinski_harabasz_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from manabu.base.trust import register_trusted
from manabu.data.schema import ColumnType, Schema
from manabu.base.errors import ConfigError, DataError
from manabu.features.preprocess import PreprocessKind, build_preprocessor

METHODS = ("kmeans", "gmm", "hdbscan", "dbscan", "agglomerative")
K_CANDIDATES = range(2, 11)
SCORE_ROWS = 5_000      # rows the silhouette is computed on (it is quadratic in rows)
FIT_ROWS = 20_000       # rows the k choice, and the methods that cannot place new rows, are fitted on
MINI_BATCH_FROM = 50_000  # k-means becomes mini-batch k-means from this many rows
NEIGHBOURS = 5
UNSUPERVISED = "unsupervised"

register_trusted("sklearn.cluster._kmeans.KMeans", "sklearn.cluster._kmeans.MiniBatchKMeans",
                 "sklearn.mixture._gaussian_mixture.GaussianMixture")


@dataclass(frozen=True)
class KChoice:
    k: int
    scores: list[dict[str, Any]]   # per k: silhouette, calinski_harabasz, bic
    votes: dict[str, int]          # criterion -> the k it prefers


def choose_k(Z: np.ndarray, seed: int = 0) -> KChoice:
    """The number of clusters the three criteria agree on most (see the module docstring)."""
    rng = np.random.default_rng(seed)
    sample = Z[rng.choice(len(Z), FIT_ROWS, replace=False)] if len(Z) > FIT_ROWS else Z
    distinct = len(np.unique(sample, axis=0))
    candidates = [k for k in K_CANDIDATES if k < min(len(sample), distinct)]
    if not candidates:
        raise DataError("cluster.too_few_distinct_rows", n=distinct)
    scored = rng.choice(len(sample), min(len(sample), SCORE_ROWS), replace=False)
    scores = []
    for k in candidates:
        labels = KMeans(k, n_init=4, random_state=seed).fit_predict(sample)
        bic = GaussianMixture(k, covariance_type="diag", random_state=seed, reg_covar=1e-4).fit(sample).bic(sample)
        silhouette = silhouette_score(sample[scored], labels[scored]) if len(set(labels[scored])) > 1 else -1.0
        scores.append({"k": k, "silhouette": float(silhouette),
                       "calinski_harabasz": float(calinski_harabasz_score(sample, labels)), "bic": float(bic)})
    votes = {"silhouette": max(scores, key=lambda s: s["silhouette"])["k"],
             "calinski_harabasz": max(scores, key=lambda s: s["calinski_harabasz"])["k"],
             "bic": min(scores, key=lambda s: s["bic"])["k"]}
    counted = Counter(votes.values()).most_common()
    best = counted[0][0] if counted[0][1] > 1 else votes["silhouette"]
    return KChoice(best, scores, votes)


def prepare_rows(X: pd.DataFrame, schema: Schema, seed: int = 0):
    """The fitted preprocessing of the unsupervised commands and the prepared matrix: numbers
    scaled, categories one-hot encoded, so that every column weighs alike in distances."""
    preprocess = build_preprocessor(schema, PreprocessKind.LINEAR, UNSUPERVISED, seed).transformer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scaling constant one-hot columns and the like
        return preprocess, np.asarray(preprocess.fit_transform(X), dtype=float)


def fit_clusters(X: pd.DataFrame, schema: Schema, *, k: int | str = "auto", method: str = "kmeans",
                 seed: int = 0) -> tuple[Pipeline, np.ndarray, KChoice | None, np.ndarray]:
    """For the rows ``X`` (typed by ``Schema.prepare``): the fitted pipeline that assigns rows
    to clusters, each row's cluster, how k was chosen (None when it was given or the method
    finds it itself), and the prepared matrix the clusters were found in."""
    if method not in METHODS:
        raise ConfigError("cluster.bad_method", method=method, methods=", ".join(METHODS))
    preprocess, Z = prepare_rows(X, schema, seed)
    if (Z == Z[0]).all():  # every row alike
        raise DataError("cluster.too_few_distinct_rows", n=1)
    choice = None
    if method in ("kmeans", "gmm", "agglomerative"):
        if k == "auto":
            choice = choose_k(Z, seed)
            k = choice.k
        k = _checked_k(k, len(Z))
    model = _model(method, k, len(Z), seed)
    if hasattr(model, "predict"):  # k-means and the Gaussian mixture place new rows themselves
        return Pipeline([("preprocess", preprocess), ("model", model)]), model.fit_predict(Z), choice, Z
    rows = np.sort(np.random.default_rng(seed).choice(len(Z), FIT_ROWS, replace=False)) if len(Z) > FIT_ROWS \
        else np.arange(len(Z))
    fitted_labels = model.fit_predict(Z[rows])
    assign = KNeighborsClassifier(n_neighbors=min(NEIGHBOURS, len(rows))).fit(Z[rows], fitted_labels)
    labels = assign.predict(Z)
    labels[rows] = fitted_labels
    return Pipeline([("preprocess", preprocess), ("model", assign)]), labels, choice, Z


def _checked_k(k: int | str, n_rows: int) -> int:
    try:
        k = int(k)
    except (TypeError, ValueError):
        raise ConfigError("cluster.bad_k", value=k) from None
    if k < 2:
        raise ConfigError("cluster.bad_k", value=k)
    if k > n_rows:
        raise DataError("cluster.more_clusters_than_rows", k=k, n=n_rows)
    return k


def _model(method: str, k: int | None, n_rows: int, seed: int):
    if method == "kmeans":
        if n_rows >= MINI_BATCH_FROM:
            return MiniBatchKMeans(k, n_init=3, batch_size=4096, random_state=seed)
        return KMeans(k, n_init=4, random_state=seed)
    if method == "gmm":
        return GaussianMixture(k, covariance_type="full", reg_covar=1e-4, random_state=seed)
    if method == "agglomerative":
        return AgglomerativeClustering(k, linkage="ward")
    if method == "hdbscan":
        return HDBSCAN(min_cluster_size=max(5, min(n_rows, FIT_ROWS) // 100), copy=True)
    return DBSCAN()


_NUMBERS = (ColumnType.NUMERIC, ColumnType.BOOLEAN)
_CATEGORIES = (ColumnType.CATEGORICAL, ColumnType.HIGH_CARDINALITY)


def profiles(X: pd.DataFrame, schema: Schema, labels: np.ndarray, top: int = 3) -> list[dict[str, Any]]:
    """Each cluster's size and what sets it apart: for numbers how far its mean lies from the
    overall mean (in standard deviations), for categories the value over-represented most."""
    overall: dict[str, tuple[float, float] | pd.Series] = {}  # computed once, not once per cluster
    for column in schema.features:
        values = X[column.name]
        if column.type in _NUMBERS:
            overall[column.name] = (float(values.mean()), float(values.std()))
        elif column.type in _CATEGORIES:
            overall[column.name] = values.value_counts(normalize=True)
    found = []
    for label in sorted(set(labels.tolist())):
        inside = labels == label
        traits = [trait for name, whole in overall.items()
                  if (trait := _trait(name, X[name][inside], whole)) is not None]
        traits.sort(key=lambda t: -t["strength"])
        found.append({"cluster": int(label), "size": int(inside.sum()), "share": float(inside.mean()),
                      "traits": traits[:top]})
    return found


def _trait(name: str, values: pd.Series, whole: tuple[float, float] | pd.Series) -> dict[str, Any] | None:
    """What sets a cluster's ``values`` of one column apart from ``whole``: the column's overall
    (mean, standard deviation) for a number, its overall shares for a category."""
    if isinstance(whole, tuple):
        mean, spread = whole
        if not spread > 0 or values.notna().sum() == 0:
            return None
        inside = float(values.mean())
        shift = (inside - mean) / spread
        return {"column": name, "kind": "number", "shift": shift, "mean": inside, "overall": mean,
                "strength": abs(shift)}
    share_in = values.value_counts(normalize=True)
    if share_in.empty:
        return None
    lift = (share_in - whole.reindex(share_in.index).fillna(0.0)).sort_values(ascending=False)
    level = lift.index[0]
    return {"column": name, "kind": "category", "value": str(level), "share": float(share_in[level]),
            "overall": float(whole.get(level, 0.0)),
            "strength": float(lift.iloc[0]) * 2}  # a 50-point lift weighs as 1 sd
