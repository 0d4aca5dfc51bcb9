#!/usr/bin/env python3
"""Where the time of loading a model goes: ``manabu.load`` and ``manabu predict``, each in a
fresh process, as a user meets them (issue 20, "Fast loading").

Two models are trained once and kept (``--cache``, a folder under the temporary directory by
default), so that runs before and after a change load the very same folders:

- tabular: 3,000 rows of adult (``../shared/data/tabular/adult``; a synthetic table when that
  is absent), ``manabu.fit(frame, target="class", time_limit=20)``;
- text: chABSA sentence polarity (``../shared/data/text_ja``; the Japanese reviews of
  ``tests/text/corpus.py`` when that is absent), models ``text_linear`` and ``naive_bayes``.

For each model, in fresh processes, repeated (median of ``--repeat``, 5 by default):

- ``load``: ``manabu.load(DIR)`` after ``import manabu`` (the API's own imports included, as a
  script meets them);
- ``load (warm imports)``: the same after ``import manabu.api`` and the families' modules, so
  the time of the folder itself;
- ``predict CLI``: ``manabu predict DIR DATA -o out.csv`` on 200 rows, end to end (interpreter
  start and the command line's imports included);

and, once, the floor under every load: a fresh interpreter importing pandas and scikit-learn's
pipeline, which any model folder needs;

then a cProfile of one ``manabu.load`` (top 15 by cumulative time). The figures go to
``bench/results/load.txt`` under a heading named by ``--label`` ("before", "after"); the other
labels' sections are kept, so one file holds both. ``uptime``'s load is written beside them: on
a 2-core machine another program at work slows every figure.

    python bench/load.py --label before
    python bench/load.py --label after                  # the same folders, loaded by new code
    python bench/load.py --label "after, saved after" --cache /tmp/other --retrain

``--retrain`` trains the models again (into ``--cache``), so that a change to what is saved
shows too.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sections import write_section  # bench/sections.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results" / "load.txt"  # --results to write elsewhere
ROWS = 200

# run in a fresh interpreter: prints the seconds of the timed part
LOAD = """
import sys, time
start = time.perf_counter()
import manabu
model = manabu.load(sys.argv[1])
print(time.perf_counter() - start)
"""
LOAD_WARM = """
import sys, time
import skops.io, manabu.api, manabu.models.zoo, manabu.ensemble.codec
start = time.perf_counter()
model = manabu.api.load(sys.argv[1])
print(time.perf_counter() - start)
"""
FLOOR = """
import time
start = time.perf_counter()
import pandas, sklearn.pipeline
print(time.perf_counter() - start)
"""
# cold: the import machinery's own frames left out, so that the rows name what was imported
# and what ran; warm: the imports done first, so that the rows are the load's own work
PROFILE = """
import cProfile, io, pstats, sys
if sys.argv[3] == "warm":
    import skops.io, manabu.api, manabu.models.zoo, manabu.ensemble.codec
import manabu
profile = cProfile.Profile()
profile.enable()
model = manabu.load(sys.argv[1])
profile.disable()
out = io.StringIO()
stats = pstats.Stats(profile, stream=out)
machinery = r"^(?!.*(importlib|<frozen|builtins\.exec|builtins\.__import__|_handle_fromlist))"
stats.sort_stats("cumulative").print_stats(machinery, int(sys.argv[2]))
print(out.getvalue())
"""


def tabular_frame():
    import pandas as pd
    source = SHARED / "tabular" / "adult"
    if (source / "train.parquet").is_file():
        train = pd.read_parquet(source / "train.parquet").drop(columns=["split"], errors="ignore")
        test = pd.read_parquet(source / "test.parquet").drop(columns=["split"], errors="ignore")
        return train.sample(3000, random_state=0), test.head(ROWS).drop(columns=["class"]), "class", "adult (3,000 rows)"
    import numpy as np
    rng = np.random.default_rng(0)
    n = 3000 + ROWS
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 9, n),
                          "colour": rng.choice(["red", "green", "blue"], n)})
    frame["class"] = np.where(frame.a + (frame.colour == "red") + rng.normal(size=n) > 0.5, "yes", "no")
    return frame.head(3000), frame.tail(ROWS).drop(columns=["class"]), "class", "synthetic (3,000 rows)"


def text_frame():
    import pandas as pd
    source = SHARED / "text_ja" / "chabsa_sentence_polarity.parquet"
    if source.is_file():
        frame = pd.read_parquet(source)[["sentence", "polarity"]]
        rows = frame.sample(ROWS, random_state=1)[["sentence"]]
        return frame, rows, "polarity", f"chABSA sentence polarity ({len(frame):,} rows)"
    sys.path.insert(0, str(ROOT))
    from tests.text.corpus import japanese_reviews
    frame = japanese_reviews(1000)
    return frame, japanese_reviews(ROWS, seed=1)[["レビュー"]], "評価", "tests' Japanese reviews (1,000 rows)"


def prepare(cache: Path, retrain: bool = False) -> dict[str, dict[str, str]]:
    """Train (once) and save both models; the folders and their 200 rows to predict."""
    cache.mkdir(parents=True, exist_ok=True)
    described = cache / "models.json"
    if described.is_file() and not retrain:
        models = json.loads(described.read_text("utf-8"))
        if all((Path(m["dir"]) / "manifest.json").is_file() and Path(m["rows"]).is_file() for m in models.values()):
            return models
    import manabu
    models = {}
    for name, make, options in (("tabular", tabular_frame, {"time_limit": 20}),
                                ("text", text_frame, {"time_limit": 30, "models": ["text_linear", "naive_bayes"]})):
        train, rows, target, about = make()
        print(f"training the {name} model on {about} ...", flush=True)
        predictor = manabu.fit(train, target=target, verbose=False, **options)
        folder = cache / name
        predictor.save(folder, overwrite=True)
        rows_file = cache / f"{name}-rows.csv"
        rows.to_csv(rows_file, index=False)
        models[name] = {"dir": str(folder), "rows": str(rows_file), "data": about,
                        "best_model": predictor.record.best_model}
    described.write_text(json.dumps(models, indent=2), "utf-8")
    return models


def timed(code: str, *args: str) -> float:
    """The seconds a fresh interpreter reports for ``code``."""
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return float(done.stdout.strip().splitlines()[-1])


def wall(command: list[str]) -> float:
    """The wall time of a whole command, interpreter start included."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr or done.stdout)
    return seconds


