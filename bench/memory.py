#!/usr/bin/env python3
"""Peak memory of training, against the size of the training data.

A process that has trained once already holds its libraries (LightGBM, XGBoost, CatBoost,
scikit-learn: 200 MB or so of code and thread pools) whatever the data; what training itself
takes is the rise above that. So the child process first trains on 300 rows (the warm-up), then
trains on the whole set while a thread samples its resident memory every 20 ms, and reports:
the process before anything (cold), after the warm-up (warm), the peak during the real fit, and
the peak of each candidate and of the final refit, each as a multiple of the data's size.

``--copies N`` stacks N copies of the set (numbers jittered by 5% of their spread, so rows
differ) to see how the rise grows with the data, past the fixed cost of small sets.

    python bench/memory.py --set adult --time-limit 60
    python bench/memory.py --set adult --copies 10 --time-limit 120
"""
from __future__ import annotations

import argparse
import gc
import json
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "tabular"
MB = 2 ** 20


def stacked(frame: pd.DataFrame, copies: int, seed: int = 0) -> pd.DataFrame:
    if copies <= 1:
        return frame
    rng = np.random.default_rng(seed)
    parts = [frame]
    for _ in range(copies - 1):
        part = frame.copy()
        for column in part.select_dtypes("number").columns:
            part[column] = part[column] + rng.normal(0, part[column].std() * 0.05, len(part))
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def check_set_and_copies(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """One clear message for an unknown ``--set`` or ``--copies`` below 1 (shared by scripts)."""
    known = sorted(p.name for p in DATA.iterdir() if p.is_dir()) if DATA.is_dir() else []
    if args.set not in known:
        parser.error(f"no data set {args.set!r} in {DATA}; choose one of: {', '.join(known) or '(none found)'}")
    if args.copies < 1:
        parser.error("--copies must be 1 or more")


class PeakWatch:
    """Samples the resident memory in a thread; ``take()`` returns the peak since the last take."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = 0.0
        threading.Thread(target=self._watch, daemon=True).start()

    def rss(self) -> float:
        return self.process.memory_info().rss / MB

    def _watch(self) -> None:
        while True:  # a daemon thread: it ends with the process
            self.peak = max(self.peak, self.rss())
            time.sleep(0.02)

    def take(self) -> float:
        peak, self.peak = max(self.peak, self.rss()), 0.0
        return peak


class Steps:
    """A search listener that notes the peak of every candidate."""

    def __init__(self, watch: PeakWatch, warm: float) -> None:
        self.watch, self.warm, self.rows = watch, warm, []
        self.current: str | None = None  # the step after the search under way (refit, report)

    def _note(self, what: str) -> None:
        self.rows.append((what, self.watch.take() - self.warm))

    def search_started(self, budget) -> None:
        self._note("before the search (reading, schema, folds)")

    def candidate_started(self, candidate) -> None:
        self.watch.take()

    def candidate_finished(self, result, best) -> None:
        self._note(f"{result.candidate.name} ({result.status})")

    def notice(self, message) -> None:
        pass

    def search_finished(self) -> None:
        self.watch.take()

    def stage(self, message) -> None:
        """The steps after the search (the refit, the report's measurements): each one's peak
        is noted when the next begins."""
        if self.current is not None:
            self._note(self.current)
        else:
            self.watch.take()
        self.current = None if message is None else message.key.rsplit(".", 1)[-1].replace("stage_", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="adult")
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--preset", default="balanced", choices=["fast", "balanced", "best"])
    args = parser.parse_args()
    check_set_and_copies(parser, args)

    watch = PeakWatch()
    cold = watch.rss()
    import manabu
    from manabu.training.config import TrainConfig
    from manabu.training.run import train

    meta = json.loads((DATA / args.set / "meta.json").read_text())
    frame = stacked(pd.read_parquet(DATA / args.set / "train.parquet"), args.copies)
    data_mb = frame.memory_usage(deep=True).sum() / MB
    manabu.fit(frame.sample(300, random_state=0), target=meta["target"], task=meta["task"], time_limit=5,
               verbose=False)
    gc.collect()
    warm = watch.rss()
    watch.take()
    steps = Steps(watch, warm)
    config = TrainConfig(target=meta["target"], time_limit=args.time_limit, task=meta["task"], preset=args.preset)
    predictor = train(frame, config, steps)
    steps.rows.append(("final choice and refit: " + predictor.record.best_model, watch.take() - warm))
    whole = max(rise for _, rise in steps.rows)
    print(f"{args.set} x{args.copies}: {len(frame):,} rows, {data_mb:.1f} MB in memory; "
          f"process {cold:.0f} MB cold, {warm:.0f} MB warm")
    print(f"peak rise above warm: {whole:.0f} MB = {whole / data_mb:.1f}x the data "
          f"(peak resident {warm + whole:.0f} MB = {(warm + whole) / data_mb:.1f}x)")
    for what, rise in steps.rows:
        print(f"  {rise:7.0f} MB  {rise / data_mb:6.1f}x  {what}")


if __name__ == "__main__":
    main()
