#!/usr/bin/env python3
"""manabu on every public tabular set, the same way the reference systems were run.

Each set: train on ``train.parquet`` within the budget, score ``test.parquet`` with the main
metric of ``../shared/bench/`` (binary ROC-AUC with the second sorted label positive, multiclass
log loss with probabilities clipped to [1e-15, 1 - 1e-15] and renormalised, regression RMSE),
one fit at a time, each in its own process so peak memory is measured per fit.

    python bench/public_tabular.py --time-limit 60            # all sets → bench/results/manabu_public_60s.csv
    python bench/public_tabular.py --time-limit 10 --sets titanic,adult
    python ../shared/bench/score.py ../shared/bench/peers_public_60s.csv --per-set \
        --extra manabu=bench/results/manabu_public_60s.csv
"""
from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score, roc_auc_score

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "tabular"
FIELDS = ["dataset", "task", "peer", "metric", "score", "accuracy", "r2", "fit_wall_s",
          "single_row_latency_ms", "peak_rss_mb", "error"]


def run_one(name: str, time_limit: float, preset: str) -> dict:
    """Runs inside a child process: fit, score, time single-row predictions."""
    import manabu

    meta = json.loads((DATA / name / "meta.json").read_text())
    train = pd.read_parquet(DATA / name / "train.parquet")
    test = pd.read_parquet(DATA / name / "test.parquet")
    target, task = meta["target"], meta["task"]
    import psutil

    rss_before = psutil.Process().memory_info().rss / 2**20
    start = time.perf_counter()
    predictor = manabu.fit(train, target=target, task=task, time_limit=time_limit, preset=preset, verbose=False)
    fit_wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    features = test.drop(columns=[target])
    row = {"dataset": name, "task": task, "peer": "manabu", "fit_wall_s": fit_wall,
           "data_mb": train.memory_usage(deep=True).sum() / 2**20, "fit_peak_increase_mb": max(0.0, peak - rss_before)}
    if task == "regression":
        y = test[target].to_numpy(dtype=float)
        pred = predictor.predict(features).to_numpy(dtype=float)
        row.update(metric="rmse", score=float(np.sqrt(mean_squared_error(y, pred))), r2=float(r2_score(y, pred)))
    else:
        proba = predictor.predict_proba(features)
        labels = list(proba.columns)  # the classes, sorted as the reference figures sort them
        assert labels == sorted(pd.unique(train[target].dropna()).tolist())
        p = proba.to_numpy(dtype=float)
        y = test[target].to_numpy()
        predicted = np.asarray(labels, dtype=object)[p.argmax(axis=1)]
        row["accuracy"] = float(accuracy_score(y.astype(str), predicted.astype(str)))
        if task == "binary":
            row.update(metric="roc_auc", score=float(roc_auc_score(y == labels[1], p[:, 1])))
        else:
            clipped = np.clip(p, 1e-15, 1 - 1e-15)
            clipped /= clipped.sum(axis=1, keepdims=True)
            row.update(metric="log_loss", score=float(log_loss(y, clipped, labels=labels)))
    one = features.iloc[[0]]
    predictor.predict(one)  # warm-up
    timings = []
    for i in range(50):
        t0 = time.perf_counter()
        predictor.predict(features.iloc[[i % len(features)]])
        timings.append((time.perf_counter() - t0) * 1000)
    row["single_row_latency_ms"] = statistics.median(timings)
    row["best_model"] = predictor.record.best_model
    row["n_candidates"] = sum(1 for r in predictor.record.leaderboard if r["status"] == "ok")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--sets", help="comma-separated subset of data sets")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--preset", default="balanced", choices=["fast", "balanced", "best"])
    args = parser.parse_args()
    if args.child:
        row = run_one(args.child, args.time_limit, args.preset)
        row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("RESULT " + json.dumps(row))
        return
    names = args.sets.split(",") if args.sets else sorted(p.name for p in DATA.iterdir() if p.is_dir())
    suffix = "" if args.preset == "balanced" else f"_{args.preset}"
    out = args.out or HERE / "results" / f"manabu_public_{args.time_limit:g}s{suffix}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in names:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--child", name, "--time-limit", str(args.time_limit),
                               "--preset", args.preset],
                              capture_output=True, text=True)
        lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
        if lines:
            row = json.loads(lines[-1][len("RESULT "):])
        else:
            row = {"dataset": name, "peer": "manabu", "error": proc.stderr.strip().splitlines()[-1:] or "no result"}
        rows.append(row)
        print(f"{name:24s} {row.get('metric', ''):8s} {row.get('score', float('nan')):.5f} "
              f"fit {row.get('fit_wall_s', 0):6.1f}s  latency {row.get('single_row_latency_ms', 0):6.2f}ms  "
              f"peak {row.get('peak_rss_mb', 0):7.0f}MB  best {row.get('best_model', '')}  "
              f"(wall {time.perf_counter() - started:.0f}s) {row.get('error') or ''}", flush=True)
    with open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS + ["best_model", "n_candidates", "data_mb",
                                                             "fit_peak_increase_mb"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
