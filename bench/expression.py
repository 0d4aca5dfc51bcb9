"""Expression data (issue 23's targets): held-out accuracy of manabu on golub_leukemia (72 samples
x 7,129 genes) and pbmc68k_reduced (700 cells, read from its .h5ad), beside a logistic
regression on the same split (seed 0, 20% held out, stratified). manabu gets the genes and the
label only (pbmc68k's other annotations, such as its Louvain clusters, are left out).

    python bench/expression.py --out bench/results/expression_issue23.jsonl
"""
from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "genomics"
SETS = {"golub_leukemia": ("golub_leukemia.parquet", "cancer"),
        "pbmc68k_reduced": ("pbmc68k_reduced.h5ad", "bulk_labels")}


def genes_and_label(name: str) -> tuple[pd.DataFrame, str]:
    from manabu.data.read import read

    file, target = SETS[name]
    frame = read(str(DATA / file))
    genes = list(frame.attrs.get("manabu_expression", {}).get("genes") or [])
    if not genes:  # a table read as it is: every numeric column but the label is a gene
        genes = [c for c in frame.columns if c != target and pd.api.types.is_numeric_dtype(frame[c])]
    return frame[[*genes, target]].reset_index(drop=True), target


def logistic_baseline(train: pd.DataFrame, test: pd.DataFrame, target: str) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    started = time.monotonic()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(train.drop(columns=target), train[target])
    accuracy = float((model.predict(test.drop(columns=target)) == test[target]).mean())
    return accuracy, time.monotonic() - started


def one_run(name: str, time_limit: float) -> dict:
    import manabu
    from sklearn.model_selection import train_test_split

    frame, target = genes_and_label(name)
    train, test = train_test_split(frame, test_size=0.2, random_state=0, stratify=frame[target])
    started = time.monotonic()
    predictor = manabu.fit(train, target=target, time_limit=time_limit, verbose=False)
    seconds = time.monotonic() - started
    accuracy = float((np.asarray(predictor.predict(test.drop(columns=target))) == test[target].to_numpy()).mean())
    baseline, baseline_seconds = logistic_baseline(train, test, target)
    print(f"  {name}: manabu {accuracy:.3f} ({predictor.record.best_model}, {seconds:.0f} s), "
          f"logistic regression {baseline:.3f}", flush=True)
    return {"set": name, "rows": len(frame), "genes": frame.shape[1] - 1, "test_rows": len(test),
            "manabu_accuracy": accuracy, "manabu_seconds": round(seconds, 1), "chosen": predictor.record.best_model,
            "logistic_accuracy": baseline, "logistic_seconds": round(baseline_seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--sets", nargs="*", default=list(SETS))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    stamp = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "note": args.note,
             "cpus": os.cpu_count(), "time_limit": args.time_limit}
    for name in args.sets:
        row = {**stamp, **one_run(name, args.time_limit)}
        if args.out:
            with args.out.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
