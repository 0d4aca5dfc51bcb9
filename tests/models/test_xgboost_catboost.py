"""XGBoost and CatBoost as the zoo builds them: native categoricals, early stopping on held-out
rows, a deadline that stops training, determinism, silence, and the scikit-learn contract."""
from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.base import clone

from manabu.models.zoo import ZOO
from manabu.models.early_stopping import SMALL_DATA_TREES

FAMILIES = ["xgboost", "catboost"]


def _data(n: int, task: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two category-code columns (NaN for missing) and two numbers, as the preprocessing gives."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(n, 2)).astype(float)
    codes[rng.choice(n, n // 10, replace=False), 0] = np.nan
    numbers = rng.normal(size=(n, 2))
    signal = (codes[:, 0] == 2) * 2.0 + numbers[:, 0] + rng.normal(scale=0.3, size=n)
    if task == "regression":
        y = signal
    elif task == "binary":
        y = (signal > np.median(signal)).astype(int)
    else:
        y = np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3]))
    return np.column_stack([codes, numbers]), y


def _model(name: str, task: str, params: dict | None = None, seed: int = 0):
    entry = ZOO[name]
    estimator = entry.make(task, params or {}, seed)
    estimator.set_params(**{entry.threads_param: 1})
    return estimator, entry.use_categoricals(estimator, 2)


def _n_trees(name: str, estimator) -> int:
    if name == "xgboost":
        return estimator.get_booster().num_boosted_rounds()
    return estimator.tree_count_


@pytest.mark.parametrize("name", FAMILIES)
def test_a_passed_deadline_stops_training_and_keeps_the_trees_built(name):
    X, y = _data(600, "binary")
    estimator, fit_params = _model(name, "binary", {"learning_rate": 0.01})
    fit_params.update(ZOO[name].stop_at(time.monotonic() - 1))
    started = time.monotonic()
    estimator.fit(X, y, **fit_params)
    assert time.monotonic() - started < 5
    assert estimator.stopped_at_deadline_
    assert 1 <= _n_trees(name, estimator) <= 2  # the round during which the deadline was seen
    assert estimator.predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize("name", FAMILIES)
def test_a_deadline_not_reached_changes_nothing(name):
    X, y = _data(200, "regression")
    first, fit_params = _model(name, "regression")
    first.fit(X, y, **fit_params)
    second, fit_params = _model(name, "regression")
    fit_params.update(ZOO[name].stop_at(time.monotonic() + 600))
    second.fit(X, y, **fit_params)
    np.testing.assert_array_equal(second.predict(X), first.predict(X))
    assert not second.stopped_at_deadline_


@pytest.mark.parametrize("name", FAMILIES)
def test_early_stopping_on_held_out_rows(name):
    X, y = _data(1500, "binary")
    estimator, fit_params = _model(name, "binary", {"learning_rate": 0.3})
    estimator.fit(X, y, **fit_params)
    assert 0 < _n_trees(name, estimator) < 2000
    if name == "xgboost":  # it keeps the patience rounds, and predicts with the best one
        assert estimator.best_iteration + 1 + 50 == _n_trees(name, estimator)
    assert (estimator.predict(X) == y).mean() > 0.8


@pytest.mark.parametrize("name", FAMILIES)
def test_small_data_gets_a_fixed_number_of_trees(name):
    X, y = _data(120, "multiclass")
    estimator, fit_params = _model(name, "multiclass")
    estimator.fit(X, y, **fit_params)
    assert _n_trees(name, estimator) == SMALL_DATA_TREES
    assert estimator.predict_proba(X).shape == (120, 3)
    assert estimator.predict(X).shape == (120,)


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("task", ["binary", "regression"])
def test_same_seed_same_model_and_silent(name, task, capfd):
    X, y = _data(400, task)
    predictions = []
    for _ in range(2):
        estimator, fit_params = _model(name, task, {"subsample": 0.8, "bagging_temperature": 0.5})
        estimator.fit(X, y, **fit_params)
        predictions.append(estimator.predict(X))
    np.testing.assert_array_equal(predictions[0], predictions[1])
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_xgboost_learns_the_codes_as_categories_and_keeps_its_parameters():
    X, y = _data(300, "binary")
    estimator, fit_params = _model("xgboost", "binary")
    before = estimator.get_params()
    estimator.fit(X, y, **fit_params)
    assert estimator.get_booster().feature_types == ["c", "c", "q", "q"]
    after = estimator.get_params()
    assert after["feature_types"] is None and after["callbacks"] is None
    assert _comparable(after) == _comparable(before)


@pytest.mark.parametrize("one_hot_max_size", [None, 2], ids=["one-hot", "target-statistics"])
def test_catboost_learns_the_codes_as_categories(one_hot_max_size):
    """Both encodings the zoo uses: few-valued categories one-hot (the default), and CatBoost's
    own target statistics (its library default, kept in a portfolio start and the space)."""
    X, y = _data(300, "binary")
    params = {} if one_hot_max_size is None else {"one_hot_max_size": one_hot_max_size}
    estimator, fit_params = _model("catboost", "binary", params)
    assert fit_params == {}
    estimator.fit(X, y)
    assert estimator.get_cat_feature_indices() == [0, 1]
    assert (estimator.predict(X) == y).mean() > 0.8, "the category carries the signal"
    # unseen codes and missing values at predict time
    fresh = X[:5].copy()
    fresh[:, 0] = [np.nan, 7, 0, 1, 2]
    assert estimator.predict_proba(fresh).shape == (5, 2)


@pytest.mark.parametrize("name", FAMILIES)
def test_scikit_learn_contract(name):
    estimator, _ = _model(name, "multiclass", {"learning_rate": 0.1})
    copy = clone(estimator)
    assert type(copy) is type(estimator)
    assert _comparable(copy.get_params()) == _comparable(estimator.get_params())
    copy.set_params(learning_rate=0.2)
    assert copy.get_params()["learning_rate"] == 0.2
    assert estimator.get_params()["learning_rate"] == 0.1


def _comparable(params: dict) -> dict:
    return {k: ("nan" if isinstance(v, float) and np.isnan(v) else v) for k, v in params.items()}


def test_xgboost_classifier_takes_any_labels():
    X, y = _data(200, "multiclass")
    labels = np.array(["low", "mid", "high"])[y]
    estimator, fit_params = _model("xgboost", "multiclass")
    estimator.fit(X, labels, **fit_params)
    assert list(estimator.classes_) == ["high", "low", "mid"]
    assert set(estimator.predict(X)) <= {"high", "low", "mid"}

    missing_class = np.where(y == 1, 2, y)  # labels 0 and 2, as a fold that lacks class 1
    estimator.fit(X, missing_class, **fit_params)
    assert list(estimator.classes_) == [0, 2]
    assert set(estimator.predict(X)) <= {0, 2}
    assert estimator.predict_proba(X).shape == (200, 2)
