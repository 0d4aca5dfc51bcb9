#!/usr/bin/env python3
"""``manabu cluster`` on cells: agreement with known labels, and time and memory at scale.

Quality (``--quality``, the default): on pbmc68k_reduced (700 cells, ``obs['bulk_labels']``), the
adjusted Rand index of manabu's clusters (resolution chosen) beside scanpy's default Leiden
(resolution 1) on the same data, for ``--seeds`` seeds. Two scanpy baselines:
``tutorial``: scanpy's clustering tutorial from the log-normalised values (``.raw``): highly
variable genes (min_mean 0.0125, max_mean 3, min_disp 0.5), scale (max 10), PCA, neighbours
(10, 40 PCs), Leiden at 1; ``as_given``: the scaled ``X`` as the file holds it, PCA, neighbours
and Leiden at 1, every setting scanpy's default.

Scale (``--cells N --genes M``): synthetic sparse Poisson counts of ``--groups`` cell types (each
with 50 genes of its own raised sixfold; about 3,000 counts per cell, as in 10x data), clustered
in this process while a thread samples its resident memory every 50 ms. Reported: the matrix's
size, the wall time of each step, the peak resident memory and its rise above the process with
the data loaded, and the ARI against the generating cell types.

    python bench/cells.py                                   # quality on pbmc68k_reduced
    python bench/cells.py --cells 5000 --genes 5000         # scale
    python bench/cells.py --cells 50000 --genes 20000
    python bench/cells.py --cells 50000 --genes 20000 --supervised   # `manabu train`'s way instead

Supervised (``--supervised``): the same counts learnt as cell types (``manabu.fit`` on 80% of the
cells, ``--time-limit`` seconds, the matrix kept sparse: ``data.gene_matrix``), the held-out
accuracy, the wall time and the peak resident memory beside what the matrix would take dense.
"""
from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

import numpy as np
import psutil
from scipy import sparse
from sklearn.metrics import adjusted_rand_score

PBMC = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "genomics" / "pbmc68k_reduced.h5ad"
MB = 2 ** 20


def scanpy_tutorial(adata, seed: int) -> np.ndarray:
    """scanpy's clustering tutorial from log-normalised values; Leiden at resolution 1."""
    import scanpy as sc
    work = adata.raw.to_adata() if adata.raw is not None else adata.copy()
    sc.pp.highly_variable_genes(work, min_mean=0.0125, max_mean=3, min_disp=0.5)
    work = work[:, work.var["highly_variable"]].copy()
    sc.pp.scale(work, max_value=10)
    sc.pp.pca(work, svd_solver="arpack", random_state=seed)
    sc.pp.neighbors(work, n_neighbors=10, n_pcs=40, random_state=seed)
    sc.tl.leiden(work, resolution=1, random_state=seed, flavor="igraph", n_iterations=2, directed=False)
    return work.obs["leiden"].to_numpy()


def scanpy_as_given(adata, seed: int) -> np.ndarray:
    """scanpy's defaults on ``X`` as the file holds it: PCA, neighbours, Leiden at resolution 1."""
    import scanpy as sc
    work = adata.copy()
    sc.pp.pca(work, random_state=seed)
    sc.pp.neighbors(work, random_state=seed)
    sc.tl.leiden(work, resolution=1, random_state=seed, flavor="igraph", n_iterations=2, directed=False)
    return work.obs["leiden"].to_numpy()


def quality(seeds: int) -> None:
    import anndata as ad
    from manabu.unsupervised.cells_model import cluster_file

    adata = ad.read_h5ad(PBMC)
    truth = adata.obs["bulk_labels"].to_numpy()
    found: dict[str, list[tuple[float, int]]] = {"manabu": [], "scanpy_tutorial": [], "scanpy_as_given": []}
    for seed in range(seeds):
        model = cluster_file(PBMC, seed=seed)
        found["manabu"].append((adjusted_rand_score(truth, model.labels_), len(model.record["clusters"])))
        for name, method in (("scanpy_tutorial", scanpy_tutorial), ("scanpy_as_given", scanpy_as_given)):
            labels = method(adata, seed)
            found[name].append((adjusted_rand_score(truth, labels), len(set(labels))))
        chosen = model.record["resolution"]["chosen"]
        print(f"seed {seed}: manabu resolution {chosen:g}: " + ", ".join(
            f"{name} ARI {runs[-1][0]:.3f} ({runs[-1][1]} clusters)" for name, runs in found.items()))
    print(f"pbmc68k_reduced, bulk_labels ({len(set(truth))} labels), {seeds} seeds: ARI mean ± sd")
    for name, runs in found.items():
        scores = np.array([r[0] for r in runs])
        print(f"  {name:16} {scores.mean():.3f} ± {scores.std():.3f}  clusters {[r[1] for r in runs]}")


