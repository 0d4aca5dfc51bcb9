"""XGBoost and CatBoost models are saved in their libraries' native formats plus a JSON sidecar,
and come back as the same class with the same parameters and exactly the same predictions."""
from __future__ import annotations

import json

import catboost
import numpy as np
import pytest
import xgboost
from sklearn.pipeline import Pipeline

from manabu.artifact import load_model, save_model
from manabu.base.trust import trusted_types
from manabu.artifact.manifest import MANIFEST
from manabu.artifact.store import _sha256
from manabu.base.trust import trusted_native_types
from manabu.data.schema import infer_schema
from manabu.base.errors import ArtifactError
from manabu.models.zoo import ZOO, portfolio
from manabu.search.candidate import Candidate
from tests.frames import mixed_frame

FILES = {"xgboost": ("model.xgb.ubj", "model.xgb.json"), "catboost": ("model.cbm", "model.cbm.json")}
VERSION = {"xgboost": xgboost.__version__, "catboost": catboost.__version__}


def _fitted(name: str, task: str, n: int = 400) -> tuple[Pipeline, object]:
    """A zoo pipeline as the search builds it (categories as codes, early stopping on n rows)."""
    frame = mixed_frame(n=n, task=task)
    schema = infer_schema(frame, "y")
    X = schema.prepare(frame)
    y = frame["y"].to_numpy(dtype=float) if task == "regression" else frame["y"].to_numpy()
    params = dict(portfolio(name)[0], learning_rate=0.2)
    pipeline, fit_params = Candidate(name, ZOO[name], params, "portfolio").build(schema, task, seed=0, n_rows=n)
    return pipeline.fit(X, y, **fit_params), X


