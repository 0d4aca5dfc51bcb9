"""Expression data as numbers a model learns from well: the steps a biologist takes before any
analysis, fitted inside each training fold.

The genes of a cell (or a sample) are one measurement, so they are prepared together:

1. missing values take the gene's median in the training rows;
2. raw counts (whole numbers, none negative: found in the training rows) are normalised to the
   median library size of the training cells and log1p'd, because a cell sequenced twice as
   deeply is not a different cell (scanpy's ``normalize_total`` and ``log1p``);
3. the most variable genes are kept (scanpy's ``highly_variable_genes`` on log counts, Cell
   Ranger's flavour; the variance otherwise): thousands of flat genes are noise to a model trained on a few hundred
   cells;
4. each gene is scaled to unit variance and clipped at ±10 standard deviations (as scanpy's
   ``scale`` does), so that one extreme cell does not dominate;
5. optionally the principal components of what is left.

How many genes, whether to scale and how many components are in the search space
(``models.feature_space``): what suits a linear model on 72 microarrays does not suit boosted
trees on 5,000 cells. Fitting uses scanpy and scikit-learn; the fitted steps are plain arrays, so
a saved model predicts with numpy alone.

A sparse matrix (a gene-matrix column, ``data.gene_matrix``) stays sparse through the first three
steps, lined up by gene name with the genes it was fitted on; only the genes kept become dense,
and no more of them than ``DENSE_VALUES`` allows.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from manabu.base.errors import DataError
from manabu.data.gene_matrix import gene_matrix
from manabu.data.read.source import preview

# the settings searched with each candidate (``models.feature_space``): genes kept (0: all),
# scaling, principal components (0: none)
TOP_GENES_OPTION, SCALE_OPTION, COMPONENTS_OPTION = "expression_genes", "expression_scale", "expression_components"
DEFAULT_TOP_GENES, DEFAULT_SCALE, DEFAULT_COMPONENTS = 2000, True, 0
CLIP = 10.0  # standard deviations a scaled value may reach (scanpy's ``max_value`` in its tutorials)
DENSE_VALUES = 1 << 28  # cells x kept genes a sparse matrix may become (1 GiB of float32)
SHOWN = 5    # missing genes a message names


class ExpressionPreparation(BaseEstimator, TransformerMixin):
    """Cells × genes → normalised, selected, scaled (and reduced) values, float32."""

    def __init__(self, top_genes: int = DEFAULT_TOP_GENES, scale: bool = DEFAULT_SCALE,
                 components: int = DEFAULT_COMPONENTS, random_state: int = 0) -> None:
        self.top_genes = top_genes
        self.scale = scale
        self.components = components
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> "ExpressionPreparation":
        values = expression_values(X)
        self.n_features_in_ = values.shape[1]
        self.feature_names_in_ = _names(X, values.shape[1])
        self.fill_ = _gene_medians(values)
        values = _filled(values, self.fill_)
        stored = values.data if sparse.issparse(values) else values
        self.counts_ = bool(np.all(stored >= 0) and np.array_equal(stored, np.round(stored)))
        self.target_sum_ = _median_library(values) if self.counts_ else 0.0
        values = self._normalised(values)
        self.kept_ = _variable_genes(values, _top_genes(values, int(self.top_genes)), self.counts_)
        values = _dense(values[:, self.kept_])
        self.mean_ = values.mean(axis=0)
        std = values.std(axis=0)
        self.std_ = np.where(std > 0, std, 1.0).astype(np.float32)
        values = self._scaled(values)
        self.pca_components_, self.pca_mean_, self.explained_ = _principal_components(
            values, int(self.components), self.random_state)
        return self

    def transform(self, X: Any) -> np.ndarray:
        values = _dense(self._normalised(_filled(self._lined_up(X), self.fill_))[:, self.kept_])
        values = self._scaled(values)
        if self.pca_components_ is not None:
            values = (values - self.pca_mean_) @ self.pca_components_.T
        return values.astype(np.float32, copy=False)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        if self.pca_components_ is not None:
            return np.array([f"PC{i + 1}" for i in range(len(self.pca_components_))], dtype=object)
        return np.asarray(self.feature_names_in_, dtype=object)[self.kept_]

    def output_sources(self) -> list[str]:
        """What each output column stands for, as a report names it: a gene, or a component of
        the genes (which mixes them all)."""
        return [str(name) for name in self.get_feature_names_out()]

    @property
    def kept_genes(self) -> list[str]:
        """The genes the model sees (through the components, when there are any)."""
        return [str(g) for g in np.asarray(self.feature_names_in_)[self.kept_]]

    def gene_weights(self, output_weights: np.ndarray) -> np.ndarray:
        """How much each kept gene carries of weights given to the output columns (a model's
        importances): the columns are the genes, or each component shares its weight among the
        genes by the size of their loadings."""
        weights = np.abs(np.asarray(output_weights, dtype=float))
        if self.pca_components_ is None:
            return weights
        loadings = np.abs(self.pca_components_)
        return weights @ (loadings / np.maximum(loadings.sum(axis=1, keepdims=True), 1e-12))

    def gene_coefficients(self, coefficients: np.ndarray) -> np.ndarray:
        """A linear model's coefficients on the output columns (rows: classes) as coefficients on
        the kept genes' scaled values: exact, since the components are linear in them."""
        coefficients = np.atleast_2d(np.asarray(coefficients, dtype=float))
        return coefficients if self.pca_components_ is None else coefficients @ self.pca_components_

    def log_normalised(self, X: Any) -> np.ndarray:
        """Every gene's values as the later steps start from them: filled, and for raw counts
        normalised per cell and log1p'd (what scanpy's tests of markers expect)."""
        return self._normalised(_filled(self._lined_up(X), self.fill_))

    def _lined_up(self, X: Any) -> Any:
        """The values, a gene matrix's columns in the fitted genes' order. Genes a file lacks stop
        here with their names (a zero in their place would be a wrong measurement); so do genes
        a request names that the model does not know (a misspelt gene would be read as zero)."""
        matrix = gene_matrix(X)
        if matrix is None:
            return expression_values(X)
        lined, missing, unknown = matrix.aligned(self.feature_names_in_)
        if missing and not matrix.named_only:
            raise DataError("expression.genes_missing", count=len(missing), of=len(self.feature_names_in_),
                            names=preview(missing, SHOWN))
        if unknown and matrix.named_only:
            raise DataError("expression.genes_unknown", count=len(unknown), names=preview(unknown, SHOWN))
        return expression_values(lined)

    def _normalised(self, values: Any) -> Any:
        if not self.counts_:
            return values
        if sparse.issparse(values):  # zeros stay zeros: the rows scaled, log1p of the stored values
            library = np.asarray(values.sum(axis=1), dtype=np.float32).ravel()
            scaled = values.copy()
            scaled.data *= np.repeat(self._library_factor(library), np.diff(scaled.indptr))
            np.log1p(np.clip(scaled.data, 0, None, out=scaled.data), out=scaled.data)
            return scaled
        factor = self._library_factor(values.sum(axis=1, keepdims=True))
        return np.log1p(np.clip(values, 0, None) * factor)

    def _library_factor(self, library: np.ndarray) -> np.ndarray:
        """Each cell's factor to the median library size (zero for a cell without counts)."""
        return np.divide(self.target_sum_, library, out=np.zeros_like(library), where=library > 0)

    def _scaled(self, values: np.ndarray) -> np.ndarray:
        if not self.scale:
            return values
        return np.clip((values - self.mean_) / self.std_, -CLIP, CLIP)


