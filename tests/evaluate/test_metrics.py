"""Each metric against a value worked out by hand on a tiny example, plus lookup and edge cases."""
from __future__ import annotations

import math

import numpy as np
import pytest

from manabu.base.errors import ConfigError
from manabu.evaluate import METRICS, compute_all, default_metric, get_metric, signed
from manabu.base.i18n import t

# binary: 4 rows, positive class 1
Y_BIN = np.array([0, 0, 1, 1])
P_BIN = np.array([0.1, 0.6, 0.35, 0.8])        # probability of class 1
PRED_BIN = np.array([0, 1, 0, 1])              # argmax of P_BIN


@pytest.mark.parametrize(
    "name, expected",
    [
        ("accuracy", 0.5),                      # rows 0 and 3 right
        ("balanced_accuracy", 0.5),             # recall 1/2 for each class
        ("precision", 0.5),                     # predicted 1 at rows 1, 3; row 3 is right
        ("recall", 0.5),                        # true 1 at rows 2, 3; row 3 found
        ("f1", 0.5),
        ("roc_auc", 0.75),                      # pairs (neg, pos): .1<.35 .1<.8 .6>.35 .6<.8 -> 3/4
        ("log_loss", -(math.log(0.9) + math.log(0.4) + math.log(0.35) + math.log(0.8)) / 4),
    ],
)
def test_binary_metrics_by_hand(name: str, expected: float) -> None:
    metric = METRICS[name]
    proba = np.column_stack([1 - P_BIN, P_BIN])
    assert metric.score(Y_BIN, PRED_BIN, proba, classes=[0, 1]) == pytest.approx(expected)


def test_binary_positive_class_is_the_second_class() -> None:
    # predicting 1 everywhere: precision of class 1 is 2/4, recall 1
    y_pred = np.ones(4, dtype=int)
    assert METRICS["precision"].score(Y_BIN, y_pred, classes=[0, 1]) == pytest.approx(0.5)
    assert METRICS["recall"].score(Y_BIN, y_pred, classes=[0, 1]) == pytest.approx(1.0)


def test_binary_accepts_a_one_dimensional_probability() -> None:
    assert METRICS["roc_auc"].score(Y_BIN, proba=P_BIN) == pytest.approx(0.75)


def test_predictions_default_to_the_argmax_of_the_probabilities() -> None:
    proba = np.column_stack([1 - P_BIN, P_BIN])
    assert METRICS["accuracy"].score(Y_BIN, proba=proba) == pytest.approx(0.5)


# multiclass: 3 classes, 6 rows
Y_MC = np.array([0, 0, 1, 1, 2, 2])
P_MC = np.array([
    [0.7, 0.2, 0.1],
    [0.3, 0.6, 0.1],
    [0.2, 0.5, 0.3],
    [0.1, 0.3, 0.6],
    [0.1, 0.2, 0.7],
    [0.2, 0.2, 0.6],
])
PRED_MC = np.array([0, 1, 1, 2, 2, 2])


def test_multiclass_precision_recall_f1_are_macro_averages() -> None:
    # per class precision: 1/1, 1/2, 2/3; recall: 1/2, 1/2, 2/2
    precision = (1 + 1 / 2 + 2 / 3) / 3
    recall = (1 / 2 + 1 / 2 + 1) / 3
    f1 = (2 * 1 * 0.5 / 1.5 + 0.5 + 2 * (2 / 3) / (5 / 3)) / 3
    scores = compute_all("multiclass", Y_MC, PRED_MC, P_MC, classes=[0, 1, 2])
    assert scores["accuracy"] == pytest.approx(4 / 6)
    assert scores["precision"] == pytest.approx(precision)
    assert scores["recall"] == pytest.approx(recall)
    assert scores["f1"] == pytest.approx(f1)


def test_multiclass_log_loss_by_hand() -> None:
    expected = -np.mean(np.log([0.7, 0.3, 0.5, 0.3, 0.7, 0.6]))
    assert METRICS["log_loss"].score(Y_MC, proba=P_MC, classes=[0, 1, 2]) == pytest.approx(expected)


def test_multiclass_roc_auc_is_one_vs_rest_macro() -> None:
    # class 0: pos {.7,.3} vs neg {.2,.1,.1,.2}: 8/8; class 1: pos {.5,.3} vs neg {.2,.6,.2,.2}:
    # .5 beats 3, .3 beats 3 -> 6/8; class 2: pos {.7,.6} vs neg {.1,.1,.3,.6}: 4 + 3.5 -> 7.5/8
    expected = (1 + 6 / 8 + 7.5 / 8) / 3
    assert METRICS["roc_auc"].score(Y_MC, proba=P_MC, classes=[0, 1, 2]) == pytest.approx(expected)


