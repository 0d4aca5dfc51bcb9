"""Clusters of cells in expression data (AnnData): scanpy's standard path, every choice recorded.

The matrix is checked (gene names unique, no negative counts, cells with no counts dropped) and
prepared: counts (non-negative integers) are normalised to one library size and log1p'd, the
most variable genes kept when there are many, scaled and reduced by PCA. The cells' neighbour
graph is clustered by Leiden at several resolutions; each candidate is scored by its stability
(agreement between runs with other seeds) and its silhouette in PCA space, and the most
separated among the stable ones is chosen. UMAP draws the cells; a Wilcoxon (or, on large data,
t-) test names each cluster's marker genes.

Everything lands where a scanpy user looks for it (``obs['manabu_cluster']``, ``obsm['X_pca']``,
``obsm['X_umap']``, the graph in ``obsp``, markers in ``uns['manabu_markers']``), so their
workflow continues from the written file. Large matrices stay sparse: only the highly variable
genes are made dense, and only when they fit in ``DENSE_BYTES``.

anndata and scanpy (the ``bio`` extra) are imported inside the functions.
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.utils.sparsefuncs import mean_variance_axis

from manabu.base.errors import DataError, MissingExtraError
from manabu.base.i18n import Message
from manabu.unsupervised.neighbours import neighbour_transformer

RESOLUTIONS = (0.2, 0.4, 0.6, 0.8, 1.0, 1.4, 2.0)
SEEDS = 3                  # Leiden runs per resolution: their agreement is its stability
STABILITY_SLACK = 0.05     # candidates this close to the most stable count as stable
HVG_FROM = 2_000           # keep the most variable genes when there are more than this
N_HVG = 2_000
N_PCS = 50
N_NEIGHBOURS = 15
MAX_SCALED = 10.0          # scaled values clipped here, as scanpy's tutorial does
DENSE_BYTES = 2 << 30      # the variable genes are scaled densely (centred) when they fit in this
LOG_MAX = 50.0             # non-integer values above this are not log-scale (TPM and the like)
SILHOUETTE_CELLS = 5_000   # the silhouette is quadratic in cells
MAP_CELLS = 3_000          # cells drawn on the report's UMAP
TOP_MARKERS = 5
DOT_MARKERS = 2            # markers per cluster in the dot plot
WILCOXON_UP_TO = 2e8       # cells × genes; above, the t-test (ranks of every gene are slow)
MIN_CELLS = 20
CLUSTER = "manabu_cluster"
MARKERS = "manabu_markers"
_RUN = "manabu_leiden_run"

Progress = Callable[[str], None]


def scanpy():
    """scanpy, or the message that says how to install it."""
    try:
        import anndata  # noqa: F401
        import scanpy as sc
    except ImportError:
        raise MissingExtraError("cells.missing_bio") from None
    sc.settings.verbosity = 0
    return sc


def cluster_cells(adata, *, resolution: float | str = "auto", seed: int = 0,
                  progress: Progress | None = None, copy: bool = True):
    """``adata`` (an AnnData) clustered: the AnnData of the kept cells with the results written
    in, and the record of every choice (for the report). ``copy=False`` writes into ``adata``
    itself when no cell is dropped, which spares a copy of a large matrix (the command line)."""
    sc = scanpy()
    step = _Steps(progress)
    adata = adata.copy() if copy else adata
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scanpy's future-default notes and the like
        step("check")
        adata, work, record = checked(adata)
        work = prepare(sc, work, record, seed, step)
        step("neighbours")
        neighbours = min(N_NEIGHBOURS, work.n_obs - 1)
        sc.pp.neighbors(work, n_neighbors=neighbours, use_rep="X_pca", random_state=seed,
                        transformer=neighbour_transformer(work.n_obs, neighbours, seed))
        step("leiden")
        record["resolution"] = choose_resolution(sc, work, resolution, seed)
        step("umap")
        sc.tl.umap(work, random_state=seed)
        step("markers")
        record.update(markers(sc, work))
        step("done")
    record.update(seed=seed, seconds=step.seconds, map=_map(work, seed))
    return write_back(adata, work, record), record


class _Steps:
    """Says each step to ``progress`` and times it."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress, self.seconds, self._current, self._since = progress, {}, None, time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        if self._current is not None:
            self.seconds[self._current] = round(now - self._since, 3)
        self._current, self._since = name, now
        if self.progress is not None and name != "done":
            self.progress(name)


# ------------------------------------------------------------------------------ checks

