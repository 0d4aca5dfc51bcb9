"""Each model family manabu trains, inside a preprocessing pipeline, saves and reloads to the
same predictions, and its manifest records what it should."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn import compose, ensemble, linear_model, neighbors, neural_network, preprocessing, svm, tree
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import VarianceThreshold
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler, TargetEncoder

from manabu.artifact import FORMAT_VERSION, load_model, read_manifest, save_model
from manabu.artifact.manifest import MANIFEST

NUMERIC = ["a", "b"]
CATEGORICAL = ["colour", "size"]


def _numeric() -> Pipeline:
    return Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())])


def _preprocessing(kind: str) -> ColumnTransformer:
    if kind == "onehot":
        categorical = Pipeline([
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OneHotEncoder(handle_unknown="ignore")),
        ])
        return ColumnTransformer([("num", _numeric(), NUMERIC), ("cat", categorical, CATEGORICAL)])
    if kind == "ordinal":
        encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)
        return ColumnTransformer([
            ("num", SimpleImputer(add_indicator=True), NUMERIC),
            ("cat", encoder, CATEGORICAL),
        ])
    if kind == "target":
        return ColumnTransformer([
            ("num", _numeric(), NUMERIC),
            ("cat", TargetEncoder(), CATEGORICAL),
            ("missing", MissingIndicator(), ["a"]),
        ])
    raise ValueError(kind)


CLASSIFIERS = [
    linear_model.LogisticRegression(max_iter=500),
    linear_model.SGDClassifier(random_state=0),
    linear_model.SGDClassifier(loss="log_loss", random_state=0),
    neighbors.KNeighborsClassifier(),
    svm.SVC(random_state=0),
    tree.DecisionTreeClassifier(random_state=0),
    ensemble.RandomForestClassifier(n_estimators=5, random_state=0),
    ensemble.ExtraTreesClassifier(n_estimators=5, random_state=0),
    ensemble.HistGradientBoostingClassifier(max_iter=5, random_state=0),
    neural_network.MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, early_stopping=True, random_state=0),
]
REGRESSORS = [
    linear_model.LinearRegression(),
    linear_model.Ridge(),
    linear_model.Lasso(alpha=0.01),
    linear_model.ElasticNet(alpha=0.01),
    linear_model.SGDRegressor(random_state=0),
    neighbors.KNeighborsRegressor(),
    svm.SVR(),
    tree.DecisionTreeRegressor(random_state=0),
    ensemble.RandomForestRegressor(n_estimators=5, random_state=0),
    ensemble.ExtraTreesRegressor(n_estimators=5, random_state=0),
    ensemble.HistGradientBoostingRegressor(max_iter=5, random_state=0),
    compose.TransformedTargetRegressor(neural_network.MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0),
                                       transformer=preprocessing.StandardScaler()),
]
PREPROCESSING = ["onehot", "ordinal", "target"]
CASES = (
    [(m, "binary", PREPROCESSING[i % 3]) for i, m in enumerate(CLASSIFIERS)]
    + [(m, "multiclass", PREPROCESSING[(i + 1) % 3]) for i, m in enumerate(CLASSIFIERS)]
    + [(m, "regression", PREPROCESSING[i % 3]) for i, m in enumerate(REGRESSORS)]
)


def _assert_same_predictions(original, loaded, X) -> None:
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))
    for method in ("predict_proba", "decision_function"):
        if hasattr(original, method):
            np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(original, method)(X))


@pytest.mark.parametrize(
    ("model", "task", "kind"), CASES, ids=[f"{type(m).__name__}-{t}-{k}" for m, t, k in CASES]
)
def test_each_family_reloads_to_identical_predictions(tmp_path, table, model, task, kind):
    X, y = table["X"], table[task]
    pipeline = Pipeline([
        ("prep", _preprocessing(kind)),
        ("select", VarianceThreshold()),
        ("model", model),
    ]).fit(X, y)

    folder = save_model(tmp_path / "m", pipeline, {"task": task})
    loaded, manifest = load_model(folder)

    assert [name for name, _ in loaded.steps] == ["prep", "select", "model"]
    assert type(loaded[-1]) is type(model)
    _assert_same_predictions(pipeline, loaded, X)
    assert manifest["task"] == task
    assert manifest["pipeline"]["model_format"] == "skops"
    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST, "model.skops", "preprocess.skops"]


def test_manifest_records_versions_metadata_and_checksums(tmp_path, table):
    X, y = table["X"], table["binary"]
    pipeline = Pipeline([("prep", _preprocessing("onehot")), ("model", linear_model.LogisticRegression())]).fit(X, y)
    metadata = {
        "task": "binary",
        "target": "label",
        "classes": pipeline.classes_,  # numpy array: stored as a list
        "metric": {"name": "roc_auc", "value": np.float64(0.91)},
        "leaderboard": pd.DataFrame({"model": ["logistic"], "score": [0.91]}),
    }
    folder = save_model(tmp_path / "m", pipeline, metadata)
    manifest = read_manifest(folder)

    assert manifest["format_version"] == FORMAT_VERSION
    assert set(manifest["libraries"]) == {"python", "numpy", "pandas", "scikit-learn", "lightgbm", "xgboost",
                                          "catboost", "skops", "torch", "statsforecast"}
    # torch: the image networks' format; statsforecast: the forecasters'

    assert manifest["libraries"]["scikit-learn"] == __import__("sklearn").__version__
    assert manifest["classes"] == ["no", "yes"]
    assert manifest["metric"] == {"name": "roc_auc", "value": 0.91}
    assert manifest["leaderboard"] == [{"model": "logistic", "score": 0.91}]
    assert set(manifest["files"]) == {"preprocess.skops", "model.skops"}
    assert all(len(digest) == 64 for digest in manifest["files"].values())
    assert manifest["pipeline"]["model_class"] == "sklearn.linear_model._logistic.LogisticRegression"


def test_bare_estimator_is_saved_as_a_one_step_pipeline(tmp_path, table):
    X = table["X"][["b"]]
    model = tree.DecisionTreeRegressor(random_state=0).fit(X, table["regression"])
    loaded, manifest = load_model(save_model(tmp_path / "m", model, {}))
    assert isinstance(loaded, Pipeline) and [n for n, _ in loaded.steps] == ["model"]
    assert "preprocess.skops" not in manifest["files"]
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_native_categorical_histgradientboosting_reloads(tmp_path, table):
    X = table["X"].astype({"colour": "category", "size": "category"})
    model = ensemble.HistGradientBoostingClassifier(max_iter=5, categorical_features="from_dtype", random_state=0)
    model.fit(X, table["multiclass"])
    loaded, _ = load_model(save_model(tmp_path / "m", model, {}))
    _assert_same_predictions(model, loaded, X)


def test_nearest_neighbours_on_sparse_one_hot_reloads(tmp_path, table):
    X, y = table["X"], table["binary"]
    prep = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL)], sparse_threshold=1.0)
    pipeline = Pipeline([("prep", prep), ("model", neighbors.KNeighborsClassifier(algorithm="brute"))]).fit(X, y)
    assert sp.issparse(pipeline[:-1].transform(X))
    loaded, _ = load_model(save_model(tmp_path / "m", pipeline, {}))
    _assert_same_predictions(pipeline, loaded, X)


def test_unsupported_final_step_is_refused(tmp_path, table):
    union = FeatureUnion([("scale", StandardScaler())])
    with pytest.raises(Exception) as info:
        save_model(tmp_path / "m", Pipeline([("model", union.fit(table["X"][["b"]]))]), {})
    assert getattr(info.value, "key", None) in {"artifact.untrusted_on_save", "artifact.unsupported_model"}
    assert not (tmp_path / "m").exists()
