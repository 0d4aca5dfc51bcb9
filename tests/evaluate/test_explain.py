"""SHAP values per data column for whatever model is chosen (``manabu.evaluate.explain``): the
boosting families' TreeSHAP, KernelSHAP on a sample for the others (SVM, kNN, MLP, linear,
text), an averaging ensemble through its weighted members, a stacked one as a whole; bounded in
time on a medium table."""
from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from manabu.data.schema import infer_schema
from manabu.ensemble.model import Ensemble
from manabu.evaluate.explain import (ensemble_contributions, kernel_coalitions, kernel_contributions,
                                     model_contributions, ranked)
from manabu.models.outputs import predict_scores
from manabu.models.zoo import ZOO
from manabu.search.candidate import Candidate


def _table(task: str, n: int = 600, noise: int = 3, seed: int = 0):
    """A signal column that decides the target, a weaker one, noise, a category and a date."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"signal": rng.normal(size=n), "weak": rng.normal(size=n),
                          **{f"noise{i}": rng.normal(size=n) for i in range(noise)},
                          "colour": rng.choice(["赤", "青", "緑"], n),
                          "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="h")})
    value = 3 * frame["signal"] + 0.5 * frame["weak"] + rng.normal(0, 0.3, n)
    frame["y"] = {"binary": np.where(value > 0, "yes", "no"),
                  "multiclass": pd.cut(value, 3, labels=["a", "b", "c"]).astype(str),
                  "regression": value}[task]
    schema = infer_schema(frame, "y")
    y = np.unique(frame["y"], return_inverse=True)[1] if task != "regression" else frame["y"].to_numpy(float)
    return schema, schema.prepare(frame), y


def _fitted(family: str, schema, X, y, task: str, params=None):
    pipeline, fit_params = Candidate(family, ZOO[family], params or {}, "portfolio").build(schema, task, 0,
                                                                                            n_rows=len(y))
    return pipeline.fit(X, y, **fit_params)


def _predict(model, task: str, n_classes: int):
    return lambda rows: predict_scores(model, rows, task, n_classes)


def _n_classes(task: str) -> int:
    return {"binary": 2, "multiclass": 3, "regression": 0}[task]


@pytest.mark.parametrize("family,task", [("svm", "binary"), ("knn", "binary"), ("mlp", "multiclass"),
                                         ("linear", "regression"), ("decision_tree", "binary")])
def test_a_model_without_tree_shap_is_explained_per_data_column(family, task):
    """KernelSHAP through the whole pipeline: one value per data column (the category and the
    date included, whatever the preprocessing made of them), finite, the signal first."""
    schema, X, y = _table(task)
    model = _fitted(family, schema, X, y, task)
    result = model_contributions(model, X, _predict(model, task, _n_classes(task)), seed=0, unit="probability")
    assert result["method"] == "kernel"
    assert set(result["values"]) == {c.name for c in schema.features}
    assert np.isfinite(list(result["values"].values())).all()
    shown = ranked(result)
    assert shown["columns"][0] == "signal", shown
    assert shown["rows"] >= 10 and shown["background"] >= 8
    json.dumps(shown, allow_nan=False)


def test_a_boosting_model_keeps_its_exact_tree_shap():
    schema, X, y = _table("binary")
    model = _fitted("lightgbm", schema, X, y, "binary", {"n_estimators": 50})
    result = model_contributions(model, X, _predict(model, "binary", 2), seed=0)
    assert result["method"] == "tree" and result["unit"] == "raw"
    assert set(result["values"]) == {c.name for c in schema.features}
    assert ranked(result)["columns"][0] == "signal"


def test_tree_shap_of_a_large_booster_explains_the_rows_that_fit_its_time():
    """TreeSHAP's cost grows with rows × trees × leaves: 2,000 rows of a 2,000-tree model took
    34 s after an 8 s search. Given a budget, it explains fewer rows, still ranking the signal first."""
    schema, X, y = _table("binary", n=2000)
    model = _fitted("lightgbm", schema, X, y, "binary",
                    {"n_estimators": 200, "learning_rate": 0.01, "num_leaves": 63, "min_child_samples": 2})
    predict = _predict(model, "binary", 2)
    started = time.monotonic()
    everything = model_contributions(model, X, predict, seed=0, seconds=60)
    took = time.monotonic() - started
    bounded = model_contributions(model, X, predict, seed=0, seconds=took / 10)
    assert everything["rows"] == 2000
    assert 5 <= bounded["rows"] < 1000, (bounded["rows"], took)
    assert ranked(bounded)["columns"][0] == "signal"


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_an_averaging_ensemble_weighs_its_members(task):
    """A boosting member (TreeSHAP, in log-odds) and an SVM (KernelSHAP, in probabilities): each
    as shares of its own total, averaged with the ensemble's weights; the shares add up to one."""
    schema, X, y = _table(task)
    boosted = _fitted("lightgbm", schema, X, y, task, {"n_estimators": 50})
    svm = _fitted("svm", schema, X, y, task)
    ensemble = Ensemble([("lightgbm", boosted), ("svm", svm)], [0.7, 0.3], task, _n_classes(task))
    members = [(name, pipeline, _predict(pipeline, task, _n_classes(task))) for name, pipeline in ensemble.members]
    result = ensemble_contributions(members, ensemble.weights, X, seed=0)
    assert result["method"] == "ensemble" and result["unit"] == "share"
    assert [m["method"] for m in result["members"]] == ["tree", "kernel"]
    assert [m["weight"] for m in result["members"]] == [0.7, 0.3]
    values = result["values"]
    assert set(values) == {c.name for c in schema.features}
    assert np.isfinite(list(values.values())).all() and sum(values.values()) == pytest.approx(1.0)
    assert ranked(result)["columns"][0] == "signal"
    json.dumps(ranked(result), allow_nan=False)