def checked(adata):
    """The cells that can be clustered (the user's object, or a copy without the cells that have
    no counts), the working AnnData (the matrix to prepare, as float32) and the record so far."""
    import anndata as ad
    notices: list[Message] = []
    matrix, genes, where, kind = _source(adata, notices)
    _check_genes(genes)
    keep = _cells_with_counts(matrix) if kind != "scaled" else np.ones(adata.n_obs, bool)
    if not keep.all():
        notices.append(Message("cells.dropped_cells", {"n": int((~keep).sum()), "total": adata.n_obs}))
        adata, matrix = adata[keep].copy(), matrix[keep]
    if adata.n_obs < MIN_CELLS:
        raise DataError("cells.too_few_cells", n=adata.n_obs, least=MIN_CELLS)
    X = sparse.csr_matrix(matrix, dtype=np.float32) if sparse.issparse(matrix) else np.array(matrix, np.float32)
    work = ad.AnnData(X=X, obs=pd.DataFrame(index=adata.obs_names.copy()), var=pd.DataFrame(index=list(genes)))
    record = {"n_cells": int(adata.n_obs), "n_genes": int(len(genes)), "source": where, "kind": kind,
              "dropped_cells": int((~keep).sum()), "steps": [], "notices": [n.to_dict() for n in notices]}
    return adata, work, record


def _source(adata, notices: list[Message]):
    """The matrix to cluster from, its genes, where it was found and what it holds ("counts",
    "log", "unlogged" or "scaled"). A scaled ``X`` (negative values) gives way to
    ``layers['counts']`` or ``raw``, as scanpy's own workflow keeps them."""
    if adata.n_obs == 0 or adata.n_vars == 0:
        raise DataError("cells.empty", cells=adata.n_obs, genes=adata.n_vars)
    if not _negatives(adata.X):
        return adata.X, adata.var_names, "X", _kind(adata.X)
    others = [("layers['counts']", adata.layers["counts"], adata.var_names)] if "counts" in adata.layers else []
    if adata.raw is not None:
        others.append(("raw", adata.raw.X, adata.raw.var_names))
    for where, matrix, genes in others:
        if not _negatives(matrix):
            notices.append(Message("cells.source_instead", {"where": where}))
            return matrix, genes, where, _kind(matrix)
    if _kind(adata.X) == "counts":
        raise DataError("cells.negative_counts", n=_negatives(adata.X))
    notices.append(Message("cells.already_scaled", {}))
    return adata.X, adata.var_names, "X", "scaled"


