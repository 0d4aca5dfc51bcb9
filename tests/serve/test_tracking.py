"""manabu train --track: the run in a real local MLflow store (SQLite), read back with MLflow."""
from __future__ import annotations

import sys

import pytest

from manabu.cli.common import LOCAL_TRACKING, with_track_value
from tests.cli.conftest import FAST, Cli, assert_refused, manabu
from tests.frames import mixed_frame


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "train.csv"
    mixed_frame(120).to_csv(path, index=False)
    return path


def test_a_tracked_run_holds_settings_scores_leaderboard_report_and_model(data, tmp_path):
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = Cli()("train", data, "--target", "y", "-o", tmp_path / "model", *FAST, "--track", uri)
    assert result.exit_code == 0, result.output
    assert "Tracked in MLflow" in result.output
    client = MlflowClient(uri)
    (run,) = client.search_runs([client.get_experiment_by_name("manabu").experiment_id])
    import manabu
    predictor = manabu.load(tmp_path / "model")
    best = predictor.leaderboard().set_index("model").loc[predictor.record.best_model]
    assert run.data.params["config.target"] == "y" and run.data.params["best_model"] == predictor.record.best_model
    assert run.data.metrics["roc_auc"] == pytest.approx(best["score"])
    assert any(key.startswith("leaderboard/") for key in run.data.metrics)
    assert run.data.tags["manabu.task"] == "binary" and run.data.tags["manabu.data"].endswith("train.csv")
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"leaderboard.csv", "model"} <= artifacts
    model_files = {a.path for a in client.list_artifacts(run.info.run_id, "model")}
    assert {"model/manifest.json", "model/report.html"} <= model_files


def test_track_alone_uses_the_local_store_beside_the_command(data, tmp_path):
    result = manabu("train", data, "--target", "y", "-o", tmp_path / "model", *FAST, "--track", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mlruns" / "mlflow.db").is_file()
    assert list((tmp_path / "mlruns" / "artifacts").rglob("leaderboard.csv"))


def test_track_takes_its_uri_only_when_one_follows():
    assert with_track_value(["train", "d.csv", "--track"]) == ["train", "d.csv", "--track", LOCAL_TRACKING]
    assert with_track_value(["--track", "--target", "y"]) == ["--track", LOCAL_TRACKING, "--target", "y"]
    assert with_track_value(["--track", "sqlite:///x.db"]) == ["--track", "sqlite:///x.db"]


def test_without_mlflow_the_message_names_the_extra(data, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    result = Cli()("train", data, "--target", "y", "-o", tmp_path / "model", *FAST, "--track", LOCAL_TRACKING)
    assert_refused(result, 'manabu[track]')
