"""Diagnostics: the numbers the report draws agree with scikit-learn, stay small, and are plain
JSON even for the odd predictions a weak model or a small data set produces."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn import metrics as skm

from manabu.evaluate.diagnostics import classification_diagnostics, regression_diagnostics

CLASSIFICATION_SECTIONS = ("confusion", "report", "roc", "pr", "calibration", "threshold")
REGRESSION_SECTIONS = ("points", "residuals", "summary", "by_predicted")


def assert_plain_json(value) -> None:
    """Only JSON's own types (np.float64 passes json.dumps as a float subclass, so check types
    exactly), and json.dumps refuses NaN and infinity."""
    def walk(item):
        if isinstance(item, dict):
            for key, inner in item.items():
                assert type(key) is str
                walk(inner)
        elif isinstance(item, list):
            for inner in item:
                walk(inner)
        else:
            assert item is None or type(item) in (str, int, float, bool), type(item)
    walk(value)
    json.dumps(value, allow_nan=False)


def binary_data(n: int = 800, seed: int = 0, positive_share: float = 0.5):
    """Scores that separate the classes only partly, so curves have many points."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < positive_share).astype(int)
    p1 = 1 / (1 + np.exp(-(1.2 * (2 * y - 1) + rng.normal(size=n))))
    return y, np.column_stack([1 - p1, p1])


def multiclass_data(n: int = 900, k: int = 4, seed: int = 1):
    rng = np.random.default_rng(seed)
    y = rng.choice(k, size=n, p=np.arange(1, k + 1) / (k * (k + 1) / 2))
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.5
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba


# --- classification: agreement with scikit-learn --------------------------------------------


def test_binary_confusion_and_report_agree_with_the_rows():
    y, proba = binary_data()
    d = classification_diagnostics(y, proba, ["no", "yes"])
    matrix = np.array(d["confusion"]["matrix"])
    assert d["task"] == "binary" and d["n_rows"] == len(y)
    assert d["confusion"]["labels"] == ["no", "yes"]
    assert matrix.sum() == d["n_rows"]
    assert np.trace(matrix) / d["n_rows"] == pytest.approx(d["report"]["accuracy"])
    assert d["report"]["accuracy"] == pytest.approx(skm.accuracy_score(y, proba.argmax(axis=1)))
    assert d["report"]["yes"]["support"] == int(y.sum())
    assert d["report"]["yes"]["f1"] == pytest.approx(skm.f1_score(y, proba.argmax(axis=1)))
    assert set(d["report"]) == {"no", "yes", "accuracy", "macro avg", "weighted avg"}


def test_binary_scores_equal_sklearn_on_the_same_rows():
    y, proba = binary_data(positive_share=0.3)
    d = classification_diagnostics(y, proba, [0, 1])
    assert d["roc"]["auc"] == pytest.approx(skm.roc_auc_score(y, proba[:, 1]))
    expected_ap = skm.average_precision_score(y, proba[:, 1])
    assert d["pr"]["average_precision"] == pytest.approx(expected_ap)
    assert d["pr"]["base_rate"] == pytest.approx(y.mean())
    assert d["calibration"]["brier"] == pytest.approx(skm.brier_score_loss(y, proba[:, 1]))


def test_nan_rows_are_left_out():
    y, proba = binary_data(n=400)
    y = y.astype(float)
    y[:7] = np.nan
    proba[10:15, 1] = np.nan
    d = classification_diagnostics(y, proba, ["a", "b"])
    kept = np.arange(400) >= 15
    kept[7:10] = True
    assert d["n_rows"] == 400 - 12
    assert np.array(d["confusion"]["matrix"]).sum() == d["n_rows"]
    assert d["roc"]["auc"] == pytest.approx(skm.roc_auc_score(y[kept], proba[kept, 1]))
    assert_plain_json(d)


