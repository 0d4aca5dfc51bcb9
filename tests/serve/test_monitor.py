"""manabu monitor on new data and on the server's request log; its exit status gates a pipeline."""
from __future__ import annotations

import json

import numpy as np

from tests.cli.conftest import Cli, assert_refused
from tests.frames import mixed_frame
from tests.serve.conftest import client
from tests.serve.test_app import records


def test_data_like_the_training_data_passes_and_a_shift_fails(binary_model, tmp_path):
    cli = Cli()
    same = tmp_path / "same.csv"
    mixed_frame(300, seed=11).to_csv(same, index=False)
    result = cli("monitor", binary_model, same, "-o", tmp_path / "same.html")
    assert result.exit_code == 0, result.output
    assert "looks like the training data" in result.output
    shifted = mixed_frame(300, seed=12)
    shifted["x2"] = shifted["x2"] * 3 + 10
    shifted.loc[:150, "colour"] = "紫"
    data = tmp_path / "shifted.csv"
    shifted.to_csv(data, index=False)
    result = cli("monitor", binary_model, data, "-o", tmp_path / "drift.html", "--lang", "ja")
    assert result.exit_code == 1, result.output
    assert "x2" in result.output and "colour" in result.output and "しきい値" in result.output
    page = (tmp_path / "drift.html").read_text("utf-8")
    assert all(f'id="{anchor}"' in page for anchor in ("summary", "predictions", "columns"))
    assert "<svg" in page and "chi2" in page


def test_the_request_log_of_the_server_can_be_monitored(binary_model, tmp_path):
    log = tmp_path / "requests.jsonl"
    api = client(binary_model, log_requests=str(log))
    sent = records(mixed_frame(120, seed=13).drop(columns="y"))
    for start in range(0, len(sent), 30):
        assert api.post("/predict", json=sent[start:start + 30]).status_code == 200
    lines = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert len(lines) == 120 and set(lines[0]) == {"time", "record", "prediction", "probabilities"}
    assert lines[0]["record"]["x1"] == sent[0]["x1"]
    result = Cli()("monitor", binary_model, log, "-o", tmp_path / "drift.html")
    assert result.exit_code == 0, result.output
    assert "120 new rows" in result.output.replace("\n", " ")


def test_a_share_of_the_requests_is_logged(binary_model, tmp_path):
    log = tmp_path / "requests.jsonl"
    api = client(binary_model, log_requests=str(log), log_share=0.25)
    sent = records(mixed_frame(400, seed=14).drop(columns="y"))
    assert api.post("/predict", json=sent).status_code == 200
    logged = len(log.read_text("utf-8").splitlines())
    assert 50 < logged < 150 and np.isfinite(logged)


def test_bad_settings_and_missing_columns_get_one_message(binary_model, tmp_path):
    cli = Cli()
    data = tmp_path / "new.csv"
    mixed_frame(50, seed=15).drop(columns=["x1"]).to_csv(data, index=False)
    assert_refused(cli("monitor", binary_model, data, "-o", tmp_path / "d.html"), '"x1"')
    mixed_frame(50, seed=15).to_csv(data, index=False)
    assert_refused(cli("monitor", binary_model, data, "--threshold", "0"), "--threshold")
    assert not (tmp_path / "d.html").exists()
