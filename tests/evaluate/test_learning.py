"""The learning curve's verdicts and the permutation importances, on models whose behaviour is
known: a deep tree that memorises, a linear model that has learnt all it can, and data where one
column carries the signal."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.tree import DecisionTreeRegressor

from manabu.evaluate.learning import SHARES, column_importance, dependence, learning_curve, verdict


def _data(n: int = 2000, noise: float = 1.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"signal": rng.normal(size=n), "weak": rng.normal(size=n), "noise": rng.normal(size=n)})
    y = 3 * X["signal"].to_numpy() + 0.5 * X["weak"].to_numpy() + rng.normal(0, noise, n)
    order = rng.permutation(n)
    return X, y, order[: int(0.8 * n)], order[int(0.8 * n):]


def _r2(model, X, y):
    return r2_score(y, model.predict(X))


def test_verdicts_from_made_up_scores():
    assert verdict([0.99, 0.99], [0.700, 0.702]) == "overfit"
    assert verdict([0.99, 0.99], [0.60, 0.75]) == "overfit_more_data"
    assert verdict([0.80, 0.79], [0.70, 0.76]) == "more_data"
    assert verdict([0.80, 0.80], [0.78, 0.78]) == "plateau"
    assert verdict([0.8], [0.7]) is None


def test_a_tree_that_memorises_is_called_overfit():
    X, y, train, valid = _data(noise=3.0)
    curve, model = learning_curve(lambda X, y: DecisionTreeRegressor(random_state=0).fit(X, y), _r2, 1.0,
                                  X, y, train, valid, seed=0)
    assert curve["rows"] == [round(s * len(train)) for s in SHARES]
    assert all(t == pytest.approx(1.0) for t in curve["train"])  # a full tree fits its rows exactly
    assert curve["verdict"] in ("overfit", "overfit_more_data")
    assert len(model.tree_.value) > 100  # the model handed back is the one fitted on the whole fold


def test_a_linear_model_on_linear_data_reaches_a_plateau():
    X, y, train, valid = _data(noise=1.0)
    curve, _ = learning_curve(lambda X, y: LinearRegression().fit(X, y), _r2, 1.0, X, y, train, valid, seed=0)
    assert curve["verdict"] == "plateau"
    assert abs(curve["train"][-1] - curve["valid"][-1]) < 0.05


def test_lower_is_better_metrics_are_turned_around_for_the_verdict():
    X, y, train, valid = _data(noise=3.0)

    def rmse(model, X, y):
        return float(np.sqrt(np.mean((y - model.predict(X)) ** 2)))

    curve, _ = learning_curve(lambda X, y: DecisionTreeRegressor(random_state=0).fit(X, y), rmse, -1.0,
                              X, y, train, valid, seed=0)
    assert curve["train"][-1] < curve["valid"][-1]  # stored as RMSE, lower on the rows it learnt
    assert curve["verdict"] in ("overfit", "overfit_more_data")


def test_the_column_that_carries_the_signal_ranks_first():
    X, y, train, valid = _data()
    model = LinearRegression().fit(X.iloc[train], y[train])
    importance = column_importance(model, _r2, 1.0, X.iloc[valid], y[valid], seed=0)
    assert importance["columns"][:2] == ["signal", "weak"]
    assert importance["mean"][0] > 0.5 and abs(importance["mean"][2]) < 0.01
    json.dumps(importance, allow_nan=False)


def test_classes_missing_from_a_small_share_skip_that_share():
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"x": rng.normal(size=n)})
    y = np.zeros(n, dtype=int)
    y[:3] = 1  # a rare class: a tenth of the fold is unlikely to hold it
    order = rng.permutation(n)
    train, valid = order[:320], order[320:]
    from sklearn.dummy import DummyClassifier
    # a seed whose first tenth of the fold holds no row of the rare class
    seed = next(s for s in range(100) if y[np.random.default_rng(s).permutation(train)[:32]].sum() == 0)
    curve, _ = learning_curve(lambda X, y: DummyClassifier().fit(X, y),
                              lambda m, X, y: float(np.mean(m.predict(X) == y)), 1.0, X, y, train, valid, seed=seed)
    order = np.random.default_rng(seed).permutation(train)  # the order learning_curve draws its shares in
    assert curve["rows"][-1] == len(train) and len(curve["rows"]) < len(SHARES)
    for rows in curve["rows"]:
        assert set(y[order[:rows]]) == {0, 1}


def test_partial_dependence_follows_the_model_and_ignores_missing_values():
    X, y, train, valid = _data()
    X = X.assign(colour=np.where(X["weak"] > 0, "赤", "青"))
    X.loc[X.index[::5], "signal"] = np.nan  # missing values must not turn the grid into NaN
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder
    model = make_pipeline(make_column_transformer((SimpleImputer(), ["signal", "weak", "noise"]),
                                                  (OneHotEncoder(), ["colour"])), LinearRegression())
    model.fit(X.iloc[train], y[train])
    numeric, category = dependence(model, X.iloc[valid], ["signal", "colour"], {"colour"}, None, seed=0)
    line = np.array(numeric["average"][0], dtype=float)
    assert np.isfinite(line).all() and len(line) > 10
    assert np.all(np.diff(line) > 0)  # the signal's coefficient is 3: the answer rises along the grid
    assert category["categorical"] and sorted(category["grid"]) == ["赤", "青"]
    X["code"] = [f"K{i % 40}" for i in range(len(X))]
    (codes,) = dependence(model, X.iloc[valid], ["code"], {"code"}, None, seed=0)
    assert len(codes["grid"]) == 12  # the most frequent of 40 values
    json.dumps([numeric, category], allow_nan=False)


@pytest.mark.parametrize("family", ["lightgbm", "xgboost", "catboost"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_shap_values_point_back_to_the_data_columns(task, family):
    """Each boosting library's TreeSHAP through the zoo's own tree preprocessing: contributions of the
    column that carries the signal comes first, and a date's parts and a text's components are
    summed into their column."""
    from manabu.data.schema import infer_schema
    from manabu.evaluate.learning import output_columns, tree_contributions
    from manabu.models.zoo import ZOO
    from manabu.search.candidate import Candidate

    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({"signal": rng.normal(size=n), "noise": rng.normal(size=n),
                          "colour": rng.choice(["赤", "青", "緑"], n),
                          "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="h"),
                          "note": [" ".join(rng.choice(["rain", "sun", "東京", "bus"], 5)) for _ in range(n)]})
    value = 2 * frame["signal"] + (frame["colour"] == "赤")
    frame["y"] = {"binary": value > 0.3, "multiclass": pd.cut(value, 3, labels=["a", "b", "c"]).astype(str),
                  "regression": value}[task]
    schema = infer_schema(frame, "y")
    X = schema.prepare(frame)
    y = np.unique(frame["y"], return_inverse=True)[1] if task != "regression" else frame["y"].to_numpy(float)
    size = {"lightgbm": {"n_estimators": 50}, "xgboost": {"n_estimators": 50}, "catboost": {"iterations": 50}}
    pipeline, fit_params = Candidate(family, ZOO[family], size[family], "portfolio").build(
        schema, task, 0, n_rows=n)
    pipeline.fit(X, y, **fit_params)
    sources = output_columns(pipeline[0])
    assert set(sources) == {c.name for c in schema.features}
    assert len(sources) == pipeline[0].transform(X.iloc[:2]).shape[1]
    shap = tree_contributions(pipeline, X, seed=0)
    assert shap["columns"][0] == "signal"
    assert set(shap["columns"]) == set(sources)
    json.dumps(shap, allow_nan=False)


def test_a_share_too_small_for_the_model_is_left_out():
    """kNN asking for 51 neighbours cannot fit a tenth of a 300-row fold: that point is left
    out, the others are drawn."""
    from sklearn.neighbors import KNeighborsRegressor
    X, y, train, valid = _data(n=375)
    curve, _ = learning_curve(lambda X, y: KNeighborsRegressor(n_neighbors=51).fit(X, y), _r2, 1.0,
                              X, y, train, valid, seed=0)
    assert curve["rows"] == [75, 150, 300]
