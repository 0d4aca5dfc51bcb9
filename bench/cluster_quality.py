#!/usr/bin/env python3
"""Clustering quality and scale.

Quality: on labelled data (the labels are hidden from the clustering and used only to score
it), the adjusted Rand index of ``manabu.cluster`` with ``k="auto"`` beside plain scikit-learn
KMeans told the true number of classes (numbers standardised, categories one-hot encoded,
``n_init=10``). Sets: iris, wine and digits (shipped with scikit-learn), and the public sets
penguins, segment and vehicle (training rows, target dropped).

Scale: ``--scale`` clusters ``--rows`` rows × 20 numeric columns (8 Gaussian blobs) with
``k="auto"`` and reports the time and the process's peak resident memory.

    python bench/cluster_quality.py
    python bench/cluster_quality.py --scale --rows 1000000
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits, load_iris, load_wine, make_blobs
from sklearn.impute import SimpleImputer
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import manabu

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "tabular"


def labelled_sets():
    for name, loader in (("iris", load_iris), ("wine", load_wine), ("digits", load_digits)):
        bunch = loader(as_frame=True)
        yield name, bunch.data, bunch.target.to_numpy()
    for name in ("penguins", "segment", "vehicle"):
        meta = json.loads((DATA / name / "meta.json").read_text())
        frame = pd.read_parquet(DATA / name / "train.parquet")
        yield name, frame.drop(columns=[meta["target"]]), frame[meta["target"]].astype(str).to_numpy()


def plain_kmeans(X: pd.DataFrame, k: int) -> np.ndarray:
    numbers = X.select_dtypes("number").columns.tolist()
    others = [c for c in X.columns if c not in numbers]
    prepare = ColumnTransformer([("num", make_pipeline(SimpleImputer(), StandardScaler()), numbers),
                                 ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), others)])
    return make_pipeline(prepare, KMeans(k, n_init=10, random_state=0)).fit_predict(X.astype(
        {c: str for c in others}))


def quality() -> None:
    print(f"{'set':10} {'rows':>6} {'true k':>6} {'manabu k':>8} {'manabu ARI':>10} {'KMeans(true k) ARI':>18} {'s':>5}")
    for name, X, y in labelled_sets():
        start = time.perf_counter()
        model = manabu.cluster(X)
        seconds = time.perf_counter() - start
        true_k = len(np.unique(y))
        print(f"{name:10} {len(X):6d} {true_k:6d} {model.k:8d} {adjusted_rand_score(y, model.labels_):10.3f} "
              f"{adjusted_rand_score(y, plain_kmeans(X, true_k)):18.3f} {seconds:5.1f}", flush=True)


def scale(rows: int) -> None:
    X, y = make_blobs(rows, n_features=20, centers=8, cluster_std=1.0, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(20)])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    model = manabu.cluster(frame)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{rows:,} rows × 20 columns, k auto: k = {model.k} (8 blobs), ARI {adjusted_rand_score(y, model.labels_):.3f}, "
          f"{seconds:.1f} s; peak resident memory {peak:.0f} MB (data {frame.memory_usage().sum() / 2**20:.0f} MB, "
          f"{before:.0f} MB before clustering)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", action="store_true")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    scale(args.rows) if args.scale else quality()
