"""ONNX Runtime finds the same leaves as the numpy walk, threshold for threshold, and the row
path keeps the numpy walk wherever ONNX Runtime is absent, cannot express a forest, or answers
differently."""
from __future__ import annotations

import sys

import numpy as np
import pytest
import xgboost
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import ExtraTreesRegressor, HistGradientBoostingClassifier, RandomForestClassifier

from manabu.inference import build_row_path
from manabu.inference import onnx_leaves as onnx_module
from manabu.inference.models import compile_model
from manabu.inference.onnx_leaves import _float32_thresholds, onnx_leaves
from manabu.inference.compiled import forests_in
from tests.inference.conftest import new_rows


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(600, 5)) * np.array([1.0, 10.0, 1e-3, 1e5, 1.0])
    X[rng.random(X.shape) < 0.08] = np.nan  # missing values reach fitting, so nodes learn a side
    y = np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) / 10 + rng.normal(0, 0.3, 600)
    return X, y


def _edge_rows(forest, X: np.ndarray) -> np.ndarray:
    """Rows whose values sit on, and one float step either side of, split thresholds (float64
    and float32), plus missing and very large values."""
    rows = X[:200].copy()
    inner = (forest.left != np.arange(len(forest.left))) & (np.abs(forest.threshold) < 1e38)
    for i, (feature, threshold) in enumerate(zip(forest.feature[inner][:800], forest.threshold[inner][:800])):
        t32 = np.float32(threshold)
        choices = (threshold, np.nextafter(threshold, np.inf), np.nextafter(threshold, -np.inf), float(t32),
                   float(np.nextafter(t32, np.float32(np.inf))), float(np.nextafter(t32, np.float32(-np.inf))))
        rows[i % 200, feature] = choices[i % len(choices)]
    rows[-1] = np.nan
    rows[-2] = 3e38
    return rows


def _fitted_forests():
    X, y = _data()
    classes = (y > 0).astype(int)
    return {
        "random forest": (RandomForestClassifier(n_estimators=15, random_state=0).fit(X, classes), X),
        "extra trees": (ExtraTreesRegressor(n_estimators=15, random_state=0).fit(X, y), X),
        "hist gradient boosting": (HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, classes), X),
        "xgboost": (xgboost.XGBRegressor(n_estimators=30, max_depth=4, n_jobs=1).fit(X, y), X),
    }


@pytest.mark.parametrize("name", ["random forest", "extra trees", "hist gradient boosting", "xgboost"])
def test_onnx_runtime_reaches_the_leaves_of_the_numpy_walk(name):
    estimator, X = _fitted_forests()[name]
    forest = compile_model(estimator).forest
    rows = _edge_rows(forest, X)
    expected = forest.leaves(rows)
    assert forest.use_onnx()
    np.testing.assert_array_equal(forest.leaves(rows), expected)
    for i in range(5):  # one row at a time as well: the numpy walk has a Python branch for it
        np.testing.assert_array_equal(forest.leaves(rows[i:i + 1]), expected[i:i + 1])


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64), st.integers(-3, 3), st.booleans())
def test_float32_thresholds_send_every_float32_the_same_way(threshold, steps, strict):
    """The float32 thresholds given to ONNX Runtime split float32 inputs as the float64
    originals do, for inputs on and beside the threshold."""
    x = np.float32(threshold) if abs(threshold) < 3e38 else np.float32(np.sign(threshold) * 3e38)
    for _ in range(abs(steps)):
        x = np.nextafter(x, np.float32(np.sign(steps) * np.inf))
    rounded = _float32_thresholds(np.array([threshold]), strict)[0]
    if strict:
        assert (float(x) < threshold) == (x < rounded)
    else:
        assert (float(x) <= threshold) == (x <= rounded)


def test_categorical_splits_keep_the_numpy_walk(fitted):
    """HistGradientBoosting's native category splits have no ONNX form here: that forest walks
    in numpy, and the row path is still built and verified."""
    pipeline, schema = fitted("hist_gradient_boosting", "binary")
    path = build_row_path(pipeline, schema)
    (forest,) = forests_in(path.compiled)
    assert forest.category_row is not None and forest.compiled is None
    assert onnx_leaves(forest) is None


def test_a_forest_whose_onnx_leaves_differ_is_verified_with_the_numpy_walk(fitted, monkeypatch):
    """A fault of the compiled walk (here: every row lands on each tree's root) is caught by
    verification, and the row path falls back to the numpy walk rather than going away."""
    real = onnx_module.onnx_leaves

    def wrong(forest):
        built = real(forest)
        return None if built is None else (lambda X: np.tile(forest.roots, (len(X), 1)))

    monkeypatch.setattr(onnx_module, "onnx_leaves", wrong)
    pipeline, schema = fitted("random_forest", "binary")
    path = build_row_path(pipeline, schema)
    (forest,) = forests_in(path.compiled)
    assert forest.compiled is None
    rows = new_rows("binary")
    expected = pipeline.predict_proba(schema.prepare(rows))
    got = path.predict_proba(schema.prepare_values(rows), len(rows))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_without_onnx_runtime_the_numpy_walk_answers(fitted, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # "import onnxruntime" now fails
    pipeline, schema = fitted("random_forest", "regression")
    path = build_row_path(pipeline, schema)
    (forest,) = forests_in(path.compiled)
    assert forest.compiled is None
    rows = new_rows("regression")
    np.testing.assert_allclose(path.predict(schema.prepare_values(rows), len(rows)),
                               pipeline.predict(schema.prepare(rows)), rtol=0, atol=1e-6)