def test_curves_are_thinned_but_keep_their_ends():
    y, proba = binary_data(n=3000)
    d = classification_diagnostics(y, proba, ["a", "b"], max_points=40)
    roc, pr, threshold = d["roc"], d["pr"], d["threshold"]
    full_fpr, full_tpr, _ = skm.roc_curve(y, proba[:, 1])
    assert len(full_fpr) > 40  # otherwise nothing was thinned
    assert len(roc["fpr"]) == len(roc["tpr"]) <= 40
    assert (roc["fpr"][0], roc["tpr"][0], roc["fpr"][-1], roc["tpr"][-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(roc["fpr"]) >= 0)
    assert len(pr["recall"]) == len(pr["precision"]) <= 40
    assert pr["recall"][0] == 1.0 and pr["recall"][-1] == 0.0 and pr["precision"][-1] == 1.0
    lengths = {len(threshold[key]) for key in ("thresholds", "precision", "recall", "f1")}
    assert lengths == {40}
    assert threshold["best_f1_threshold"] in threshold["thresholds"]  # the best point is drawn


def test_best_f1_threshold_is_no_worse_than_half():
    y, proba = binary_data(positive_share=0.15, seed=3)
    threshold = classification_diagnostics(y, proba, ["a", "b"])["threshold"]
    best = threshold["best_f1_threshold"]
    f1_best = skm.f1_score(y, proba[:, 1] >= best)
    f1_half = skm.f1_score(y, proba[:, 1] >= 0.5)
    assert f1_best >= f1_half
    assert f1_best == pytest.approx(threshold["best_f1"])
    assert f1_half == pytest.approx(threshold["f1_at_half"])
    assert max(threshold["f1"]) == pytest.approx(threshold["best_f1"])


def test_binary_calibration_counts_cover_every_row():
    y, proba = binary_data(n=1000)
    calibration = classification_diagnostics(y, proba, ["a", "b"])["calibration"]
    assert calibration["strategy"] == "quantile"
    assert sum(calibration["counts"]) == 1000
    assert len(calibration["counts"]) == len(calibration["mean_predicted"]) \
        == len(calibration["fraction_positive"]) <= 10
    small = classification_diagnostics(y[:30], proba[:30], ["a", "b"])["calibration"]
    assert small["strategy"] == "uniform" and sum(small["counts"]) == 30


def test_multiclass_curves_and_scores_equal_sklearn():
    y, proba = multiclass_data()
    d = classification_diagnostics(y, proba, ["w", "x", "y", "z"], max_points=30)
    assert d["task"] == "multiclass" and d["threshold"] is None
    assert d["roc"]["macro_auc"] == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr"))
    for code, curve in enumerate(d["roc"]["curves"]):
        assert curve["class"] == "wxyz"[code]
        assert curve["auc"] == pytest.approx(skm.roc_auc_score(y == code, proba[:, code]))
        assert len(curve["fpr"]) <= 30 and curve["fpr"][0] == 0.0 and curve["fpr"][-1] == 1.0
    for code, curve in enumerate(d["pr"]["curves"]):
        assert curve["average_precision"] == pytest.approx(
            skm.average_precision_score(y == code, proba[:, code]))
    one_hot = np.eye(4)[y]
    assert d["calibration"]["brier"] == pytest.approx(((proba - one_hot) ** 2).sum(axis=1).mean())
    assert sum(d["calibration"]["counts"]) == len(y)
    assert np.array(d["confusion"]["matrix"]).sum() == len(y)


def test_multiclass_draws_only_the_most_frequent_classes():
    y, proba = multiclass_data(n=600, k=5)  # class 4 is the most frequent, class 0 the least
    d = classification_diagnostics(y, proba, list("abcde"), max_curve_classes=3)
    assert [c["class"] for c in d["roc"]["curves"]] == ["c", "d", "e"]
    assert [c["class"] for c in d["pr"]["curves"]] == ["c", "d", "e"]
    assert len(d["report"]) == 5 + 3  # every class is still in the report


def test_class_absent_from_y_has_no_curve():
    y, proba = multiclass_data(n=300, k=3)
    y[y == 1] = 2
    d = classification_diagnostics(y, proba, ["a", "b", "c"])
    absent = next(c for c in d["roc"]["curves"] if c["class"] == "b")
    assert absent["auc"] is None and absent["fpr"] is None
    pr_absent = next(c for c in d["pr"]["curves"] if c["class"] == "b")
    assert pr_absent["average_precision"] is None and pr_absent["base_rate"] == 0.0
    assert d["confusion"]["matrix"][1] == [0, 0, 0] and len(d["confusion"]["matrix"]) == 3
    expected = np.mean([skm.roc_auc_score(y == c, proba[:, c]) for c in (0, 2)])
    assert d["roc"]["macro_auc"] == pytest.approx(expected)


# --- classification: nasty cases ------------------------------------------------------------


def _nasty_classification():
    rng = np.random.default_rng(7)
    y, proba = binary_data(n=200)
    y26 = rng.integers(0, 26, 500)
    p26 = rng.dirichlet(np.ones(26), 500)
    yield "one class, binary", np.zeros(200, int), proba, ["a", "b"]
    yield "only positives", np.ones(200, int), proba, ["a", "b"]
    yield "one class, multiclass", np.full(60, 2), rng.dirichlet(np.ones(3), 60), ["a", "b", "c"]
    yield "all proba equal", y, np.full((200, 2), 0.5), ["a", "b"]
    yield "all proba equal, multiclass", y26, np.full((500, 26), 1 / 26), list(range(26))
    yield "False and True", y, proba, [False, True]
    yield "26 classes", y26, p26, [chr(ord("A") + i) for i in range(26)]
    yield "few rows", y[:3], proba[:3], ["a", "b"]
    yield "one row", y[:1], proba[:1], ["a", "b"]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name, y, proba, classes", list(_nasty_classification()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_nasty_classification_is_plain_json(name, y, proba, classes):
    d = classification_diagnostics(y, proba, classes)
    assert_plain_json(d)
    assert d["n_rows"] == len(y)
    assert d["classes"] == [str(c) for c in classes]
    assert np.array(d["confusion"]["matrix"]).sum() == len(y)
    assert sum(d["calibration"]["counts"]) == len(y)


def test_one_class_computes_what_it_can():
    y, proba = binary_data(n=200)
    d = classification_diagnostics(np.zeros(200, int), proba, ["a", "b"])
    assert d["roc"] == {"fpr": None, "tpr": None, "auc": None}
    assert d["pr"]["average_precision"] is None and d["pr"]["base_rate"] == 0.0
    assert d["threshold"] is None
    assert d["calibration"]["brier"] == pytest.approx(np.mean(proba[:, 1] ** 2))
    assert d["report"]["accuracy"] == pytest.approx(np.mean(proba.argmax(axis=1) == 0))


def test_false_true_classes_are_strings():
    y, proba = binary_data(n=200)
    d = classification_diagnostics(y, proba, [False, True])
    assert d["classes"] == ["False", "True"] and d["confusion"]["labels"] == ["False", "True"]
    assert {"False", "True"} <= set(d["report"])


def test_26_classes_draw_ten_curves():
    rng = np.random.default_rng(2)
    d = classification_diagnostics(rng.integers(0, 26, 800), rng.dirichlet(np.ones(26), 800),
                                   list(range(26)))
    assert len(d["roc"]["curves"]) == len(d["pr"]["curves"]) == 10
    assert len(d["confusion"]["matrix"]) == 26 and len(d["confusion"]["matrix"][0]) == 26


@pytest.mark.filterwarnings("error")
def test_no_rows_left_gives_empty_sections():
    y = np.array([np.nan, 1.0, 0.0])
    proba = np.array([[0.3, 0.7], [np.nan, np.nan], [0.5, np.nan]])
    d = classification_diagnostics(y, proba, ["a", "b"])
    assert d["n_rows"] == 0
    assert all(d[key] is None for key in CLASSIFICATION_SECTIONS)
    assert_plain_json(d)


def test_wrong_shapes_are_refused():
    with pytest.raises(ValueError):
        classification_diagnostics(np.zeros(4), np.zeros((4, 3)), ["a", "b"])
    with pytest.raises(ValueError):
        classification_diagnostics(np.array([0, 5]), np.full((2, 2), 0.5), ["a", "b"])


# --- regression -----------------------------------------------------------------------------


def regression_data(n: int = 5000, seed: int = 0):
    rng = np.random.default_rng(seed)
    actual = rng.normal(10, 3, n)
    predicted = actual + rng.normal(0, 1, n)
    misses = (np.array([0.003, 0.25, 0.86, 0.2, 0.6]) * n).astype(int)
    predicted[misses] += [40, -35, 30, 25, -50]  # five clear misses
    return actual, predicted


def test_regression_sample_keeps_the_worst_misses():
    actual, predicted = regression_data()
    d = regression_diagnostics(actual, predicted, max_points=100, seed=3)
    points = d["points"]
    assert len(points["actual"]) == len(points["predicted"]) == 100
    sampled = set(zip(points["actual"], points["predicted"]))
    worst = np.argsort(-np.abs(actual - predicted))[:5]
    assert all((actual[i], predicted[i]) in sampled for i in worst)
    again = regression_diagnostics(actual, predicted, max_points=100, seed=3)["points"]
    assert again == points  # seeded
    other = regression_diagnostics(actual, predicted, max_points=100, seed=4)["points"]
    assert other != points


def test_regression_summary_equals_sklearn():
    actual, predicted = regression_data()
    s = regression_diagnostics(actual, predicted)["summary"]
    assert s["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(actual, predicted)))
    assert s["mae"] == pytest.approx(skm.mean_absolute_error(actual, predicted))
    assert s["r2"] == pytest.approx(skm.r2_score(actual, predicted))
    assert s["mean_residual"] == pytest.approx(np.mean(actual - predicted))
    assert s["median_absolute_error"] == pytest.approx(skm.median_absolute_error(actual, predicted))


def test_residual_histogram_and_bias_bins_cover_every_row():
    actual, predicted = regression_data(n=2000)
    d = regression_diagnostics(actual, predicted, bins=25)
    residuals, bias = d["residuals"], d["by_predicted"]
    assert sum(residuals["counts"]) == 2000 and len(residuals["edges"]) == 26
    assert residuals["edges"][0] == pytest.approx((actual - predicted).min())
    assert sum(bias["counts"]) == 2000 and len(bias["centers"]) == 10
    assert bias["centers"] == sorted(bias["centers"])
    assert len(bias["mean"]) == len(bias["std"]) == 10


def test_bias_bins_show_where_the_model_is_biased():
    x = np.linspace(0, 10, 1000)
    d = regression_diagnostics(x, 0.5 * x + 2.5)  # too high for small x, too low for large x
    mean = d["by_predicted"]["mean"]
    assert mean[0] < 0 < mean[-1]


def test_regression_nan_rows_are_left_out():
    actual, predicted = regression_data(n=300)
    actual[:4] = np.nan
    predicted[10:13] = np.inf
    d = regression_diagnostics(actual, predicted)
    assert d["n_rows"] == 293
    assert len(d["points"]["actual"]) == 293 and sum(d["residuals"]["counts"]) == 293
    assert_plain_json(d)


def _nasty_regression():
    yield "constant y", np.full(50, 3.0), np.linspace(2, 4, 50)
    yield "constant y and prediction", np.full(50, 3.0), np.full(50, 3.0)
    yield "fewer rows than bins", np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0])
    yield "one row", np.array([1.0]), np.array([2.0])


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name, actual, predicted", list(_nasty_regression()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_nasty_regression_is_plain_json(name, actual, predicted):
    d = regression_diagnostics(actual, predicted)
    assert_plain_json(d)
    assert d["n_rows"] == len(actual)
    assert sum(d["residuals"]["counts"]) == len(actual)
    assert sum(d["by_predicted"]["counts"]) == len(actual)
    if np.all(actual == actual[0]):
        assert d["summary"]["r2"] is None


@pytest.mark.filterwarnings("error")
def test_regression_with_no_rows_left():
    d = regression_diagnostics(np.array([np.nan, 1.0]), np.array([1.0, np.nan]))
    assert d["n_rows"] == 0
    assert all(d[key] is None for key in REGRESSION_SECTIONS)
    assert_plain_json(d)