def _values(matrix, most: int = 1_000_000) -> np.ndarray:
    """Up to ``most`` stored values (a sparse matrix's non-zeros; a dense matrix's first rows)."""
    if sparse.issparse(matrix):
        return np.asarray(matrix.data[:most])
    rows = max(1, most // max(1, matrix.shape[1]))
    return np.asarray(matrix[:rows]).ravel()


def _negatives(matrix) -> int:
    """How many values are below zero (a NaN or an infinity is refused here too)."""
    blocks = [matrix.data] if sparse.issparse(matrix) else (np.asarray(matrix[i:i + 4096])
                                                             for i in range(0, matrix.shape[0], 4096))
    found = 0
    for block in blocks:
        if not np.isfinite(block).all():
            raise DataError("cells.not_finite")
        found += int((block < 0).sum())
    return found


def _kind(matrix) -> str:
    """"counts" for whole numbers, "unlogged" for large non-integers, else "log" (normalised)."""
    values = _values(matrix)
    if values.size == 0 or np.array_equal(values, np.round(values)):
        return "counts"
    return "unlogged" if values.max() > LOG_MAX else "log"


def _check_genes(genes: pd.Index) -> None:
    repeated = pd.Index(genes)[pd.Index(genes).duplicated()].unique()
    if len(repeated):
        raise DataError("cells.duplicate_genes", n=len(repeated), examples=", ".join(map(str, repeated[:5])))


def _cells_with_counts(matrix) -> np.ndarray:
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    return totals > 0


# ------------------------------------------------------------------------------ preparation

def prepare(sc, work, record: dict[str, Any], seed: int, step: _Steps):
    """``work`` normalised, logged, without constant genes, and reduced: its ``X`` ends
    log-normalised (the markers are tested there), ``obsm['X_pca']`` holds the reduced cells."""
    steps = record["steps"]
    step("normalise")
    if record["kind"] in ("counts", "unlogged"):
        target = float(np.median(np.asarray(work.X.sum(axis=1)).ravel()))
        sc.pp.normalize_total(work, target_sum=target)
        sc.pp.log1p(work)
        steps += [{"step": "normalise", "target": target}, {"step": "log1p"}]
    else:
        steps.append({"step": "as_given", "kind": record["kind"]})
    varying = _varying_genes(work.X)
    if not varying.all():  # a constant gene carries nothing, and breaks the dispersion bins
        steps.append({"step": "unexpressed", "dropped": int((~varying).sum()), "of": int(work.n_vars)})
        work = work[:, varying].copy()
    genes = np.ones(work.n_vars, bool)
    if record["kind"] != "scaled" and work.n_vars > HVG_FROM:
        step("genes")
        sc.pp.highly_variable_genes(work, n_top_genes=N_HVG)
        genes = work.var["highly_variable"].to_numpy()
        steps.append({"step": "hvg", "kept": int(genes.sum()), "of": int(work.n_vars)})
    step("pca")
    work.obsm["X_pca"], explained = _reduced(sc, work[:, genes].copy(), record["kind"], seed, steps)
    steps.append({"step": "pca", "components": int(work.obsm["X_pca"].shape[1]), "explained": explained})
    steps.append({"step": "neighbours", "k": int(min(N_NEIGHBOURS, work.n_obs - 1))})
    return work


def _varying_genes(X) -> np.ndarray:
    if sparse.issparse(X):
        _, variance = mean_variance_axis(sparse.csr_matrix(X), axis=0)
    else:
        variance = X.var(axis=0)
    return np.asarray(variance).ravel() > 1e-12


def _reduced(sc, sub, kind: str, seed: int, steps: list) -> tuple[np.ndarray, float]:
    """The principal components of the chosen genes, scaled first (centred when they fit densely;
    a sparse matrix is centred inside the PCA instead)."""
    if kind != "scaled":
        dense = sub.n_obs * sub.n_vars * 4 <= DENSE_BYTES
        if dense and sparse.issparse(sub.X):
            sub.X = sub.X.toarray()
        sc.pp.scale(sub, zero_center=dense, max_value=MAX_SCALED)
        steps.append({"step": "scale", "dense": bool(dense), "max_value": MAX_SCALED})
    components = int(min(N_PCS, sub.n_obs - 1, sub.n_vars - 1))
    sc.pp.pca(sub, n_comps=components, random_state=seed, svd_solver="arpack")
    return np.asarray(sub.obsm["X_pca"], dtype=np.float32), float(np.sum(sub.uns["pca"]["variance_ratio"]))


# ------------------------------------------------------------------------------ clusters

def choose_resolution(sc, work, resolution: float | str, seed: int) -> dict[str, Any]:
    """Leiden at each candidate resolution (or the one given), scored; the chosen clusters are
    left in ``work.obs[CLUSTER]``."""
    given = resolution != "auto"
    candidates, labels = [], {}
    sample = _silhouette_sample(work.n_obs, seed)
    for value in ([float(resolution)] if given else RESOLUTIONS):
        runs = [_leiden(sc, work, value, seed + i) for i in range(SEEDS)]
        labels[value] = runs[0]
        candidates.append(_scored(value, runs, work.obsm["X_pca"], sample))
    chosen = candidates[0] if given else _choice(candidates)
    for candidate in candidates:
        candidate["chosen"] = candidate is chosen
    work.obs[CLUSTER] = _named(labels[chosen["resolution"]])
    return {"chosen": chosen["resolution"], "given": given, "seeds": SEEDS, "candidates": candidates}


def _leiden(sc, work, resolution: float, seed: int) -> np.ndarray:
    sc.tl.leiden(work, resolution=resolution, random_state=seed, key_added=_RUN, flavor="igraph",
                 n_iterations=2, directed=False)
    return work.obs.pop(_RUN).cat.codes.to_numpy()


def _silhouette_sample(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, SILHOUETTE_CELLS, replace=False)) if n > SILHOUETTE_CELLS else np.arange(n)


def _scored(resolution: float, runs: list[np.ndarray], pca: np.ndarray, sample: np.ndarray) -> dict[str, Any]:
    """A candidate: its clusters, stability (mean ARI between the runs) and silhouette."""
    labels = runs[0]
    stability = float(np.mean([adjusted_rand_score(a, b) for a, b in combinations(runs, 2)]))
    k = int(len(np.unique(labels)))
    drawn = labels[sample]
    silhouette = float(silhouette_score(pca[sample], drawn)) if 1 < len(np.unique(drawn)) < len(sample) else None
    return {"resolution": resolution, "clusters": k, "stability": stability, "silhouette": silhouette}


def _choice(candidates: list[dict[str, Any]]) -> dict[str, Any]:
    """Among the stable candidates (within ``STABILITY_SLACK`` of the most stable) with two
    clusters or more, the best separated (highest silhouette); ties go to the finer one."""
    usable = [c for c in candidates if c["silhouette"] is not None]
    if not usable:
        return candidates[0]
    most = max(c["stability"] for c in usable)
    stable = [c for c in usable if c["stability"] >= most - STABILITY_SLACK]
    return max(stable, key=lambda c: (round(c["silhouette"], 3), c["resolution"]))