def _same_predictions(original, loaded, X) -> None:
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))
    if hasattr(original[-1], "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(X), original.predict_proba(X))


def _params(estimator) -> str:
    return json.dumps(estimator.get_params(), sort_keys=True, default=repr)  # NaN == NaN as text


@pytest.mark.parametrize("name", ["xgboost", "catboost"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_zoo_models_round_trip(tmp_path, name, task):
    pipeline, X = _fitted(name, task)
    folder = save_model(tmp_path / "m", pipeline, {"task": task})
    loaded, manifest = load_model(folder)

    assert sorted(p.name for p in folder.iterdir()) == sorted([MANIFEST, "preprocess.skops", *FILES[name]])
    assert manifest["pipeline"]["model_format"] == name
    assert manifest["libraries"][name] == VERSION[name]
    assert type(loaded[-1]) is type(pipeline[-1])
    assert _params(loaded[-1]) == _params(pipeline[-1])
    _same_predictions(pipeline, loaded, X)
    if task != "regression":
        assert list(loaded.classes_) == list(pipeline.classes_)


def test_xgboost_keeps_its_best_iteration_and_categories(tmp_path):
    pipeline, X = _fitted("xgboost", "binary", n=600)
    model = pipeline[-1]
    assert model.best_iteration + 1 < model.get_booster().num_boosted_rounds()  # stopped early
    loaded, _ = load_model(save_model(tmp_path / "m", pipeline, {}))
    assert loaded[-1].best_iteration == model.best_iteration
    assert loaded[-1].get_booster().feature_types == model.get_booster().feature_types
    assert "c" in model.get_booster().feature_types
    _same_predictions(pipeline, loaded, X)


def test_library_estimators_round_trip_bare(tmp_path, table):
    X, y = table["X"][["a", "b"]].to_numpy(), table["multiclass"]
    xgb = xgboost.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1).fit(X, y)
    cat = catboost.CatBoostRegressor(iterations=5, depth=2, verbose=0, allow_writing_files=False,
                                     thread_count=1).fit(X, table["regression"])
    for model in (xgb, cat):
        loaded, _ = load_model(save_model(tmp_path / type(model).__name__, model, {}))
        assert type(loaded[-1]) is type(model)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded[-1].get_params() == cat.get_params()


def _rewrite_sidecar(folder, file: str, change) -> None:
    """Change a sidecar and its checksum in the manifest, as an attacker would."""
    path = folder / file
    sidecar = json.loads(path.read_text("utf-8"))
    change(sidecar)
    path.write_text(json.dumps(sidecar), "utf-8")
    manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    manifest["files"][file] = _sha256(path.read_bytes())
    (folder / MANIFEST).write_text(json.dumps(manifest), "utf-8")


@pytest.fixture(scope="module")
def small_models():
    return {name: _fitted(name, "binary", n=120)[0] for name in ("xgboost", "catboost")}


@pytest.mark.parametrize("name", ["xgboost", "catboost"])
@pytest.mark.parametrize("bad", ["subprocess.Popen", "lightgbm.sklearn.LGBMClassifier", "not a class"])
def test_an_unknown_or_foreign_class_in_the_sidecar_is_refused(tmp_path, small_models, name, bad):
    folder = save_model(tmp_path / "m", small_models[name], {})
    _rewrite_sidecar(folder, FILES[name][1], lambda sidecar: sidecar.update({"class": bad}))
    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    assert info.value.key in {"artifact.untrusted_types", "artifact.corrupt_file"}
    assert info.value.params["file"] == FILES[name][1]
    if bad != "not a class":
        assert info.value.key == "artifact.untrusted_types" and info.value.params["types"] == bad


@pytest.mark.parametrize("name", ["xgboost", "catboost"])
def test_a_changed_booster_file_is_refused(tmp_path, small_models, name):
    folder = save_model(tmp_path / "m", small_models[name], {})
    path = folder / FILES[name][0]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    assert (info.value.key, info.value.params["file"]) == ("artifact.tampered", FILES[name][0])


def _set_version(folder, library: str, version: str) -> None:
    manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    manifest["libraries"][library] = version
    (folder / MANIFEST).write_text(json.dumps(manifest), "utf-8")


@pytest.mark.parametrize("name", ["xgboost", "catboost"])
def test_library_versions_are_checked(tmp_path, small_models, name):
    major, minor = (int(part) for part in VERSION[name].split(".")[:2])
    folder = save_model(tmp_path / "m", small_models[name], {})
    _set_version(folder, name, f"{major}.{minor + 1}.0")
    warnings = load_model(folder)[1]["load_warnings"]
    assert [(w["key"], w["params"]["library"]) for w in warnings] == [("artifact.version_differs", name)]

    _set_version(folder, name, f"{major + 1}.0.0")
    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    assert info.value.key == "artifact.library_version"
    assert f"{name}=={major + 1}.0.0" in str(info.value)


def test_other_libraries_versions_do_not_matter_to_a_skops_model(tmp_path, table):
    from sklearn.linear_model import LinearRegression

    folder = save_model(tmp_path / "m", LinearRegression().fit(table["X"][["b"]], table["regression"]), {})
    _set_version(folder, "xgboost", "0.9.0")
    _set_version(folder, "catboost", "0.2.0")
    notices = {w["params"]["library"] for w in load_model(folder)[1]["load_warnings"]}
    assert notices == {"xgboost", "catboost"}  # reported, not refused


def test_the_subclasses_are_trusted_only_as_sidecar_classes():
    import manabu.models.zoo  # noqa: F401  (the families register their classes)

    for name in ("manabu.models.xgboost.family.EarlyStoppingXGBClassifier",
                 "manabu.models.catboost.family.EarlyStoppingCatBoostRegressor",
                 "xgboost.sklearn.XGBRegressor", "catboost.core.CatBoostClassifier"):
        assert name in trusted_native_types()
        assert name not in trusted_types()  # so a skops file may not hold them


def test_every_native_and_container_name_is_a_real_class():
    from manabu.artifact.codecs import container_codec, model_codecs
    from manabu.base.trust import current_name, trusted_native_types
    from tests.artifact.test_artifact_trust import _resolve

    assert {codec.model_format for codec in model_codecs()} >= {"lightgbm", "xgboost", "catboost"}
    names = trusted_native_types() - trusted_types() | {container_codec("ensemble").class_name}
    for name in names:
        assert isinstance(_resolve(current_name(name)), type), name
