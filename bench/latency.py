#!/usr/bin/env python3
"""Prediction latency: one row at a time, and rows per second on a large batch, with and
without the row path (``manabu.inference``), side by side.

For each data set: train on ``train.parquet`` (or load a saved model), then time
``predictor.predict(test.iloc[[i]])`` over many calls, alternating blocks of calls between
the original path (``read`` + the general ``Schema.prepare`` + the scikit-learn pipeline) and
the fast one (the small-frame prepare + the row path), so that both see the same machine
load; report the medians. The batch is the test rows repeated to ``--rows`` rows, predicted
in one call each way (both take the vectorised path: the row path is only for few rows).

    python bench/latency.py                                   # titanic, LightGBM
    python bench/latency.py --sets titanic,adult,house_prices --models xgboost
    python bench/latency.py --sets titanic --models '' --preset best --max-trials 0 --time-limit 60
    python bench/latency.py --load models/titanic --sets titanic              # a saved model
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

import manabu
import manabu.data.schema.model as schema_module
import manabu.training.predictor as predictor_module
from manabu.inference import Unsupported, build_row_path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "tabular"
BLOCKS = 10  # alternating blocks of calls per path


@contextlib.contextmanager
def original_path():
    """Predictions as before the row path: every frame through read and the general prepare."""
    saved = predictor_module.ROW_PATH_MAX_ROWS, schema_module.SMALL_FRAME_ROWS
    predictor_module.ROW_PATH_MAX_ROWS, schema_module.SMALL_FRAME_ROWS = 0, 0
    try:
        yield
    finally:
        predictor_module.ROW_PATH_MAX_ROWS, schema_module.SMALL_FRAME_ROWS = saved


def single_row_ms(predictor, rows: list[pd.DataFrame], calls: int) -> tuple[float, float]:
    """Median milliseconds of one ``predict`` call, (original, fast), measured in alternation."""
    timings: dict[bool, list[float]] = {False: [], True: []}
    per_block = max(1, calls // BLOCKS)
    for block in range(2 * BLOCKS):
        fast = block % 2 == 1
        with contextlib.nullcontext() if fast else original_path():
            for i in range(per_block):
                row = rows[(block * per_block + i) % len(rows)]
                start = time.perf_counter()
                predictor.predict(row)
                timings[fast].append(time.perf_counter() - start)
    return statistics.median(timings[False]) * 1e3, statistics.median(timings[True]) * 1e3


def rows_per_second(predictor, batch: pd.DataFrame, fast: bool) -> float:
    with contextlib.nullcontext() if fast else original_path():
        start = time.perf_counter()
        predictor.predict(batch)
        return len(batch) / (time.perf_counter() - start)


def model_of(args, name: str, meta: dict, train: pd.DataFrame):
    if args.load:
        return manabu.load(args.load)
    models = args.models.split(",") if args.models else None
    return manabu.fit(train, target=meta["target"], task=meta["task"], models=models, preset=args.preset,
                      max_trials=args.max_trials or None, time_limit=args.time_limit, verbose=False)


def describe(predictor) -> str:
    pipeline = predictor.pipeline
    members = getattr(pipeline, "members", None)
    if members is not None:
        return "ensemble(" + "+".join(name for name, _ in members) + ")"
    return predictor.record.best_model


def run(args, name: str) -> dict:
    meta = json.loads((DATA / name / "meta.json").read_text())
    train = pd.read_parquet(DATA / name / "train.parquet")
    test = pd.read_parquet(DATA / name / "test.parquet").drop(columns=[meta["target"]])
    predictor = model_of(args, name, meta, train)
    start = time.perf_counter()
    try:
        build_row_path(predictor.pipeline, predictor.schema)
        why = "yes"
    except Unsupported as reason:
        why = f"no: {reason}"
    build_ms = (time.perf_counter() - start) * 1e3
    rows = [test.iloc[[i]] for i in range(len(test))]
    predictor.predict(rows[0])  # builds the row path the predictor keeps
    with original_path():
        predictor.predict(rows[0])
    original_ms, fast_ms = single_row_ms(predictor, rows, args.calls)
    batch = test.iloc[np.arange(args.rows) % len(test)].reset_index(drop=True)
    original_rps = fast_rps = 0.0
    for _ in range(args.repeat):  # in turns, so that both see the same warm-up and load
        original_rps = max(original_rps, rows_per_second(predictor, batch, fast=False))
        fast_rps = max(fast_rps, rows_per_second(predictor, batch, fast=True))
    return {"set": name, "model": describe(predictor), "row_path": why, "build_ms": build_ms,
            "original_ms": original_ms, "fast_ms": fast_ms, "original_rps": original_rps, "fast_rps": fast_rps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="titanic", help="comma-separated data sets (folders of %s)" % DATA)
    parser.add_argument("--models", default="lightgbm", help="families to train (comma-separated; '' for the preset's)")
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--max-trials", type=int, default=1, help="candidates tried (0: as many as time allows)")
    parser.add_argument("--load", help="a saved model folder to time instead of training one")
    parser.add_argument("--calls", type=int, default=2000, help="single-row calls per path")
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the batch")
    parser.add_argument("--repeat", type=int, default=2, help="batch calls per path (the best counts)")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# {os.cpu_count()} cores, load average {load:.2f}; medians of {args.calls} single-row calls "
          f"per path, batch of {args.rows:,} rows (best of {args.repeat})", flush=True)
    print(f"{'set':22s} {'model':34s} {'row path':9s} {'build ms':>8s} {'original ms':>11s} {'fast ms':>8s} "
          f"{'speed-up':>8s} {'original rows/s':>15s} {'fast rows/s':>12s}")
    for name in args.sets.split(","):
        r = run(args, name)
        print(f"{r['set']:22s} {r['model'][:34]:34s} {r['row_path'][:9]:9s} {r['build_ms']:8.0f} "
              f"{r['original_ms']:11.3f} {r['fast_ms']:8.3f} {r['original_ms'] / r['fast_ms']:7.0f}x "
              f"{r['original_rps']:15,.0f} {r['fast_rps']:12,.0f}", flush=True)
        if not r["row_path"].startswith("yes"):
            print(f"  ({r['row_path']})")


if __name__ == "__main__":
    main()
