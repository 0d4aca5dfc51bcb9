"""Anomaly detection: planted anomalies are found, explained, evaluated, and the saved detector
scores new rows the same way."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import manabu
from manabu.base.errors import ConfigError, DataError, SchemaError
from manabu.unsupervised.model import AnomalyModel, anomalies
from tests.cli.conftest import Cli
from tests.unsupervised.conftest import predicted_by_command


def planted(n: int = 500, odd: int = 10, seed: int = 0) -> pd.DataFrame:
    """Normal rows around two centres, and a few far away (marked in "label")."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"温度": rng.normal(20, 2, n), "humidity": rng.normal(50, 5, n),
                          "site": rng.choice(["東京", "大阪"], n), "label": "normal"})
    far = pd.DataFrame({"温度": rng.normal(45, 2, odd), "humidity": rng.normal(50, 5, odd),
                        "site": rng.choice(["東京", "大阪"], odd), "label": "anomaly"})
    return pd.concat([frame, far], ignore_index=True).sample(frac=1, random_state=seed).reset_index(drop=True)


def test_planted_anomalies_are_found_explained_and_evaluated():
    frame = planted()
    model = anomalies(frame, eval_label="label")
    assert model.record["evaluation"]["roc_auc"] > 0.99 and model.record["evaluation"]["precision_at_k"] >= 0.9
    assert model.record["evaluation"]["anomaly_value"] == "anomaly"
    first = model.record["top"][0]
    assert frame.loc[first["row"], "label"] == "anomaly"
    assert first["reasons"][0]["column"] == "温度" and first["reasons"][0]["distance"] > 5
    assert "label" not in [c.name for c in model.schema.features]
    assert model.scores_.min() >= 0 and model.scores_.max() <= 1


@pytest.mark.parametrize("method", ["isolation_forest", "lof", "robust_covariance"])
def test_each_detector_alone_finds_them_too(method):
    frame = planted()
    model = anomalies(frame, method=method, eval_label="label")
    assert model.record["evaluation"]["roc_auc"] > 0.95
    assert len(model.record["detectors"]) == 1


def test_rare_categories_and_rarely_missing_values_are_reasons():
    frame = planted(odd=0).drop(columns="label")
    frame.loc[3, "site"] = "那覇"
    frame.loc[7, "humidity"] = np.nan
    model = anomalies(frame, top=len(frame))
    why = {found["row"]: {r["kind"] for r in found["reasons"]} for found in model.record["top"]}
    assert "category" in why[3] and "missing" in why[7]


def test_the_saved_detector_scores_new_rows_alike(tmp_path):
    frame = planted().drop(columns="label")
    model = anomalies(frame)
    back = manabu.load(model.save(tmp_path / "detector"))
    assert isinstance(back, AnomalyModel)
    assert np.allclose(back.predict(frame.head(50)).to_numpy(), model.scores_[:50])
    scored = predicted_by_command(tmp_path / "detector", frame.head(20), tmp_path)
    assert np.allclose(scored["anomaly_score"], model.scores_[:20])


@pytest.mark.parametrize("kwargs, error, phrase", [
    ({"eval_label": "nope"}, SchemaError, '"nope" is not a column'),
    ({"eval_label": "site3"}, DataError, "exactly two values"),
    ({"method": "magic"}, ConfigError, "not an anomaly detector"),
])
def test_bad_requests_get_one_message(kwargs, error, phrase):
    frame = planted()
    frame["site3"] = np.random.default_rng(0).choice(["a", "b", "c"], len(frame))
    with pytest.raises(error, match=phrase):
        anomalies(frame, **kwargs)


def test_the_command_shows_the_most_unusual_rows_and_the_evaluation(tmp_path):
    data = tmp_path / "sensors.csv"
    planted().to_csv(data, index=False)
    result = Cli()("anomalies", data, "--eval-label", "label", "--top", "5", "-o", tmp_path / "detector",
                   "--scores", tmp_path / "scored.csv")
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(tmp_path / "scored.csv")
    assert scored["anomaly_score"].between(0, 1).all() and scored.loc[scored["label"] == "anomaly", "anomaly_score"].min() > 0.9
    text = result.output.replace("\n", " ")
    assert "most unusual rows" in text and "温度" in text and "ROC-AUC" in text
