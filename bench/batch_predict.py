#!/usr/bin/env python3
"""Batch prediction on a file of 1M rows: rows per second and peak memory of ``manabu predict``,
which reads CSV and Parquet in chunks, beside predicting the whole file at once in one call.

The file is the test rows of a public set repeated to ``--rows`` rows; the model is LightGBM
trained on its training rows. Each run is its own process, and its peak resident memory is
what GNU time reports for it (``/usr/bin/time -f %M``).

    python bench/batch_predict.py                       # adult, 1M rows, CSV
    python bench/batch_predict.py --format parquet --rows 2000000
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "tabular"

WHOLE = """
import sys, manabu
from manabu.data.read import read
manabu.load(sys.argv[1]).predict_frame(read(sys.argv[2])).to_csv(sys.argv[3], index=False)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="adult")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    args = parser.parse_args()

    import manabu

    folder = Path(tempfile.mkdtemp(prefix="batch_predict_"))
    meta = json.loads((DATA / args.set / "meta.json").read_text())
    predictor = manabu.fit(pd.read_parquet(DATA / args.set / "train.parquet"), target=meta["target"],
                           models=["lightgbm"], max_trials=1, time_limit=120, verbose=False)
    model = predictor.save(folder / "model")
    test = pd.read_parquet(DATA / args.set / "test.parquet").drop(columns=[meta["target"]])
    rows = pd.concat([test] * (args.rows // len(test) + 1), ignore_index=True).head(args.rows)
    data = folder / f"rows.{args.format}"
    rows.to_csv(data, index=False) if args.format == "csv" else rows.to_parquet(data)
    size_mb = data.stat().st_size / 2**20
    print(f"{args.set}: {len(rows):,} rows × {rows.shape[1]} columns, {args.format} {size_mb:.0f} MB, "
          f"{rows.memory_usage(deep=True).sum() / 2**20:.0f} MB in memory as a DataFrame")
    del rows, test
    streamed = run([sys.executable, "-m", "manabu.cli", "predict", str(model), str(data), "-o", str(folder / "a.csv")])
    whole = run([sys.executable, "-c", WHOLE, str(model), str(data), str(folder / "b.csv")])
    same = pd.read_csv(folder / "a.csv", usecols=[f"{meta['target']}_predicted"]).equals(
        pd.read_csv(folder / "b.csv", usecols=[f"{meta['target']}_predicted"]))
    print(f"{'':24} {'seconds':>8} {'rows/s':>9} {'peak MB':>8}")
    for name, (seconds, peak) in (("manabu predict (chunks)", streamed), ("whole file in one call", whole)):
        print(f"{name:24} {seconds:8.1f} {args.rows / seconds:9,.0f} {peak:8.0f}")
    print(f"same predictions: {same}")


def run(command: list[str]) -> tuple[float, float]:
    """Seconds and peak resident MB of one process."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as report:
        start = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *command], check=True,
                       stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        return seconds, int(report.read().split()[-1]) / 1024


if __name__ == "__main__":
    main()