def _named(labels: np.ndarray) -> pd.Categorical:
    """Clusters named "0", "1", ... by size, largest first (as scanpy's Leiden names them)."""
    values, sizes = np.unique(labels, return_counts=True)
    order = values[np.lexsort((values, -sizes))]
    rename = {old: str(new) for new, old in enumerate(order.tolist())}
    names = [str(i) for i in range(len(order))]
    return pd.Categorical([rename[v] for v in labels], categories=names)


# ------------------------------------------------------------------------------ markers and results

def markers(sc, work) -> dict[str, Any]:
    """Each cluster's size and top marker genes, and the dot plot's numbers."""
    method = "wilcoxon" if work.n_obs * work.n_vars <= WILCOXON_UP_TO else "t-test"
    sizes = work.obs[CLUSTER].value_counts()
    groups = [g for g in work.obs[CLUSTER].cat.categories if sizes[g] >= 2]
    found = {}
    if len(groups) >= 2:
        sc.tl.rank_genes_groups(work, CLUSTER, groups=groups, method=method, use_raw=False, key_added=MARKERS)
        table = sc.get.rank_genes_groups_df(work, None, key=MARKERS)
        found = {str(g): rows.head(TOP_MARKERS) for g, rows in table.groupby("group", observed=True)}
    clusters = [{"cluster": str(g), "size": int(sizes[g]), "share": float(sizes[g] / work.n_obs),
                 "markers": _marker_rows(found.get(str(g)))} for g in work.obs[CLUSTER].cat.categories]
    return {"markers_method": method, "clusters": clusters, "dotplot": _dotplot(work, clusters)}


def _marker_rows(rows: pd.DataFrame | None) -> list[dict[str, Any]]:
    if rows is None:
        return []
    return [{"gene": str(r.names), "score": float(r.scores), "logfc": _finite(r.logfoldchanges),
             "p_adj": _finite(r.pvals_adj)} for r in rows.itertuples()]


def _finite(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _dotplot(work, clusters: list[dict[str, Any]]) -> dict[str, Any]:
    """For the first markers of every cluster: mean expression and share of cells expressing it,
    per cluster (the numbers of scanpy's dot plot)."""
    genes = list(dict.fromkeys(m["gene"] for c in clusters for m in c["markers"][:DOT_MARKERS]))
    if not genes:
        return {"genes": [], "clusters": [], "mean": [], "fraction": []}
    columns = work.var_names.get_indexer(genes)
    X = work.X[:, columns]
    X = X.tocsr() if sparse.issparse(X) else sparse.csr_matrix(X)
    codes = work.obs[CLUSTER].cat.codes.to_numpy()
    onehot = sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                               shape=(len(clusters), len(codes)))
    sizes = np.asarray(onehot.sum(axis=1))
    mean = np.asarray((onehot @ X).todense()) / sizes
    fraction = np.asarray((onehot @ (X > 0).astype(np.float32)).todense()) / sizes
    return {"genes": genes, "clusters": [c["cluster"] for c in clusters],
            "mean": np.round(mean, 4).tolist(), "fraction": np.round(fraction, 4).tolist()}


def _map(work, seed: int) -> dict[str, Any]:
    rows = np.sort(np.random.default_rng(seed).choice(work.n_obs, min(MAP_CELLS, work.n_obs), replace=False))
    points = work.obsm["X_umap"][rows]
    return {"x": np.round(points[:, 0], 3).tolist(), "y": np.round(points[:, 1], 3).tolist(),
            "groups": work.obs[CLUSTER].astype(str).to_numpy()[rows].tolist(), "n": int(work.n_obs)}


def write_back(result, work, record: dict[str, Any]):
    """``result`` (the user's cells) with the results where scanpy keeps them; its matrix stays
    as it was given."""
    result.obs[CLUSTER] = work.obs[CLUSTER].values
    result.obsm["X_pca"] = work.obsm["X_pca"]
    result.obsm["X_umap"] = work.obsm["X_umap"]
    result.obsp["connectivities"] = work.obsp["connectivities"]
    result.obsp["distances"] = work.obsp["distances"]
    result.uns["neighbors"] = dict(work.uns["neighbors"])
    result.varm.pop("PCs", None)  # loadings of an earlier PCA would not match these components
    result.uns.pop("pca", None)
    if MARKERS in work.uns:
        result.uns[MARKERS] = work.uns[MARKERS]
    candidates = record["resolution"]["candidates"]
    result.uns["manabu_cells"] = {
        "resolution": record["resolution"]["chosen"], "seed": record.get("seed", 0), "source": record["source"],
        "candidate_resolution": np.array([c["resolution"] for c in candidates], float),
        "candidate_clusters": np.array([c["clusters"] for c in candidates], int),
        "candidate_stability": np.array([c["stability"] for c in candidates], float),
        "candidate_silhouette": np.array([np.nan if c["silhouette"] is None else c["silhouette"]
                                          for c in candidates], float)}
    return result