def expression_values(X: Any) -> Any:
    """Cells x genes as float32 with infinities as missing: a CSR matrix for a gene matrix."""
    matrix = gene_matrix(X)
    if matrix is not None:
        X = matrix.matrix
    if sparse.issparse(X):  # copied only to be changed: a fold's matrix is most of the data
        values = sparse.csr_matrix(X, dtype=np.float32)
        infinite = np.isinf(values.data)
        if infinite.any():
            values = values.copy()
            values.data[infinite] = np.nan
        return values
    values = np.asarray(X, dtype=np.float32)
    if values.ndim != 2:
        raise ValueError(f"expected cells x genes, got an array of shape {values.shape}")
    return np.where(np.isinf(values), np.nan, values)


def _names(X: Any, n: int) -> np.ndarray:
    matrix = gene_matrix(X)
    if matrix is not None:
        return np.asarray(matrix.genes, dtype=object)
    columns = getattr(X, "columns", None)
    return np.asarray([str(c) for c in columns] if columns is not None else [f"gene{i}" for i in range(n)],
                      dtype=object)


def _gene_medians(values: Any) -> np.ndarray:
    """Each gene's median in the training rows, for its missing values (zero where none is
    missing, and for a sparse matrix, whose genes are mostly zero)."""
    if sparse.issparse(values) or not np.isnan(values).any():
        return np.zeros(values.shape[1], dtype=np.float32)  # nothing to fill
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a gene missing everywhere: filled with 0
        medians = np.nanmedian(values, axis=0)
    return np.nan_to_num(medians, nan=0.0).astype(np.float32)


