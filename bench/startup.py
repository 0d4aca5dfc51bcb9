#!/usr/bin/env python3
"""How long the ``manabu`` command takes to start: wall time of a few commands in fresh
processes, and the imports that cost the most.

Each command runs ``--runs`` times as ``python -m manabu.cli ARGS`` (the ``manabu`` script's
entry point), each in a new interpreter, one after the other; the median and the fastest run
are printed (the fastest is the least disturbed by other work on the machine). Then each runs
once more under ``python -X importtime``, and the imports with the largest cumulative time are
listed, with the self time summed per top-level package.

The commands: ``manabu --help``, ``manabu info`` on a 1 MB CSV written here (numbers,
categories, dates), and two errors about a bad data file (an empty CSV, through ``info`` and
through ``train``).

The figures go to ``bench/results/startup.txt`` under a heading named by ``--label``; the other
labels' sections are kept, so that one file holds a run before a change and one after. ``--src``
times another checkout's ``src`` folder (put first on ``PYTHONPATH``), e.g. the last commit's,
so that both are measured on the same machine under the same load:

    git archive HEAD src | tar -x -C /tmp/before
    python bench/startup.py --label before --src /tmp/before/src
    python bench/startup.py --label after
    python bench/startup.py --runs 20 --top 20
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from sections import write_section  # bench/sections.py, beside this script

RESULTS = Path(__file__).resolve().parent / "results" / "startup.txt"
PREAMBLE = ("Startup of the manabu command: wall time of fresh `python -m manabu.cli ARGS` processes, and\n"
            "the imports that cost the most (python bench/startup.py; issue 20, \"Fast start\").\n")
CSV_BYTES = 1_000_000
TARGETS = {"--help": 0.5, "info (1 MB CSV)": 1.5, "info (empty file)": 1.0, "train (empty file)": 1.0}  # issue 20


def write_csv(path: Path, size: int = CSV_BYTES, seed: int = 0) -> Path:
    """A CSV of about ``size`` bytes: numbers (some missing), categories, a date and a target."""
    rng = np.random.default_rng(seed)

    def frame(rows: int) -> pd.DataFrame:
        return pd.DataFrame({
            "amount": rng.normal(100, 30, rows).round(2),
            "count": rng.integers(0, 50, rows),
            "rate": np.where(rng.random(rows) < 0.05, np.nan, rng.random(rows).round(4)),
            "city": rng.choice(["Tokyo", "Osaka", "Nagoya", "Sapporo", "Fukuoka", "東京", "大阪"], rows),
            "plan": rng.choice(["basic", "standard", "premium"], rows),
            "signup": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, rows), unit="D"),
            "churned": rng.choice(["yes", "no"], rows, p=[0.2, 0.8]),
        })

    sample = frame(1000).to_csv(index=False).encode("utf-8")
    frame(max(int(1000 * size / len(sample)), 1)).to_csv(path, index=False)
    return path


def commands(folder: Path) -> dict[str, list[str]]:
    big = write_csv(folder / "sales.csv")
    empty = folder / "empty.csv"
    empty.write_text("")
    return {
        "--help": ["--help"],
        "info (1 MB CSV)": ["info", str(big)],
        "info (empty file)": ["info", str(empty)],
        "train (empty file)": ["train", str(empty), "--target", "y", "-o", str(folder / "model")],
    }


def environment(src: Path | None) -> dict[str, str]:
    env = dict(os.environ, LANG="en_US.UTF-8", PYTHONIOENCODING="utf-8")
    env.pop("LC_ALL", None)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    return env


def timed(args: list[str], runs: int, cwd: Path, src: Path | None) -> tuple[list[float], int]:
    """Wall seconds of ``runs`` fresh runs, and the exit status of the last one."""
    seconds, code = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        code = subprocess.run([sys.executable, *args], cwd=cwd, env=environment(src),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        seconds.append(time.perf_counter() - start)
    return seconds, code


IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)")


def import_times(args: list[str], cwd: Path, src: Path | None) -> list[tuple[int, int, int, str]]:
    """``-X importtime``'s lines as (self µs, cumulative µs, depth, module)."""
    result = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=cwd, env=environment(src),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
    found = []
    for line in result.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            self_us, cumulative, indent, module = match.groups()
            found.append((int(self_us), int(cumulative), len(indent) // 2, module))
    return found


def import_summary(found: list[tuple[int, int, int, str]], top: int) -> list[str]:
    lines = [f"  {len(found)} modules imported"]
    lines.append(f"  top {top} by cumulative time (ms, self ms, module as nested in the import tree):")
    for self_us, cumulative, depth, module in sorted(found, key=lambda f: -f[1])[:top]:
        lines.append(f"    {cumulative / 1e3:8.1f} {self_us / 1e3:7.1f}  {'  ' * depth}{module}")
    per_package: dict[str, int] = defaultdict(int)
    for self_us, _, _, module in found:
        per_package[module.split(".")[0]] += self_us
    heaviest = sorted(per_package.items(), key=lambda item: -item[1])[:top]
    lines.append("  self time per top-level package (ms): "
                 + ", ".join(f"{name} {us / 1e3:.0f}" for name, us in heaviest))
    return lines


def load_note() -> str:
    try:
        load = os.getloadavg()[0]
    except OSError:
        return ""
    note = f"load average (1 min) at the start: {load:.2f} on {os.cpu_count()} cores"
    if load > 1:
        note += " (other work was running: the times are higher than on an idle machine)"
    return note


def measure(runs: int, top: int, src: Path | None) -> str:
    lines = [f"{date.today()}, Python {platform.python_version()}, {runs} runs per command"
             + (f", manabu from {src}" if src else "")]
    note = load_note()
    if note:
        lines.append(note)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        to_run = commands(folder)
        csv = folder / "sales.csv"
        with csv.open("rb") as handle:
            rows = sum(1 for _ in handle) - 1
        lines.append(f"1 MB CSV: {csv.stat().st_size:,} bytes, {rows:,} rows")
        python, _ = timed(["-c", "pass"], runs, folder, src)
        lines.append(f"bare interpreter (python -c pass): median {statistics.median(python):.3f} s, "
                     f"min {min(python):.3f} s")
        lines += ["", "| command | median s | min s | target s | exit |", "|---|---:|---:|---:|---:|"]
        imports = {}
        for name, argv in to_run.items():
            seconds, code = timed(["-m", "manabu.cli", *argv], runs, folder, src)
            lines.append(f"| manabu {name} | {statistics.median(seconds):.3f} | {min(seconds):.3f} | "
                         f"{TARGETS[name]:g} | {code} |")
            print(lines[-1], flush=True)
            imports[name] = import_times(["-m", "manabu.cli", *argv], folder, src)
        lines += ["", "Imports (one run under -X importtime, whose own overhead is in the times)"]
        for name, found in imports.items():
            lines += ["", f"manabu {name}", *import_summary(found, top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="fresh processes per command")
    parser.add_argument("--top", type=int, default=15, help="imports listed per command")
    parser.add_argument("--label", default="after", help="the heading of this run in the results file")
    parser.add_argument("--src", type=Path, help="another checkout's src folder to time (first on PYTHONPATH)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    body = measure(args.runs, args.top, args.src.resolve() if args.src else None)
    print(body)
    write_section(args.output, PREAMBLE, args.label, body)
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
