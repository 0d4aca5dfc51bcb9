"""The neighbour graph of many cells, as scanpy builds it, in a form scanpy can read back.

Beyond ``EXACT_BELOW`` cells scanpy finds neighbours approximately with pynndescent (UMAP's
settings), whose graph comes back as SciPy's ``csr_array``; scanpy 1.11 then reads it with
``getnnz``, which ``csr_array`` no longer has in SciPy 1.17, and fails on every large data set.
The same transformer, with its graph handed over as a ``csr_matrix``, avoids that.
"""
from __future__ import annotations

import math
from typing import Any

from sklearn.base import BaseEstimator, TransformerMixin

EXACT_BELOW = 8192  # scanpy's own rule: exact distances below this many cells (euclidean)


class CsrMatrixGraph(BaseEstimator, TransformerMixin):
    """``transformer``'s neighbour graph as a ``scipy.sparse.csr_matrix`` (``n_neighbors``: its
    neighbours per cell, which scanpy reads from the parameters)."""

    def __init__(self, transformer: Any, n_neighbors: int) -> None:
        self.transformer = transformer
        self.n_neighbors = n_neighbors

    def fit(self, X: Any, y: Any = None) -> "CsrMatrixGraph":
        self.transformer.fit(X)
        return self

    def transform(self, X: Any) -> Any:
        from scipy.sparse import csr_matrix

        return csr_matrix(self.transformer.transform(X))

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        from scipy.sparse import csr_matrix

        return csr_matrix(self.transformer.fit_transform(X))


def neighbour_transformer(n_cells: int, n_neighbors: int, seed: int) -> CsrMatrixGraph | None:
    """None (scanpy's exact search) below ``EXACT_BELOW`` cells; above, pynndescent with the
    settings scanpy takes from UMAP, its graph as a ``csr_matrix``."""
    if n_cells < EXACT_BELOW:
        return None
    from pynndescent import PyNNDescentTransformer

    return CsrMatrixGraph(PyNNDescentTransformer(
        n_neighbors=n_neighbors, metric="euclidean", random_state=seed,
        n_trees=min(64, 5 + round(n_cells ** 0.5 / 20.0)), n_iters=max(5, round(math.log2(n_cells)))), n_neighbors)
