"""The commands as a user runs them: help, train, predict, info, quickstart, language, --debug."""
from __future__ import annotations

import importlib
import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from manabu.artifact import verify
from tests.cli.conftest import FAST, assert_refused, manabu, manifest, process_env

COMMANDS = {
    "train": ["--target", "--output", "--time-limit", "--metric", "--models", "--lang", "--debug"],
    "predict": ["MODEL_DIR", "DATA", "--output", "--lang", "--debug"],
    "info": ["DATA", "--target", "--lang"],
    "quickstart": ["--output", "--time-limit", "--lang"],
    "report": ["MODEL_DIR", "--output", "--lang", "--debug"],
}


# -- help --------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and command in result.output
    for option in COMMANDS[command]:
        assert option in result.output


def test_the_installed_script_lists_the_commands():
    script = Path(sys.executable).with_name("manabu")
    if not script.exists():
        pytest.skip(f"no manabu script beside {sys.executable}")
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60,
                            env=process_env())
    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert command in result.stdout


# -- train -------------------------------------------------------------------------------------

def test_train_writes_the_model_and_prints_the_leaderboard(cli, data_csv, tmp_path):
    out = tmp_path / "models" / "churn"
    result = cli("train", data_csv, "--target", "y", "-o", out, "--time-limit", "5",
                 "--models", "linear,lightgbm", "--max-trials", "3")
    assert result.exit_code == 0, result.output
    saved = manifest(out)
    assert saved["target"] == "y" and saved["task"] == "binary"
    verify(out)  # complete and untouched
    assert "Leaderboard (roc_auc" in result.output
    assert re.search(r"│ 1 │ (linear|lightgbm)", result.output)
    assert f"Model saved to {out}" in result.stdout
    trials = [row for row in saved["leaderboard"] if row["family"] != "ensemble"]  # combinations are no trials
    assert len(trials) <= 3
    assert {row["model"] for row in trials} <= {"linear", "linear #2", "lightgbm", "lightgbm #2"}


