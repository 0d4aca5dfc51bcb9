"""Running the command line in tests: in-process through Typer's runner (fast), or as a real
process (what a user's shell runs: signals, the locale, tracebacks on the real stderr)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from manabu.cli import app
from tests.frames import mixed_frame

# The locale decides the language when --lang is not given; tests pin it to English.
ENGLISH = {"LC_ALL": None, "LC_MESSAGES": None, "LANGUAGE": None, "LANG": "en_US.UTF-8"}
FAST = ("--models", "linear", "--max-trials", "1", "--time-limit", "10")  # a model in about a second


class Cli:
    """``cli("train", path, "--target", "y")`` runs ``manabu train ...`` in this process."""

    def __init__(self) -> None:
        self.runner = CliRunner(env=ENGLISH)

    def __call__(self, *args, env: dict | None = None):
        runner = self.runner if env is None else CliRunner(env={**ENGLISH, **env})
        return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def cli() -> Cli:
    return Cli()


def manabu(*args, cwd: Path | None = None, env: dict | None = None, timeout: float = 120,
           **popen) -> subprocess.CompletedProcess:
    """``manabu ARGS`` as a real process (``python -m manabu.cli``), output captured as text."""
    return subprocess.run([sys.executable, "-m", "manabu.cli", *map(str, args)], cwd=cwd,
                          env=process_env(env), capture_output=True, text=True, encoding="utf-8",
                          timeout=timeout, **popen)


def process_env(extra: dict | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENGLISH}
    env["LANG"] = "en_US.UTF-8"
    env["PYTHONIOENCODING"] = "utf-8"
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manifest(folder: Path) -> dict:
    return json.loads((Path(folder) / "manifest.json").read_text("utf-8"))


def leftovers(parent: Path) -> list[str]:
    """What a failed or interrupted run left in the output's parent folder (should be nothing)."""
    return sorted(p.name for p in parent.iterdir()) if parent.exists() else []


def assert_refused(result, *phrases: str, parent: Path | None = None) -> str:
    """One clear message (each phrase in it), exit status 2, no traceback, nothing left behind.

    Works for a ``Cli`` result and for a ``subprocess.CompletedProcess``."""
    code = getattr(result, "exit_code", None)
    code = result.returncode if code is None else code
    output = result.output if hasattr(result, "output") else result.stdout + result.stderr
    assert code == 2, output
    assert "Traceback" not in output
    if hasattr(result, "exception") and result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, output
    for phrase in phrases:
        assert phrase in errors[0], (phrase, errors[0])
    if parent is not None:
        assert leftovers(parent) == []
    return errors[0]


@pytest.fixture
def frame() -> pd.DataFrame:
    """120 rows: numbers with NaN, a Japanese category with NaN, a date, a flag, and y (yes/no)."""
    return mixed_frame(120, task="binary")


@pytest.fixture
def data_csv(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """One small trained model (target y, classes no/yes), shared by the tests of a module."""
    folder = tmp_path_factory.mktemp("model")
    data = folder / "train.csv"
    mixed_frame(120, task="binary").to_csv(data, index=False)
    result = Cli()("train", data, "--target", "y", "-o", folder / "model", *FAST)
    assert result.exit_code == 0, result.output
    return folder / "model"
