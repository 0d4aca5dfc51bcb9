"""Every family of the zoo gets a row path whose answers equal its pipeline's, on new rows
with unseen categories and missing values, one row at a time and in batches."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from manabu.inference import build_row_path
from manabu.inference.compiled import forests_in
from manabu.models.zoo import ZOO
from tests.inference.conftest import new_rows

FAST = {"decision_tree": "Trees", "random_forest": "Trees", "extra_trees": "Trees",
        "hist_gradient_boosting": "HistGradientBoosting", "lightgbm": "LightGBM", "xgboost": "XGBoost",
        "catboost": "CatBoost", "linear": "Linear", "knn": "AsIs", "svm": "Calibrated", "mlp": "Perceptron"}
ONNX_LEAVES = {"decision_tree", "random_forest", "extra_trees"}
BY_TASK = {("svm", "regression"): "SupportVectors", ("svm", "multiclass"): "AsIs"}  # SVR; one-vs-one SVC
CASES = [(family, "binary") for family in FAST] + [
    (family, task) for task in ("multiclass", "regression")
    for family in ("lightgbm", "xgboost", "catboost", "hist_gradient_boosting", "random_forest", "linear", "svm",
                   "mlp")]


def answers(model, X, classifier: bool):
    predicted = np.asarray(model.predict(X))
    return (predicted, np.asarray(model.predict_proba(X), dtype=float)) if classifier else (predicted,)


@pytest.mark.parametrize(("family", "task"), CASES)
def test_row_path_answers_as_the_pipeline(fitted, family, task):
    pipeline, schema = fitted(family, task)
    path = build_row_path(pipeline, schema)
    assert type(path.compiled.model).__name__ == BY_TASK.get((family, task), FAST[family])
    if family in ONNX_LEAVES:  # numeric splits only: ONNX Runtime finds the leaves
        assert all(forest.compiled is not None for forest in forests_in(path.compiled))
    rows = new_rows(task)
    classifier = task != "regression"
    expected = answers(pipeline, schema.prepare(rows), classifier)
    got = answers(_Bound(path, schema), rows, classifier)
    np.testing.assert_array_equal(got[0], expected[0]) if classifier else \
        np.testing.assert_allclose(got[0], expected[0], rtol=0, atol=1e-6)
    if classifier:
        np.testing.assert_allclose(got[1], expected[1], rtol=0, atol=1e-6)
    for i in range(5):
        one = answers(_Bound(path, schema), rows.iloc[[i]], classifier)
        for g, e in zip(one, expected):
            np.testing.assert_allclose(np.asarray(g, dtype=float), np.asarray(e[i:i + 1], dtype=float),
                                       rtol=0, atol=1e-6)


class _Bound:
    """The row path taking raw rows, as Predictor hands them over."""

    def __init__(self, path, schema):
        self.path, self.schema = path, schema

    def predict(self, rows):
        return self.path.predict(self.schema.prepare_values(rows), len(rows))

    def predict_proba(self, rows):
        return self.path.predict_proba(self.schema.prepare_values(rows), len(rows))


def test_the_compiled_matrix_equals_the_column_transformer(fitted):
    """Both preprocessing kinds, every block: the numbers the model reads are the same."""
    for family in ("lightgbm", "linear"):
        pipeline, schema = fitted(family, "binary")
        rows = new_rows("binary")
        expected = pipeline[0].transform(schema.prepare(rows))
        assert not sparse.issparse(expected), "the text block's dense columns keep this one dense"
        got = build_row_path(pipeline, schema).compiled.matrix(_rows(schema, rows))
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
        assert got.flags["C_CONTIGUOUS"] == expected.flags["C_CONTIGUOUS"]  # dot products sum alike


def _rows(schema, rows):
    from manabu.inference.compiled import Rows
    return Rows(schema.prepare_values(rows), len(rows))


@pytest.mark.parametrize("family", ["hist_gradient_boosting", "xgboost", "random_forest"])
@pytest.mark.parametrize("python_walk", [True, False])
def test_both_tree_walks_answer_alike(fitted, monkeypatch, family, python_walk):
    """Without ONNX Runtime, one row walks the trees in Python or level by level in numpy
    (whichever is cheaper); both, categorical splits included, reach the pipeline's answer."""
    from manabu.inference import onnx_leaves
    from manabu.inference.trees import Forest
    monkeypatch.setattr(Forest, "_python_is_faster", lambda self: python_walk)
    monkeypatch.setattr(onnx_leaves, "onnx_leaves", lambda forest: None)
    pipeline, schema = fitted(family, "multiclass")
    path = build_row_path(pipeline, schema)
    rows = new_rows("multiclass")
    expected = pipeline.predict_proba(schema.prepare(rows))
    for i in range(8):
        got = path.predict_proba(schema.prepare_values(rows.iloc[[i]]), 1)
        np.testing.assert_allclose(got, expected[i:i + 1], rtol=0, atol=1e-6)


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_a_sparse_one_hot_answers_as_the_pipeline(task):
    """Mostly categorical data: the linear family's one-hot columns stay sparse in the pipeline,
    and the row path, dense, gives the same answers."""
    from manabu.data.schema import infer_schema
    from manabu.search.candidate import Candidate

    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame({f"c{j}": rng.choice([f"v{k}" for k in range(12)], n) for j in range(6)})
    frame["x"] = rng.normal(size=n)
    signal = (frame["c0"].isin(["v1", "v2", "v3"]) * 1.0 + frame["x"]).to_numpy()
    frame["y"] = signal > 0.5 if task == "binary" else signal + rng.normal(0, 0.1, n)
    schema = infer_schema(frame, "y")
    y = frame["y"].to_numpy().astype(int if task == "binary" else float)
    pipeline, _ = Candidate("linear", ZOO["linear"], {}, "portfolio").build(schema, task, 0)
    pipeline.fit(schema.prepare(frame), y)
    new = frame.drop(columns="y").iloc[:40].copy()
    new.loc[0, "c1"] = "never seen"
    new.loc[1, "c2"] = np.nan
    assert sparse.issparse(pipeline[0].transform(schema.prepare(new)))
    path = build_row_path(pipeline, schema)
    assert type(path.compiled.model).__name__ == "Linear"
    classifier = task == "binary"
    expected = answers(pipeline, schema.prepare(new), classifier)
    got = answers(_Bound(path, schema), new, classifier)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(np.asarray(g, dtype=float), np.asarray(e, dtype=float), rtol=0, atol=1e-9)