def _filled(values: Any, fill: np.ndarray) -> Any:
    if sparse.issparse(values):
        missing = np.isnan(values.data)
        if missing.any():
            values = values.copy()
            values.data[missing] = fill[values.indices[missing]]
        return values
    missing = np.isnan(values)
    if missing.any():
        values = np.where(missing, fill[None, :], values)
    return values


def _median_library(values: Any) -> float:
    library = np.asarray(values.sum(axis=1)).ravel()
    positive = library[library > 0]
    return float(np.median(positive)) if len(positive) else 1.0


def _variable_genes(values: np.ndarray, top: int, log_counts: bool) -> np.ndarray:
    """Positions of the ``top`` most variable genes (all when ``top`` is 0 or not fewer), in order."""
    n_genes = values.shape[1]
    if top <= 0 or top >= n_genes:
        return np.arange(n_genes)
    if log_counts:
        chosen = _scanpy_variable_genes(values, top)
        if chosen is not None:
            return chosen
    return np.sort(np.argsort(-_variances(values), kind="stable")[:top])


def _variances(values: Any) -> np.ndarray:
    if not sparse.issparse(values):
        return values.var(axis=0)
    mean = np.asarray(values.mean(axis=0)).ravel()
    return np.asarray(values.multiply(values).mean(axis=0)).ravel() - mean**2


def _top_genes(values: Any, top: int) -> int:
    """The genes to keep: ``top`` (0: all), and of a sparse matrix no more than its cells may
    hold dense within ``DENSE_VALUES``."""
    if not sparse.issparse(values):
        return top
    most = max(1, DENSE_VALUES // max(1, values.shape[0]))
    return most if most < values.shape[1] and (top <= 0 or top > most) else top


def _dense(values: Any) -> np.ndarray:
    return values.toarray() if sparse.issparse(values) else values


def _scanpy_variable_genes(values: np.ndarray, top: int) -> np.ndarray | None:
    """scanpy's choice: each gene's dispersion against genes of a like mean expression, the
    bins cut at percentiles of the mean (Cell Ranger's way: with bins of equal width, Seurat's, a
    handful of strongly expressed markers share a bin and are only compared with each other).
    None when the ``bio`` extra is not installed or scanpy cannot bin the genes (too few)."""
    try:
        import anndata
        import scanpy as sc
    except ImportError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # genes never expressed
        try:
            table = sc.pp.highly_variable_genes(anndata.AnnData(values), n_top_genes=top, flavor="cell_ranger",
                                                inplace=False)
        except ValueError:  # percentile bins that coincide: the variance decides instead
            return None
    chosen = np.flatnonzero(table["highly_variable"].to_numpy())
    return chosen if len(chosen) else None


def _principal_components(values: np.ndarray, wanted: int, seed: int
                          ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    n = min(wanted, values.shape[0] - 1, values.shape[1])
    if wanted <= 0 or n < 1:
        return None, None, None
    from sklearn.decomposition import PCA

    pca = PCA(n_components=n, random_state=seed).fit(values)
    return (pca.components_.astype(np.float32), pca.mean_.astype(np.float32),
            pca.explained_variance_ratio_.astype(np.float32))