def manabu_command() -> list[str]:
    script = Path(sys.executable).parent / "manabu"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "manabu"]


def median_of(repeat: int, measure) -> tuple[float, list[float]]:
    values = [measure() for _ in range(repeat)]
    return statistics.median(values), values


def profile(folder: str, top: int, when: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROFILE, folder, str(top), when], capture_output=True, text=True,
                          cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    lines = done.stdout.splitlines()
    # keep the summary line and the table, without pstats' blank and header lines before it
    start = next((i for i, line in enumerate(lines) if "function calls" in line), 0)
    return "\n".join(line.rstrip() for line in lines[start:] if line.strip() and "List reduced" not in line)


def run(models: dict[str, dict[str, str]], repeat: int, top: int) -> str:
    out = [f"date: {time.strftime('%Y-%m-%d %H:%M:%S')}",
           f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
           f"uptime before: {uptime()}"]
    shared = os.getloadavg()[0] > 1
    out.append("")
    out.append(f"{'model':<10} {'measure':<28} {'median s':>9}   runs")
    middle, values = median_of(repeat, lambda: timed(FLOOR))
    out.append(f"{'-':<10} {'floor: import pandas+sklearn':<28} {middle:9.3f}   {' '.join(f'{v:.2f}' for v in values)}")
    profiles = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, model in models.items():
            folder = model["dir"]
            measures = {
                "load": lambda: timed(LOAD, folder),
                "load (warm imports)": lambda: timed(LOAD_WARM, folder),
                f"predict CLI ({ROWS} rows)": lambda: wall(
                    [*manabu_command(), "predict", folder, model["rows"], "-o", str(Path(scratch) / f"{name}.csv")]),
            }
            for label, measure in measures.items():
                middle, values = median_of(repeat, measure)
                out.append(f"{name:<10} {label:<28} {middle:9.3f}   {' '.join(f'{v:.2f}' for v in values)}")
            for when, about in (("cold", "in a fresh process, import machinery left out"),
                                ("warm", "after the imports")):
                profiles.append(f"cProfile of manabu.load, {name} ({model['data']}, best {model['best_model']}), "
                                f"{about}:\n" + profile(folder, top, when) + "\n")
    load_after = uptime()
    shared = shared or os.getloadavg()[0] > 1
    out.append("")
    out.append(f"uptime after: {load_after}")
    if shared:
        out.append("NOTE: load average above 1: the machine was shared with another benchmark; "
                   "figures are slower than on a quiet machine.")
    out.append("")
    out.extend(profiles)
    return "\n".join(out)


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


PREAMBLE = ("manabu.load and manabu predict, each in a fresh process (bench/load.py).\n"
            "Median of repeated runs; cProfile sorted by cumulative time.\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="after", help="the heading of this run in the results file")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "manabu-bench-load",
                        help="where the trained models are kept between runs")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=15, help="rows of the cProfile table")
    parser.add_argument("--only", choices=["tabular", "text"], help="measure one model only")
    parser.add_argument("--retrain", action="store_true", help="train the models again, into --cache")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the results file")
    args = parser.parse_args()
    models = prepare(args.cache, args.retrain)
    if args.only:
        models = {args.only: models[args.only]}
    body = run(models, args.repeat, args.top)
    print(body)
    write_section(args.results, PREAMBLE, args.label, body)
    print(f"\nwritten to {args.results}")


if __name__ == "__main__":
    main()
