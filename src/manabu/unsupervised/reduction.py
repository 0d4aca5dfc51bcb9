"""Dimensionality reduction: many columns seen as a few.

The columns are prepared as for clustering (numbers scaled, categories one-hot encoded).

- **PCA** finds the directions along which the rows vary most; each principal component is a
  weighted sum of the prepared columns (its loadings), and the share of the variance it explains
  says how much of the data's spread it keeps. It projects new rows exactly.
- **UMAP** (``pip install "manabu[umap]"``) keeps each row's neighbours as neighbours: good
  pictures of groups.
- **t-SNE** draws the clearest pictures of local groups.

UMAP and t-SNE give the coordinates of the rows they were fitted on; only a PCA is saved as a
model that projects new rows (a UMAP model holds compiled code that cannot be saved without
pickle, and t-SNE has no way to place new rows at all).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

from manabu.base.trust import register_trusted
from manabu.base.errors import ConfigError, DataError, MissingExtraError

METHODS = ("pca", "umap", "tsne")
TOP_LOADINGS = 5
TSNE_ROWS = 20_000  # t-SNE is quadratic-ish in rows: larger data is refused with advice

register_trusted("manabu.unsupervised.reduction.Projection", "sklearn.decomposition._pca.PCA")


class Projection(TransformerMixin, BaseEstimator):
    """The fitted reduction, answering ``predict`` with the coordinates of new rows."""

    def __init__(self, method: str = "pca", dims: int = 2, random_state: int = 0) -> None:
        self.method = method
        self.dims = dims
        self.random_state = random_state

    def fit(self, Z: np.ndarray, y=None) -> "Projection":
        self.fit_transform(Z)
        return self

    def fit_transform(self, Z: np.ndarray, y=None) -> np.ndarray:
        if self.method not in METHODS:
            raise ConfigError("reduce.bad_method", method=self.method, methods=", ".join(METHODS))
        dims = int(self.dims)
        if not 1 <= dims <= min(Z.shape):
            raise ConfigError("reduce.bad_dims", dims=self.dims, most=min(Z.shape))
        if self.method == "pca":
            self.model_ = PCA(dims, random_state=self.random_state)
        elif self.method == "umap":
            self.model_ = _umap(dims, self.random_state)
        else:
            if len(Z) > TSNE_ROWS:
                raise DataError("reduce.tsne_too_many_rows", rows=len(Z), most=TSNE_ROWS)
            self.model_ = TSNE(dims, random_state=self.random_state, init="pca",
                               perplexity=min(30.0, max(1.0, (len(Z) - 1) / 3)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numba's and UMAP's notices about threads and seeds
            return np.asarray(self.model_.fit_transform(Z), dtype=float)

    def predict(self, Z: np.ndarray) -> np.ndarray:
        if self.method == "tsne":
            raise ConfigError("reduce.tsne_no_new_rows")
        return np.asarray(self.model_.transform(Z), dtype=float)

    transform = predict


def _umap(dims: int, seed: int):
    try:
        from umap import UMAP
    except ImportError:
        raise MissingExtraError("reduce.missing_umap") from None
    return UMAP(n_components=dims, random_state=seed)


def summary(projection: Projection, names: list[str]) -> dict[str, Any]:
    """What a learner reads off a PCA: the variance each component explains, and the columns that
    weigh most in it (with their sign)."""
    if projection.method != "pca":
        return {}
    pca = projection.model_
    components = []
    for i, (share, weights) in enumerate(zip(pca.explained_variance_ratio_, pca.components_), start=1):
        order = np.argsort(-np.abs(weights))[:TOP_LOADINGS]
        components.append({"component": i, "explained": float(share),
                           "loadings": [{"feature": names[j], "weight": float(weights[j])} for j in order]})
    return {"components": components, "explained_total": float(np.sum(pca.explained_variance_ratio_))}
