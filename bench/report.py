#!/usr/bin/env python3
"""Size and build time of the HTML report, and what the numbers behind it cost in training.

Trains on a public set (or a set stacked N times, or widened to many columns), then times the
two steps apart: ``profile_data`` + diagnostics (done inside training, after the refit) and the
page itself (charts and HTML, done when the model is saved or by ``manabu report``).

    python bench/report.py --set adult --time-limit 30
    python bench/report.py --set adult --copies 25 --time-limit 60     # about 1M rows
    python bench/report.py --set adult --wide 2000 --time-limit 60     # 2,000 columns
"""
from __future__ import annotations

import argparse
import json
import time
import numpy as np
import pandas as pd

from memory import DATA, check_set_and_copies, stacked  # noqa: E402  (bench/ is the script's folder)


def widened(frame: pd.DataFrame, columns: int, seed: int = 0) -> pd.DataFrame:
    """``frame`` with numeric noise columns added up to ``columns`` columns."""
    rng = np.random.default_rng(seed)
    extra = max(columns - frame.shape[1], 0)
    noise = pd.DataFrame(rng.normal(size=(len(frame), extra)), columns=[f"noise_{i}" for i in range(extra)],
                         index=frame.index)
    return pd.concat([frame, noise], axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="adult")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--copies", type=int, default=1, help="stack this many jittered copies of the rows")
    parser.add_argument("--wide", type=int, default=0, help="add noise columns up to this many columns")
    args = parser.parse_args()
    check_set_and_copies(parser, args)

    import manabu
    from manabu.data.profile import profile_data
    from manabu.data.schema import infer_schema
    from manabu.report import predictor_report

    meta = json.loads((DATA / args.set / "meta.json").read_text())
    frame = pd.read_parquet(DATA / args.set / "train.parquet")
    frame = stacked(frame, args.copies)
    frame = widened(frame, args.wide) if args.wide else frame
    predictor = manabu.fit(frame, target=meta["target"], task=meta["task"], time_limit=args.time_limit,
                           verbose=False)
    schema = infer_schema(frame, meta["target"])
    start = time.perf_counter()
    profile_data(frame, schema, meta["task"])
    profile_seconds = time.perf_counter() - start
    timings, page = [], ""
    for lang in ("ja", "en"):
        start = time.perf_counter()
        page = predictor_report(predictor, lang=lang)
        timings.append(time.perf_counter() - start)
    numbers = json.dumps(predictor.record.report, ensure_ascii=False).encode("utf-8")
    print(f"{args.set} x{args.copies}{f' wide {args.wide}' if args.wide else ''}: {len(frame):,} rows, "
          f"{frame.shape[1]:,} columns; model {predictor.record.best_model}")
    print(f"  profile (inside training)   {profile_seconds:6.2f} s")
    print(f"  page (ja, en)               {timings[0]:6.2f} s, {timings[1]:6.2f} s")
    print(f"  page size                   {len(page.encode('utf-8')) / 1024:6.0f} KiB, {page.count('<svg')} charts")
    print(f"  numbers in the manifest     {len(numbers) / 1024:6.0f} KiB")


if __name__ == "__main__":
    main()
