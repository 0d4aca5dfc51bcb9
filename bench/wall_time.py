#!/usr/bin/env python3
"""The time a user waits for ``manabu train --time-limit T``: the wall time of the whole command
(start of the process to the saved model with its report) against T, on a quiet machine and
with another process keeping one core busy (issue 20).

Sets: titanic and adult (``../shared/data/tabular/``, their train.parquet) and chABSA
(``../shared/data/text_ja/``, 3,215 Japanese sentences: the sentence and its polarity only).
For each run: the wall time, the training's own record (``seconds``, the search and refit),
the families that finished and the chosen model; the target is T + 5% + 1 s.

    python bench/wall_time.py                               # 30 and 60 s, quiet and busy
    python bench/wall_time.py --limits 30 --sets titanic --conditions quiet
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
SETS = {
    "titanic": (SHARED / "tabular" / "titanic" / "train.parquet", None, "Survived"),
    "adult": (SHARED / "tabular" / "adult" / "train.parquet", None, "class"),
    "chabsa": (SHARED / "text_ja" / "chabsa_sentence_polarity.parquet", ["sentence", "polarity"], "polarity"),
}


def busy_loop() -> None:  # pragma: no cover - runs in its own process
    while True:
        pass


def data_file(name: str, folder: Path) -> Path:
    """The set as a CSV file of its own, as a user would give it."""
    path, columns, _ = SETS[name]
    frame = pd.read_parquet(path)
    if columns:
        frame = frame[columns]
    out = folder / f"{name}.csv"
    frame.to_csv(out, index=False)
    return out


def target_of(name: str) -> str:
    path, _, target = SETS[name]
    if name == "adult":
        target = json.loads((path.parent / "meta.json").read_text())["target"]
    return target


def run_once(name: str, data: Path, limit: float, folder: Path) -> dict:
    output = folder / f"{name}-{limit:g}"
    command = [sys.executable, "-m", "manabu.cli", "train", str(data), "--target", target_of(name),
               "--time-limit", str(limit), "-o", str(output), "--overwrite", "--lang", "en"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    row = {"set": name, "limit": limit, "wall_s": round(wall, 2), "target_s": round(limit * 1.05 + 1, 2),
           "exit": done.returncode}
    manifest = output / "manifest.json"
    if done.returncode == 0 and manifest.is_file():
        training = json.loads(manifest.read_text())["training"]
        board = training["leaderboard"]
        row.update(training_s=training["seconds"], best=training["best_model"],
                   families_ok=sorted({r["family"] for r in board if r["status"] == "ok"}),
                   score=next((r["score"] for r in board if r["model"] == training["best_model"]), None))
    else:
        row["error"] = (done.stderr or done.stdout).strip().splitlines()[-1:] if (done.stderr or done.stdout) else []
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limits", default="30,60")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--conditions", default="quiet,busy")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "wall_time.jsonl")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {name: data_file(name, folder) for name in args.sets.split(",")}
        for condition in args.conditions.split(","):
            burner = multiprocessing.Process(target=busy_loop, daemon=True) if condition == "busy" else None
            if burner is not None:
                burner.start()
            try:
                for limit in (float(v) for v in args.limits.split(",")):
                    for name, data in files.items():
                        row = {"condition": condition, **run_once(name, data, limit, folder)}
                        rows.append(row)
                        print(json.dumps(row, ensure_ascii=False), flush=True)
            finally:
                if burner is not None:
                    burner.terminate()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
