#!/usr/bin/env python3
"""Anomaly detection quality on anomaly sets built from labelled public data.

Construction (the usual one in the literature, e.g. Emmott et al. 2013; Campos et al. 2016):
for each data set, the most frequent class is kept whole as the normal rows, and rows of one
other class are sampled down to ``--share`` (3%) of the normal rows as the anomalies; the label
column is kept out of the detection and only scores it. Each construction is repeated for
``--seeds`` seeds (the seed picks the sampled anomalies and seeds the detectors). Reported: the
mean ROC-AUC (and its spread over seeds) of manabu's ensemble beside each single detector.

    python bench/anomaly_quality.py
    python bench/anomaly_quality.py --sets segment,letter --seeds 10 --share 0.05
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

import manabu

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "tabular"
DETECTORS = ("ensemble", "isolation_forest", "lof", "robust_covariance")


def anomaly_set(name: str, share: float, seed: int) -> pd.DataFrame:
    meta = json.loads((DATA / name / "meta.json").read_text())
    frame = pd.read_parquet(DATA / name / "train.parquet")
    target = meta["target"]
    counts = frame[target].astype(str).value_counts()
    normal_class, odd_class = counts.index[0], counts.index[1]
    normal = frame[frame[target].astype(str) == normal_class]
    odd = frame[frame[target].astype(str) == odd_class]
    odd = odd.sample(max(1, int(round(share * len(normal)))), random_state=seed)
    rows = pd.concat([normal, odd]).drop(columns=[target])
    rows["is_anomaly"] = ["no"] * len(normal) + ["yes"] * len(odd)
    return rows.sample(frac=1, random_state=seed).reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="segment,letter,vehicle,spambase,phoneme,kc1")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--share", type=float, default=0.03)
    args = parser.parse_args()
    print(f"anomalies: {args.share:.0%} of the normal rows, {args.seeds} seeds; ROC-AUC mean ± sd")
    print(f"{'set':10} {'rows':>6} " + " ".join(f"{d:>20}" for d in DETECTORS))
    for name in args.sets.split(","):
        results = {d: [] for d in DETECTORS}
        rows = 0
        for seed in range(args.seeds):
            frame = anomaly_set(name, args.share, seed)
            rows = len(frame)
            for detector in DETECTORS:
                model = manabu.anomalies(frame, method=detector, eval_label="is_anomaly", seed=seed)
                results[detector].append(model.record["evaluation"]["roc_auc"])
        print(f"{name:10} {rows:6d} " + " ".join(f"{np.mean(v):13.3f} ± {np.std(v):.3f}" for v in results.values()),
              flush=True)


if __name__ == "__main__":
    main()