def test_multiclass_fold_missing_a_class_still_scores() -> None:
    rows = [0, 1, 2, 3]  # classes 0 and 1 only; class 2 is absent from this fold
    roc = METRICS["roc_auc"].score(Y_MC[rows], proba=P_MC[rows], classes=[0, 1, 2])
    # class 0: 4/4; class 1: pos {.5,.3} vs neg {.2,.6}: 2/4; class 2 has no AUC here and is left out
    assert roc == pytest.approx((1 + 2 / 4) / 2)
    loss = METRICS["log_loss"].score(Y_MC[rows], proba=P_MC[rows], classes=[0, 1, 2])
    assert loss == pytest.approx(-np.mean(np.log([0.7, 0.3, 0.5, 0.3])))


def test_multiclass_follows_the_task_even_with_two_classes_seen() -> None:
    y_true, y_pred = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    binary = METRICS["recall"].score(y_true, y_pred, task="binary")
    macro = METRICS["recall"].score(y_true, y_pred, task="multiclass")
    assert binary == pytest.approx(1.0)
    assert macro == pytest.approx(0.75)


def test_log_loss_clips_and_renormalises_like_the_benchmark() -> None:
    proba = np.array([[1.0, 0.0], [0.0, 1.0]])  # certain and wrong on row 0
    loss = METRICS["log_loss"].score([1, 1], proba=proba, classes=[0, 1])
    assert loss == pytest.approx(-math.log(1e-15) / 2, rel=1e-6)
    assert math.isfinite(loss)


def test_undefined_metrics_are_nan() -> None:
    assert math.isnan(METRICS["roc_auc"].score([1, 1, 1], proba=[0.2, 0.5, 0.9]))
    one_class = METRICS["roc_auc"].score([2, 2], proba=P_MC[:2], classes=[0, 1, 2])
    assert math.isnan(one_class)
    assert math.isnan(METRICS["accuracy"].score([], []))
    assert math.isnan(METRICS["r2"].score([3.0], [2.0]))


def test_regression_metrics_by_hand() -> None:
    y_true, y_pred = [1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 3.0, 2.0]   # errors 0, 1, 0, -2
    scores = compute_all("regression", y_true, y_pred)
    assert scores == pytest.approx({
        "mae": 3 / 4,
        "mse": 5 / 4,
        "rmse": math.sqrt(5 / 4),
        "r2": 1 - 5 / 5,  # total sum of squares around 2.5 is 5
    })


def test_compute_all_skips_probability_metrics_without_probabilities() -> None:
    scores = compute_all("binary", Y_BIN, PRED_BIN)
    assert "roc_auc" not in scores and "log_loss" not in scores
    assert scores["accuracy"] == pytest.approx(0.5)


def test_defaults_match_the_reference_benchmark() -> None:
    assert default_metric("binary").name == "roc_auc"
    assert default_metric("multiclass").name == "log_loss"
    assert default_metric("regression").name == "rmse"
    assert get_metric(None, "regression") is METRICS["rmse"]


def test_direction() -> None:
    assert METRICS["roc_auc"].greater_is_better and METRICS["r2"].greater_is_better
    for name in ("log_loss", "mae", "mse", "rmse"):
        assert not METRICS[name].greater_is_better
    assert signed(METRICS["rmse"], 2.0) == -2.0
    assert signed("auc", 0.8) == 0.8
    # larger signed value is always the better model
    assert signed("log_loss", 0.2) > signed("log_loss", 0.5)


def test_needs_proba() -> None:
    assert {m.name for m in METRICS.values() if m.needs_proba} == {"roc_auc", "log_loss"}
    with pytest.raises(ValueError):
        METRICS["roc_auc"].score(Y_BIN, PRED_BIN)


@pytest.mark.parametrize(
    "alias, name",
    [("AUC", "roc_auc"), ("roc-auc", "roc_auc"), ("LogLoss", "log_loss"), ("Accuracy", "accuracy"),
     ("F1", "f1"), ("RMSE", "rmse"), ("mean_absolute_error", "mae"), ("R2", "r2")],
)
def test_aliases_are_case_insensitive(alias: str, name: str) -> None:
    task = "regression" if name in ("rmse", "mae", "r2") else "binary"
    assert get_metric(alias, task).name == name


def test_unknown_metric_lists_the_choices_for_the_task() -> None:
    with pytest.raises(ConfigError) as err:
        get_metric("kappa", "binary")
    assert err.value.key == "metrics.unknown"
    assert "roc_auc" in err.value.params["choices"]
    assert "rmse" not in err.value.params["choices"]
    assert "kappa" in err.value.render("en") and "kappa" in err.value.render("ja")


@pytest.mark.parametrize("name, task", [("rmse", "binary"), ("roc_auc", "regression"), ("r2", "multiclass")])
def test_metric_for_the_wrong_task(name: str, task: str) -> None:
    with pytest.raises(ConfigError) as err:
        get_metric(name, task)
    assert err.value.key == "metrics.wrong_task"
    assert name not in err.value.params["choices"].split(", ")


def test_unknown_task() -> None:
    with pytest.raises(ConfigError) as err:
        default_metric("clustering")
    assert err.value.key == "metrics.unknown_task"


def test_message_keys_exist_in_both_languages() -> None:
    for key in ("metrics.unknown", "metrics.wrong_task"):
        for lang in ("en", "ja"):
            text = t(key, lang, name="x", task="binary", choices="a, b")
            assert "x" in text and "a, b" in text
