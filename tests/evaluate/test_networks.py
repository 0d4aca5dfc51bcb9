"""The verdict on a network's training, from its epochs, and the report section that shows it."""
from __future__ import annotations

import pytest

from manabu.evaluate.networks import training_curves, verdict
from manabu.report.network import network_section


def log(valid, train=None, stopped=False):
    train = train or [1.0 - 0.05 * i for i in range(len(valid))]
    epochs = [{"epoch": i + 1, "train_loss": t, "valid_loss": v, "valid_score": None if v is None else 1 - v,
               "learning_rate": 0.001, "seconds": 0.5} for i, (t, v) in enumerate(zip(train, valid))]
    return {"epochs": epochs, "best_epoch": 1, "stopped_at_deadline": stopped}


@pytest.mark.parametrize("valid, stopped, expected", [
    ([0.9, 0.6, 0.5, 0.45], False, "still_improving"),
    ([0.9, 0.5, 0.45, 0.46, 0.45], False, "converged"),
    ([0.9, 0.4, 0.5, 0.6], False, "overfitting"),
    ([0.9, 0.6], True, "cut"),
    ([None, None], False, "no_validation"),
])
def test_the_verdict_follows_the_held_out_loss(valid, stopped, expected):
    assert verdict(log(valid, stopped=stopped)) == expected


def test_a_model_without_a_network_has_no_curves_and_no_section():
    from sklearn.linear_model import LogisticRegression

    assert training_curves(LogisticRegression(), "linear") is None
    assert network_section(None) == ""


def test_an_ensemble_shows_its_first_network_member():
    class Fitted:
        log_ = log([0.9, 0.6, 0.62])
        max_epochs = 30

    class Ensemble:
        members = [("linear", object()), ("cnn #2", Fitted())]

    curves = training_curves(Ensemble(), "ensemble")
    assert curves["model"] == "cnn #2" and curves["verdict"] == "converged" and len(curves["epochs"]) == 3
    page = network_section(curves)
    assert 'id="network"' in page and "<svg" in page and "cnn #2" in page
    assert "converged" in page.lower() and "収束" in page
