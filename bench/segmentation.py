#!/usr/bin/env python3
"""Segmentation of the ISBI 2012 EM membranes (issue 21's target): a U-Net trained by
``manabu.segment`` within ``--time-limit`` seconds on 24 images, scored on the other 6.

The set (``../shared/data/images/isbi2012_em_membrane/``): 30 serial-section EM images of
512 x 512 pixels (image/N.png) and their labels (label/N.png), membranes black (0) and cells
white (255). The split is fixed: the images numbered 0-23 train (in their numeric order, the
first 24 slices of the stack), 24-29 are held out, each side linked into a folder of its own so
that ``segment`` reads it as a user's folders. ``segment`` holds out a tenth of its 24 (2 images)
to stop early; the 6 held-out images are never seen in training.

The figures: pixel accuracy over the 6 images, Dice and IoU of the membrane class (mask value 0)
over all their pixels, Dice of the cells, the training seconds (the whole ``segment`` call:
reading, training to the deadline, scoring its own held-out tenth) and the network's epochs.
Targets: pixel accuracy at least 0.90 and membrane Dice at least 0.75 within 600 s on 2 CPU
cores. Each run appends one JSON line to ``--out``.

    python bench/segmentation.py --out bench/results/segmentation_issue21.jsonl --note "..."
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "images" / "isbi2012_em_membrane"
MEMBRANE = 0          # the mask value of the membranes (black in the ISBI labels)
TRAIN = range(0, 24)
TEST = range(24, 30)
TARGETS = {"pixel_accuracy": 0.90, "dice_membrane": 0.75}


def linked_split(root: Path) -> dict[str, Path]:
    """train/{images,masks} and test/{images,masks} under ``root``, as links to the set's files."""
    folders = {}
    for part, numbers in (("train", TRAIN), ("test", TEST)):
        for kind, source in (("images", "image"), ("masks", "label")):
            folder = root / part / kind
            folder.mkdir(parents=True)
            for number in numbers:
                (folder / f"{number}.png").symlink_to(DATA / source / f"{number}.png")
            folders[f"{part}_{kind}"] = folder
    return folders


def run(args: argparse.Namespace) -> dict:
    import manabu

    with tempfile.TemporaryDirectory() as temporary:
        folders = linked_split(Path(temporary))
        load_before = [round(v, 2) for v in os.getloadavg()]
        started = time.monotonic()
        model = manabu.segment(folders["train_images"], folders["train_masks"], time_limit=args.time_limit,
                               seed=args.seed, width=args.width, tile=args.tile, device=args.device)
        train_seconds = time.monotonic() - started
        if args.keep is not None:
            model.save(args.keep, overwrite=True)
        scored = time.monotonic()
        found = model.evaluate(folders["test_images"], folders["test_masks"])
        predict_seconds = time.monotonic() - scored
    return _row(args, model, found, train_seconds, predict_seconds, load_before)


def _row(args, model, found: dict, train_seconds: float, predict_seconds: float, load_before: list) -> dict:
    import torch

    classes = found["classes"]
    membrane, cells = classes.index(MEMBRANE), 1 - classes.index(MEMBRANE)
    overall = found["overall"]
    row = {
        "bench": "segmentation", "set": "isbi2012_em_membrane", "split": "train 0-23 / test 24-29 (by number)",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "time_limit": args.time_limit, "train_seconds": round(train_seconds, 1),
        "fit_seconds": model.record["seconds"], "epochs": model.record["epochs"],
        "best_epoch": model.segmenter.log_["best_epoch"], "stopped_at_deadline": model.record["stopped_at_deadline"],
        "width": args.width, "tile": model.segmenter.tile_, "parameters": model.record["parameters"],
        "seed": args.seed, "device": str(args.device), "torch_threads": torch.get_num_threads(),
        "membrane_value": MEMBRANE,
        "pixel_accuracy": round(overall["pixel_accuracy"], 4),
        "dice_membrane": round(overall["dice"][membrane], 4), "iou_membrane": round(overall["iou"][membrane], 4),
        "dice_cells": round(overall["dice"][cells], 4), "mean_dice": round(overall["mean_dice"], 4),
        "dice_membrane_per_image": {image["name"]: round(image["dice"][membrane], 4) for image in found["images"]},
        "validation_mean_dice": (model.record["held_out"] or {}).get("overall", {}).get("mean_dice"),
        "predict_seconds_6_images": round(predict_seconds, 2),
        "load_average_before": load_before, "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "note": args.note,
    }
    row["targets_met"] = all(row[name] >= target for name, target in TARGETS.items())
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--keep", type=Path, help="also save the model folder (with its report) here")
    parser.add_argument("--note", default="", help="kept in the row: what else ran on the machine")
    parser.add_argument("--out", type=Path, default=Path("bench/results/segmentation_issue21.jsonl"))
    args = parser.parse_args()
    row = run(args)
    line = json.dumps(row, ensure_ascii=False)
    print(line)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    sys.exit(0 if row["targets_met"] else 1)


if __name__ == "__main__":
    main()
