"""LightGBM models are saved as the booster's native text plus a JSON sidecar, and come back
with exactly the same predictions, pandas categories and missing values included."""
from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from manabu.artifact import load_model, save_model
from manabu.artifact.manifest import MANIFEST


def _categorical(X: pd.DataFrame) -> pd.DataFrame:
    return X.astype({"colour": "category", "size": "category"})


def _pipeline(model) -> Pipeline:
    # numeric columns scaled, categorical columns passed through as pandas categories
    prep = ColumnTransformer(
        [("num", StandardScaler(), ["a", "b"])], remainder="passthrough", verbose_feature_names_out=False
    ).set_output(transform="pandas")
    return Pipeline([("prep", prep), ("model", model)])


def _assert_identical(original, loaded, X) -> None:
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))
    if hasattr(original, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(X), original.predict_proba(X))


@pytest.mark.parametrize(
    ("task", "estimator"),
    [
        ("binary", lgb.LGBMClassifier),
        ("multiclass", lgb.LGBMClassifier),
        ("regression", lgb.LGBMRegressor),
    ],
)
def test_native_round_trip_gives_identical_predictions(tmp_path, table, task, estimator):
    X, y = _categorical(table["X"]), table[task]
    pipeline = _pipeline(estimator(n_estimators=20, num_leaves=7, min_child_samples=5, verbose=-1, random_state=0))
    pipeline.fit(X, y)
    assert pipeline[:-1].transform(X)["colour"].dtype == "category"  # categories reach LightGBM

    folder = save_model(tmp_path / "m", pipeline, {"task": task})
    loaded, manifest = load_model(folder)

    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST, "model.lgb.json", "model.lgb.txt", "preprocess.skops"]
    assert manifest["pipeline"]["model_format"] == "lightgbm"
    assert type(loaded[-1]) is estimator
    _assert_identical(pipeline, loaded, X)
    # unseen rows: a new category level and missing values everywhere
    fresh = X.head(5).copy()
    fresh["a"] = np.nan
    fresh["colour"] = pd.Categorical(["purple", None, "blue", "赤", "green"])
    _assert_identical(pipeline, loaded, fresh)
    assert loaded[-1].feature_name_ == pipeline[-1].feature_name_
    assert loaded[-1].n_features_in_ == pipeline[-1].n_features_in_


def test_sidecar_describes_the_wrapper(tmp_path, table):
    X, y = _categorical(table["X"]), table["multiclass"]
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1, class_weight={0: 1.0, 1: 2.0, 2: 1.0}).fit(X, y)
    folder = save_model(tmp_path / "m", model, {})
    sidecar = json.loads((folder / "model.lgb.json").read_text("utf-8"))

    assert sidecar["class"] == "lightgbm.sklearn.LGBMClassifier"
    assert sidecar["objective"] == "multiclass"
    assert sidecar["classes"] == {"dtype": np.dtype("int64").str, "values": [0, 1, 2]}
    assert sidecar["feature_names"] == ["a", "b", "colour", "size"]
    assert sidecar["categorical_features"] == [2, 3]
    assert sidecar["params"]["n_estimators"] == 5

    loaded, _ = load_model(folder)
    assert loaded[-1].class_weight == {0: 1.0, 1: 2.0, 2: 1.0}  # int keys survive JSON
    assert loaded[-1].classes_.dtype == model.classes_.dtype
    _assert_identical(model, loaded, X)


# eval_X/eval_y does not encode string labels in lightgbm 4.7, so the older eval_set is used
@pytest.mark.filterwarnings("ignore:The argument 'eval_set' is deprecated")
def test_string_labels_and_best_iteration_survive(tmp_path, table):
    X, y = _categorical(table["X"]), table["binary"]
    model = lgb.LGBMClassifier(n_estimators=300, learning_rate=0.5, min_child_samples=3, verbose=-1)
    model.fit(X.iloc[:100], y[:100], eval_set=[(X.iloc[100:], y[100:])],
              callbacks=[lgb.early_stopping(3, verbose=False)])
    assert 0 < model.best_iteration_ < 300  # stopped early

    loaded, _ = load_model(save_model(tmp_path / "m", model, {}))

    assert loaded[-1].best_iteration_ == model.best_iteration_
    assert list(loaded[-1].classes_) == ["no", "yes"]
    _assert_identical(model, loaded, X)


def test_custom_objective_is_refused(tmp_path, table):
    X, y = table["X"][["a", "b"]], table["regression"]

    def squared(y_true, y_pred):
        return y_pred - y_true, np.ones_like(y_pred)

    model = lgb.LGBMRegressor(objective=squared, n_estimators=3, verbose=-1).fit(X, y)
    with pytest.raises(Exception) as info:
        save_model(tmp_path / "m", model, {})
    assert getattr(info.value, "key", None) == "artifact.lightgbm_callable"
    assert list(tmp_path.iterdir()) == []


def test_untrusted_class_in_sidecar_is_refused(tmp_path, table):
    from manabu.artifact.store import _sha256

    X, y = table["X"][["a", "b"]], table["regression"]
    folder = save_model(tmp_path / "m", lgb.LGBMRegressor(n_estimators=3, verbose=-1).fit(X, y), {})
    sidecar_path = folder / "model.lgb.json"
    sidecar = json.loads(sidecar_path.read_text("utf-8"))
    sidecar["class"] = "subprocess.Popen"
    sidecar_path.write_text(json.dumps(sidecar), "utf-8")
    manifest = json.loads((folder / MANIFEST).read_text("utf-8"))  # an attacker rewrites the checksum
    manifest["files"]["model.lgb.json"] = _sha256(sidecar_path.read_bytes())
    (folder / MANIFEST).write_text(json.dumps(manifest), "utf-8")

    with pytest.raises(Exception) as info:
        load_model(folder)
    assert info.value.key == "artifact.untrusted_types"
    assert info.value.params["types"] == "subprocess.Popen"


@pytest.fixture
def lgb_folder(tmp_path, table):
    X, y = table["X"][["a", "b"]], table["regression"]
    return save_model(tmp_path / "m", lgb.LGBMRegressor(n_estimators=3, verbose=-1).fit(X, y), {})


def _set_lightgbm_version(folder, version: str) -> None:
    manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    manifest["libraries"]["lightgbm"] = version
    (folder / MANIFEST).write_text(json.dumps(manifest), "utf-8")


def test_another_lightgbm_minor_version_loads_with_a_warning(lgb_folder):
    major, minor = (int(part) for part in lgb.__version__.split(".")[:2])
    _set_lightgbm_version(lgb_folder, f"{major}.{minor + 1}.0")
    _, manifest = load_model(lgb_folder)
    assert [(w["key"], w["params"]["library"]) for w in manifest["load_warnings"]] == [
        ("artifact.version_differs", "lightgbm")
    ]


def test_another_lightgbm_major_version_is_refused(lgb_folder):
    major = int(lgb.__version__.split(".")[0])
    _set_lightgbm_version(lgb_folder, f"{major - 1}.3.0")
    with pytest.raises(Exception) as info:
        load_model(lgb_folder)
    assert info.value.key == "artifact.library_version"
    assert f"lightgbm=={major - 1}.3.0" in str(info.value)