def synthetic_counts(cells: int, genes: int, groups: int, seed: int = 0, block: int = 1_000):
    """Sparse Poisson counts (CSR, int32) and each cell's type, drawn a block of cells at a time
    so that no dense cells × genes matrix is ever made."""
    import anndata as ad
    rng = np.random.default_rng(seed)
    base = rng.lognormal(-2.5, 1.5, genes)
    base *= 3_000 / base.sum()
    means = np.tile(base, (groups, 1))
    for group in range(groups):
        means[group, rng.choice(genes, 50, replace=False)] *= 6
    kind = rng.integers(0, groups, cells)
    parts = []
    for start in range(0, cells, block):
        rows = kind[start:start + block]
        depth = rng.lognormal(0, 0.3, (len(rows), 1))
        parts.append(sparse.csr_matrix(rng.poisson(means[rows] * depth).astype(np.int32)))
    adata = ad.AnnData(sparse.vstack(parts, format="csr"))
    adata.obs_names = [f"c{i}" for i in range(cells)]
    adata.var_names = [f"g{j}" for j in range(genes)]
    return adata, kind


class PeakWatch:
    """The peak resident memory of this process, sampled in a thread."""

    def __init__(self) -> None:
        self.process, self.peak, self._stop = psutil.Process(), 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.05)

    def __enter__(self) -> PeakWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def scale(cells: int, genes: int, groups: int, seed: int) -> None:
    from manabu.unsupervised.cells import cluster_cells

    started = time.perf_counter()
    adata, kind = synthetic_counts(cells, genes, groups, seed)
    made = time.perf_counter() - started
    X = adata.X
    data_mb = (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / MB
    before = psutil.Process().memory_info().rss
    print(f"{cells:,} cells × {genes:,} genes: {X.nnz:,} non-zeros ({X.nnz / cells / genes:.1%}), "
          f"{data_mb:,.0f} MB as CSR; drawn in {made:.0f} s; process {before / MB:,.0f} MB")
    with PeakWatch() as watch:
        started = time.perf_counter()
        def say(step: str) -> None:
            print(f"  {time.perf_counter() - started:7.1f} s  {step}", flush=True)
        clustered, record = cluster_cells(adata, seed=seed, copy=False, progress=say)
        wall = time.perf_counter() - started
    ari = adjusted_rand_score(kind, clustered.obs["manabu_cluster"])
    result = {"cells": cells, "genes": genes, "nnz": int(X.nnz), "data_mb": round(data_mb),
              "seconds": round(wall, 1), "steps": record["seconds"], "peak_mb": round(watch.peak / MB),
              "rise_mb": round((watch.peak - before) / MB), "resolution": record["resolution"]["chosen"],
              "clusters": len(record["clusters"]), "ari_vs_types": round(ari, 3), "markers": record["markers_method"],
              "cpus": psutil.cpu_count()}
    print(json.dumps(result))


def supervised(cells: int, genes: int, groups: int, seed: int, time_limit: float) -> None:
    import manabu
    import pandas as pd
    from manabu.data.gene_matrix import GENES_COLUMN, GeneMatrixArray

    adata, kind = synthetic_counts(cells, genes, groups, seed)
    frame = pd.DataFrame({"cell_type": [f"type{k}" for k in kind],
                          GENES_COLUMN: GeneMatrixArray(adata.X, adata.var_names)})
    held = np.random.default_rng(seed).random(cells) < 0.2
    before = psutil.Process().memory_info().rss
    with PeakWatch() as watch:
        started = time.perf_counter()
        predictor = manabu.fit(frame[~held], target="cell_type", time_limit=time_limit, seed=seed, verbose=False)
        wall = time.perf_counter() - started
    accuracy = float((predictor.predict(frame[held]).to_numpy() == frame["cell_type"][held].to_numpy()).mean())
    result = {"cells": cells, "genes": genes, "nnz": int(adata.X.nnz), "time_limit": time_limit,
              "seconds": round(wall, 1), "peak_mb": round(watch.peak / MB), "rise_mb": round((watch.peak - before) / MB),
              "dense_float32_mb": round(cells * genes * 4 / MB), "held_out_accuracy": round(accuracy, 4),
              "chosen": predictor.record.best_model, "steps": predictor.record.to_dict().get("timings"),
              "cpus": psutil.cpu_count()}
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, help="cells of the synthetic counts (with --genes: the scale run)")
    parser.add_argument("--genes", type=int, default=20_000)
    parser.add_argument("--groups", type=int, default=8, help="cell types in the synthetic counts")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the quality run")
    parser.add_argument("--seed", type=int, default=0, help="seed of the scale run")
    parser.add_argument("--supervised", action="store_true", help="learn the cell types instead of clustering")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds of the supervised run")
    args = parser.parse_args()
    if args.cells and args.supervised:
        supervised(args.cells, args.genes, args.groups, args.seed, args.time_limit)
    elif args.cells:
        scale(args.cells, args.genes, args.groups, args.seed)
    else:
        if not PBMC.is_file():
            parser.error(f"{PBMC} is not here")
        quality(args.seeds)


if __name__ == "__main__":
    main()
