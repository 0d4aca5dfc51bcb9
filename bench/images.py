#!/usr/bin/env python3
"""Image classification on tables of pixels (issue 21's targets): the image network alone, the
tabular families alone, and manabu choosing among all of them, on the same split.

Sets (``../shared/data/images/``): sklearn_digits_8x8 (1,797 digits of 8 x 8 pixels, values
0-16) and mnist_5k (5,000 MNIST digits of 28 x 28, values 0-255). Each is split once, stratified,
80% to train and 20% held out (seed 0). Each run is ``manabu.fit`` with ``--time-limit`` (the
whole call: reading, search, refit); the held-out rows are scored after, on accuracy. Targets:
the network at least 0.98 (digits) and 0.975 (MNIST) within 120 s of training on the CPU, and
the default run choosing the better of the network and the tabular families itself.

    python bench/images.py --time-limit 120 --out bench/results/images_issue21.jsonl
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

import manabu
from manabu.models.zoo import ZOO

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "images"
SETS = {"sklearn_digits_8x8": "target", "mnist_5k": "label"}
TARGETS = {"sklearn_digits_8x8": 0.98, "mnist_5k": 0.975}


def runs() -> dict[str, list[str] | None]:
    tabular = [name for name, entry in ZOO.items() if not entry.needs_images and not entry.needs_text]
    return {"network": ["cnn"], "tabular": tabular, "default": None}


def one(name: str, target: str, run: str, models, time_limit: float) -> dict:
    frame = pd.read_parquet(DATA / f"{name}.parquet")
    train, test = train_test_split(frame, test_size=0.2, random_state=0, stratify=frame[target])
    started = time.monotonic()
    predictor = manabu.fit(train, target, time_limit=time_limit, models=models, verbose=False)
    seconds = time.monotonic() - started
    answered = time.monotonic()
    predicted = predictor.predict(test.drop(columns=[target]))
    return {"set": name, "run": run, "time_limit": time_limit, "seconds": round(seconds, 1),
            "best_model": predictor.record.best_model,
            "accuracy": round(float(accuracy_score(test[target], predicted)), 4),
            "target": TARGETS[name], "predict_s_per_1000": round((time.monotonic() - answered) / len(test) * 1000, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--runs", default="network,tabular,default")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    for name in args.sets.split(","):
        for run in args.runs.split(","):
            row = one(name, SETS[name], run, runs()[run], args.time_limit)
            print(json.dumps(row, ensure_ascii=False), flush=True)
            if args.out:
                with args.out.open("a", encoding="utf-8") as file:
                    file.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