def test_a_stacked_ensemble_is_explained_as_a_whole():
    """A stacker on the members' log-odds is no weighted mean of their answers: KernelSHAP on
    the ensemble itself."""
    from sklearn.linear_model import LogisticRegression
    from manabu.ensemble.model import stack_features

    schema, X, y = _table("binary")
    members = [("knn", _fitted("knn", schema, X, y, "binary")), ("linear", _fitted("linear", schema, X, y, "binary"))]
    outputs = [predict_scores(p, X, "binary", 2) for _, p in members]
    stacker = LogisticRegression().fit(stack_features(outputs, "binary"), y)
    ensemble = Ensemble(members, [0.5, 0.5], "binary", 2, stacker=stacker)
    result = model_contributions(ensemble, X, _predict(ensemble, "binary", 2), seed=0, unit="probability")
    assert result["method"] == "kernel"
    assert ranked(result)["columns"][0] == "signal"


def test_a_text_model_is_explained_per_column():
    """text_linear on Japanese reviews beside a numeric column: the review column, which
    carries the label, moves the answers most."""
    from tests.text.corpus import japanese_reviews

    frame = japanese_reviews(300)
    frame["stars"] = np.random.default_rng(0).normal(size=len(frame))
    schema = infer_schema(frame, "評価")
    X, y = schema.prepare(frame), np.unique(frame["評価"], return_inverse=True)[1]
    model = _fitted("text_linear", schema, X, y, "binary")
    result = ranked(model_contributions(model, X, _predict(model, "binary", 2), seed=0, unit="probability"))
    assert result["method"] == "kernel" and result["columns"][0] == "レビュー"


@pytest.mark.timing
def test_it_stays_within_a_few_seconds_on_a_medium_table():
    """2,000 rows × 20 columns, an SVM (whose prediction is among the slowest of the zoo's): the
    sample is sized to the budget. Loosely bounded, the machine being shared."""
    schema, X, y = _table("binary", n=2000, noise=16)
    assert len(X.columns) == 20
    model = _fitted("svm", schema, X, y, "binary")
    started = time.monotonic()
    result = model_contributions(model, X, _predict(model, "binary", 2), seed=0)
    assert time.monotonic() - started < 20
    assert result["rows"] >= 10 and ranked(result)["columns"][0] == "signal"


def test_a_model_too_slow_to_explain_is_skipped_with_an_estimate():
    def slow(rows: pd.DataFrame) -> np.ndarray:
        time.sleep(0.05)
        return np.zeros(len(rows))

    _, X, _ = _table("regression", n=100)
    result = kernel_contributions(slow, X, seed=0, seconds=0.2)
    assert result["skipped_seconds"] > 0.4 and ranked(result) == result


def test_a_table_too_wide_to_hold_its_coalitions_is_skipped():
    X = pd.DataFrame(np.zeros((20, 1500)), columns=[f"c{i}" for i in range(1500)])
    assert kernel_contributions(lambda rows: np.zeros(len(rows)), X, seed=0) == {"skipped_columns": 1500}


def test_the_coalitions_take_every_column_alone_and_left_out():
    """Fewer, KernelSHAP draws them at random with repeats and its regression can be singular
    (values of 1e12); few columns are enumerated exactly."""
    assert kernel_coalitions(1) == 2 and kernel_coalitions(3) == 6  # all 2**3 - 2
    for m in (5, 10, 21, 60):
        assert kernel_coalitions(m) >= 2 * m + m


def test_shaps_own_import_counts_against_the_explainers_seconds():
    """Importing shap takes about a second, once per process: with less than that left, the
    model-agnostic explainer is skipped (saying how long it would take), not run late."""
    import subprocess
    import sys

    code = ("import sys, numpy as np, pandas as pd\n"
            "from manabu.evaluate.explain import SHAP_IMPORT_SECONDS, kernel_contributions\n"
            "X = pd.DataFrame({'a': np.arange(50.0), 'b': np.arange(50.0) % 3})\n"
            "answer = lambda rows: rows['a'].to_numpy(dtype=float)\n"
            "assert 'shap' not in sys.modules\n"
            "print(kernel_contributions(answer, X, 0, seconds=0.5) == {'skipped_seconds': SHAP_IMPORT_SECONDS},\n"
            "      'shap' in sys.modules, kernel_contributions(answer, X, 0, seconds=5.0)['method'])\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "False", "kernel"]
