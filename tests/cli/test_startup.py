"""The command line imports only what a command needs (issue 20, "Fast start").

Each command runs in a fresh interpreter, which writes the names of every module it imported
when it exits; the tests check those names, not times (times depend on the machine's load;
``bench/startup.py`` measures them). ``manabu --help`` builds the app from Typer and Rich alone,
``manabu info`` reads the table with pandas but loads no model library, and a bad data file is
refused before the model families (scikit-learn, LightGBM, XGBoost, CatBoost, PyTorch) load.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import process_env

# the libraries of models, charts and serving, and manabu's own layers that load them
HEAVY = ("sklearn", "scipy", "lightgbm", "xgboost", "catboost", "torch", "transformers", "matplotlib",
         "fastapi", "uvicorn", "mlflow", "manabu.models", "manabu.search", "manabu.training.predictor",
         "manabu.report", "manabu.serve")
TABLES = ("pandas", "numpy", "pyarrow", "polars")

# ``manabu ARGS`` as the console script runs it; the imported modules go to the file named first
RUN_AND_LIST = """
import atexit, sys
listing = sys.argv[1]
atexit.register(lambda: open(listing, "w", encoding="utf-8").write("\\n".join(sorted(sys.modules))))
sys.argv = ["manabu", *sys.argv[2:]]
from manabu.cli import main
main()
"""


def imported(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run ``manabu ARGS`` in a fresh interpreter: its result and the modules it imported."""
    listing = tmp_path / "modules.txt"
    result = subprocess.run([sys.executable, "-c", RUN_AND_LIST, str(listing), *args], cwd=tmp_path,
                            env=process_env(), capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert listing.is_file(), result.stdout + result.stderr
    return result, set(listing.read_text("utf-8").split())


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` were imported (a package, or any module inside it)."""
    return [name for name in names if any(m == name or m.startswith(name + ".") for m in modules)]


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"], ["registry", "--help"]], ids=" ".join)
def test_help_imports_no_table_or_model_library(tmp_path, args):
    result, modules = imported(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
    assert loaded(modules, HEAVY + TABLES) == []


def test_info_reads_with_pandas_and_loads_no_model_library(tmp_path):
    data = tmp_path / "sales.csv"
    rows = [f"{i},{i * 1.5},{'東京' if i % 3 else 'Osaka'},2024-01-{i % 28 + 1:02d},{'yes' if i % 2 else 'no'}"
            for i in range(60)]
    data.write_text("count,amount,city,day,y\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result, modules = imported(tmp_path, "info", str(data), "--target", "y")
    assert result.returncode == 0, result.stderr
    assert "city" in result.stdout and "binary" in result.stdout
    assert "pandas" in modules  # the listing works: info does read the table
    assert loaded(modules, HEAVY) == []


@pytest.mark.parametrize("command", [
    ["train", "{data}", "--target", "y", "-o", "{tmp}/model"],
    ["info", "{data}"],
    ["predict", "{tmp}/model", "{data}"],
    ["cluster", "{data}", "-o", "{tmp}/clusters"],
], ids=lambda command: command[0])
def test_a_bad_data_file_is_refused_before_any_model_library_loads(tmp_path, command):
    data = tmp_path / "empty.csv"
    data.write_text("")
    args = [arg.format(data=data, tmp=tmp_path) for arg in command]
    result, modules = imported(tmp_path, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "empty.csv" in errors[0] and "is empty" in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    assert loaded(modules, HEAVY) == []