@pytest.mark.usefixtures("without_report_numbers")  # the folders' names are checked: two trainings
def test_train_without_output_makes_a_new_folder_named_after_the_data(cli, data_csv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = cli("train", data_csv, "--target", "y", *FAST)
    second = cli("train", data_csv, "--target", "y", *FAST)  # same second: must not collide
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    folders = sorted((tmp_path / "manabu-models").iterdir())
    assert len(folders) == 2
    for folder, result in zip(folders, (first, second)):
        assert re.fullmatch(r"sales-\d{8}-\d{6}(-\d+)?", folder.name)
        assert (folder / "manifest.json").is_file()
    printed = {m for r in (first, second) for m in re.findall(r"Model saved to (\S+)", r.stdout)}
    assert printed == {str(f) for f in folders}


def test_train_in_a_real_process(tmp_path, data_csv):
    result = manabu("train", data_csv, "--target", "y", "-o", tmp_path / "m", *FAST, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Model saved to" in result.stdout and "Leaderboard" in result.stdout
    assert "Training on 120 rows" in result.stderr
    verify(tmp_path / "m")


# -- predict -----------------------------------------------------------------------------------

def _new_rows(frame: pd.DataFrame) -> pd.DataFrame:
    rows = frame.drop(columns="y").head(6).copy()
    rows.loc[rows.index[0], "colour"] = "紫"          # a category never seen in training
    rows.loc[rows.index[1], ["x1", "x2"]] = np.nan    # missing numbers
    rows.loc[rows.index[2], "colour"] = np.nan
    rows["note"] = "extra column"                     # not used by the model: kept as it is
    return rows


def test_predict_adds_predictions_and_probabilities(cli, model_dir, frame, tmp_path):
    data = tmp_path / "new.csv"
    _new_rows(frame).to_csv(data, index=False)
    out = tmp_path / "out" / "pred.csv"
    result = cli("predict", model_dir, data, "-o", out)
    assert result.exit_code == 0, result.output
    pred = pd.read_csv(out)
    assert list(pred.columns) == ["x1", "x2", "colour", "when", "flag", "note",
                                  "y_predicted", "proba_no", "proba_yes"]
    assert len(pred) == 6 and pred["note"].eq("extra column").all()
    assert set(pred["y_predicted"]) <= {"yes", "no"} and pred["y_predicted"].notna().all()
    assert np.allclose(pred["proba_no"] + pred["proba_yes"], 1.0)
    assert (pred["y_predicted"] == np.where(pred["proba_yes"] > 0.5, "yes", "no")).all()
    assert "6 rows" in result.output and str(out) in result.output


def test_predict_without_output_writes_csv_to_stdout(cli, model_dir, frame, tmp_path):
    data = tmp_path / "new.csv"
    _new_rows(frame).to_csv(data, index=False)
    result = cli("predict", model_dir, data)
    assert result.exit_code == 0, result.output
    pred = pd.read_csv(io.StringIO(result.stdout))
    assert len(pred) == 6 and {"y_predicted", "proba_yes", "note"} <= set(pred.columns)


def test_predict_names_every_missing_column(cli, model_dir, frame, tmp_path):
    data = tmp_path / "partial.csv"
    frame.drop(columns=["x1", "colour", "y"]).to_csv(data, index=False)
    out = tmp_path / "out" / "pred.csv"
    message = assert_refused(cli("predict", model_dir, data, "-o", out), '"x1"', '"colour"', "partial.csv",
                             parent=out.parent)
    assert "x2" not in message


def test_predict_to_a_place_that_cannot_be_written(cli, model_dir, data_csv, tmp_path):
    blocker = tmp_path / "report.txt"
    blocker.write_text("a file, not a folder")
    assert_refused(cli("predict", model_dir, data_csv, "-o", blocker / "pred.csv"), "cannot write", "-o")
    assert blocker.read_text() == "a file, not a folder"


def test_predict_refuses_a_folder_that_is_not_a_model(cli, data_csv, tmp_path):
    assert_refused(cli("predict", tmp_path, data_csv), "manifest.json")


def _many_rows(n: int = 230) -> pd.DataFrame:
    from tests.frames import mixed_frame
    return mixed_frame(n, seed=5).drop(columns="y")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_streams_large_files_in_chunks_with_the_same_answers(cli, model_dir, tmp_path, monkeypatch, suffix):
    import manabu
    reader = importlib.import_module("manabu.data.read.chunks")  # where read_chunks finds its chunk size
    monkeypatch.setattr(reader, "CHUNK_ROWS", 50)  # 230 rows: five chunks
    rows = _many_rows()
    data = tmp_path / f"big{suffix}"
    rows.to_csv(data, index=False) if suffix == ".csv" else rows.to_parquet(data)
    out = tmp_path / "pred.csv"
    result = cli("predict", model_dir, data, "-o", out)
    assert result.exit_code == 0, result.output
    assert "230 rows" in result.output
    streamed = pd.read_csv(out)
    whole = manabu.load(model_dir).predict_frame(pd.read_csv(data) if suffix == ".csv" else pd.read_parquet(data))
    assert len(streamed) == 230 and list(streamed.columns) == list(whole.columns)
    assert (streamed["y_predicted"] == whole["y_predicted"]).all()
    assert np.allclose(streamed["proba_yes"], whole["proba_yes"])


def test_a_bad_line_deep_in_a_large_file_leaves_no_output(cli, model_dir, tmp_path, monkeypatch):
    reader = importlib.import_module("manabu.data.read.chunks")  # where read_chunks finds its chunk size
    monkeypatch.setattr(reader, "CHUNK_ROWS", 50)
    data = tmp_path / "big.csv"
    text = _many_rows().to_csv(index=False)
    lines = text.splitlines()
    lines[180] += ",extra"
    data.write_text("\n".join(lines) + "\n")
    out = tmp_path / "pred.csv"
    assert_refused(cli("predict", model_dir, data, "-o", out), "line 181", "big.csv")
    assert not out.exists() and not list(tmp_path.glob(".pred.csv*"))


def test_predict_on_a_header_without_rows_says_so(cli, model_dir, tmp_path):
    data = tmp_path / "empty.csv"
    data.write_text("x1,x2,colour,when,flag\n")
    assert_refused(cli("predict", model_dir, data, "-o", tmp_path / "pred.csv"), "no rows")
    assert not (tmp_path / "pred.csv").exists()


# -- report ------------------------------------------------------------------------------------

def test_train_writes_the_report_and_report_rebuilds_it(cli, model_dir, tmp_path):
    page = model_dir / "report.html"
    assert '<section id="data">' in page.read_text("utf-8")
    page.unlink()
    result = cli("report", model_dir, "--lang", "ja")
    assert result.exit_code == 0, result.output
    assert '<html lang="ja">' in page.read_text("utf-8")
    assert "report.html" in result.stdout
    verify(model_dir)  # rebuilding the report leaves the model folder valid
    elsewhere = tmp_path / "copy.html"
    assert cli("report", model_dir, "-o", elsewhere).exit_code == 0
    assert '<section id="best">' in elsewhere.read_text("utf-8")


def test_report_refuses_a_folder_that_is_not_a_model(cli, tmp_path):
    assert_refused(cli("report", tmp_path), "manifest.json")
    assert not (tmp_path / "report.html").exists()


def test_report_to_a_place_that_cannot_be_written(cli, model_dir, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    assert_refused(cli("report", model_dir, "-o", blocker / "report.html"), "cannot write")


# -- export-code -------------------------------------------------------------------------------

def test_export_code_writes_a_script_that_scores_like_the_leaderboard(cli, model_dir, tmp_path):
    script = tmp_path / "train_best.py"
    result = cli("export-code", model_dir, "-o", script)
    assert result.exit_code == 0, result.output
    assert f"python {script}" in result.output.replace("\n", "")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    mine, leaderboard = re.search(r"roc_auc ([\d.]+) \(manabu's leaderboard: ([\d.]+)\)", run.stdout).groups()
    assert mine == leaderboard


def test_export_code_without_output_prints_the_script(cli, model_dir):
    result = cli("export-code", model_dir)
    assert result.exit_code == 0, result.output
    compile(result.stdout, "train_best.py", "exec")
    assert "def main():" in result.stdout
    assert not re.search(r"^\s*(import|from) manabu", result.stdout, re.M)


def test_export_code_refuses_a_folder_that_is_not_a_model(cli, tmp_path):
    assert_refused(cli("export-code", tmp_path, "-o", tmp_path / "train_best.py"), "manifest.json")
    assert not (tmp_path / "train_best.py").exists()


# -- info --------------------------------------------------------------------------------------

def test_info_shows_shape_types_missing_values_and_the_target(cli, data_csv):
    result = cli("info", data_csv, "--target", "y")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "120 rows × 6 columns" in text
    for name, kind in (("x1", "numeric"), ("colour", "categorical"), ("when", "datetime"), ("y", "target")):
        assert re.search(rf"│ {name}\s+│ {kind}", text) or re.search(rf"│ {name}\s+│.*{kind}", text), (name, text)
    assert re.search(r"│ x1\s+│.*│ 12 \(10%\)", text)  # a tenth of x1 is missing
    assert 'Target "y": binary classification' in text
    counts = pd.read_csv(data_csv)["y"].value_counts()
    for label, count in counts.items():
        assert re.search(rf"│ {label}\s+│ {count}\s+│", text)


def test_info_on_a_regression_target_describes_it(cli, data_csv):
    result = cli("info", data_csv, "--target", "x2")
    assert result.exit_code == 0, result.output
    assert "regression" in result.output and "mean" in result.output


# -- quickstart --------------------------------------------------------------------------------

def test_quickstart_trains_on_the_bundled_data(cli, tmp_path):
    result = cli("quickstart", "--time-limit", "5", "-o", tmp_path / "qs")
    assert result.exit_code == 0, result.output
    assert "breast cancer" in result.output and "Leaderboard" in result.output
    assert manifest(tmp_path / "qs")["target"] == "diagnosis"


# -- language ----------------------------------------------------------------------------------

def test_lang_ja_gives_japanese_messages(cli, data_csv, tmp_path):
    refused = cli("train", tmp_path / "nothing.csv", "--target", "y", "--lang", "ja")
    assert refused.exit_code == 2
    assert "エラー" in refused.output and "ファイルが見つかりません" in refused.output
    result = cli("train", data_csv, "--target", "y", "-o", tmp_path / "m", *FAST, "--lang", "ja")
    assert result.exit_code == 0, result.output
    assert "モデルを保存しました" in result.output and "リーダーボード" in result.output


def test_japanese_locale_gives_japanese_messages(cli, data_csv, tmp_path):
    refused = manabu("info", tmp_path / "nothing.csv", env={"LANG": "ja_JP.UTF-8"})  # a real shell's locale
    assert refused.returncode == 2 and "ファイルが見つかりません" in refused.stderr
    result = cli("info", data_csv, "--target", "y", env={"LANG": "ja_JP.UTF-8"})
    assert result.exit_code == 0, result.output
    assert "120 行 × 6 列" in result.output and "目的変数「y」" in result.output
    english = cli("info", tmp_path / "nothing.csv", "--lang", "en", env={"LANG": "ja_JP.UTF-8"})
    assert "file not found" in english.output  # --lang wins over the locale


# -- --debug -----------------------------------------------------------------------------------

def test_debug_shows_the_traceback_and_its_absence_hides_it(cli, tmp_path):
    missing = tmp_path / "nothing.csv"
    plain = cli("train", missing, "--target", "y")
    debug = cli("train", missing, "--target", "y", "--debug")
    assert plain.exit_code == debug.exit_code == 2
    assert "Traceback" not in plain.output and "file not found" in plain.output
    assert "Traceback" in debug.stderr and "DataError" in debug.stderr and "file not found" in debug.stderr
    # the same on a real process's stderr (no traceback without --debug: test_bad_input checks it too)
    real = manabu("info", missing, "--debug")
    assert real.returncode == 2 and "Traceback" in real.stderr and "file not found" in real.stderr
