"""An Ensemble is saved as a folder of member folders plus a stacker, every file checksummed,
and loads back to an equal Ensemble with exactly the same predictions."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge

from manabu.artifact import load_model, read_manifest, save_model, verify
from manabu.artifact.manifest import MANIFEST
from manabu.data.schema import infer_schema
from manabu.ensemble.model import Ensemble, stack_features
from manabu.base.errors import ArtifactError
from manabu.models.zoo import ZOO, portfolio
from manabu.search.candidate import Candidate
from tests.frames import mixed_frame

TASKS = ["binary", "multiclass", "regression"]


def _problem(task: str, n: int = 200):
    frame = mixed_frame(n=n, task=task)
    schema = infer_schema(frame, "y")
    X = schema.prepare(frame)
    if task == "regression":
        return schema, X, frame["y"].to_numpy(dtype=float), 0
    classes = sorted(frame["y"].unique())
    return schema, X, frame["y"].map({c: i for i, c in enumerate(classes)}).to_numpy(dtype=int), len(classes)


def _ensemble(task: str, families=("lightgbm", "linear"), stacked: bool = False) -> tuple[Ensemble, object]:
    """Members built and fitted as the search builds them; the stacker fitted on their outputs."""
    schema, X, y, n_classes = _problem(task)
    members = []
    for family in families:
        pipeline, fit_params = Candidate(family, ZOO[family], portfolio(family)[0], "portfolio").build(
            schema, task, seed=0, n_rows=len(X))
        members.append((f"{family} #1", pipeline.fit(X, y, **fit_params)))
    weights = [0.6, 0.4, 0.3, 0.2][:len(members)]
    ensemble = Ensemble(members, weights, task, n_classes)
    if stacked:
        features = stack_features(ensemble.member_outputs(X), task)
        ensemble.stacker = (Ridge() if task == "regression" else LogisticRegression()).fit(features, y)
    return ensemble, X


def _assert_equal(loaded: Ensemble, original: Ensemble, X) -> None:
    assert type(loaded) is Ensemble
    assert [name for name, _ in loaded.members] == [name for name, _ in original.members]
    assert [type(p[-1]) for _, p in loaded.members] == [type(p[-1]) for _, p in original.members]
    np.testing.assert_array_equal(loaded.weights, original.weights)
    assert (loaded.task, loaded.n_classes) == (original.task, original.n_classes)
    assert type(loaded.stacker) is type(original.stacker)
    if original.stacker is not None:
        np.testing.assert_array_equal(loaded.stacker.coef_, original.stacker.coef_)
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))
    if original.task != "regression":
        np.testing.assert_array_equal(loaded.predict_proba(X), original.predict_proba(X))
        np.testing.assert_array_equal(loaded.classes_, original.classes_)


@pytest.mark.parametrize("task", TASKS)
def test_weighted_ensemble_round_trip(tmp_path, task):
    ensemble, X = _ensemble(task)
    folder = save_model(tmp_path / "m", ensemble, {"task": task})
    loaded, manifest = load_model(folder)
    _assert_equal(loaded, ensemble, X)

    description = manifest["pipeline"]
    assert description["kind"] == "ensemble"
    assert description["class"] == "manabu.ensemble.model.Ensemble"
    assert (description["task"], description["stacker"]) == (task, None)
    assert [(m["name"], m["weight"], m["model_format"]) for m in description["members"]] == [
        ("lightgbm #1", 0.6, "lightgbm"), ("linear #1", 0.4, "skops")]
    assert description["members"][0]["files"] == [
        "members/0/model.lgb.json", "members/0/model.lgb.txt", "members/0/preprocess.skops"]
    assert set(manifest["files"]) == {*description["members"][0]["files"], *description["members"][1]["files"]}
    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST, "members"]


@pytest.mark.parametrize("task", TASKS)
def test_stacked_ensemble_round_trip(tmp_path, task):
    ensemble, X = _ensemble(task, stacked=True)
    loaded, manifest = load_model(save_model(tmp_path / "m", ensemble, {}))
    _assert_equal(loaded, ensemble, X)
    assert manifest["pipeline"]["stacker"]["file"] == "stacker.skops"
    assert "stacker.skops" in manifest["files"]


def test_members_of_every_format(tmp_path):
    ensemble, X = _ensemble("multiclass", families=("lightgbm", "xgboost", "catboost", "linear"))
    loaded, manifest = load_model(save_model(tmp_path / "m", ensemble, {}))
    assert [m["model_format"] for m in manifest["pipeline"]["members"]] == ["lightgbm", "xgboost", "catboost", "skops"]
    _assert_equal(loaded, ensemble, X)


@pytest.fixture(scope="module")
def stacked():
    return _ensemble("binary", stacked=True)[0]


@pytest.fixture
def folder(tmp_path, stacked):
    return save_model(tmp_path / "m", stacked, {})


@pytest.mark.parametrize("file", ["members/0/model.lgb.txt", "members/1/preprocess.skops", "stacker.skops"])
def test_a_changed_member_file_is_refused(folder, file, monkeypatch):
    path = folder / file
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    assert (info.value.key, info.value.params["file"]) == ("artifact.tampered", file)
    with pytest.raises(ArtifactError):
        verify(folder)


def test_an_added_or_missing_member_file_is_refused(folder):
    extra = folder / "members" / "1" / "model.skops.bak"
    extra.write_bytes(b"x")
    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    assert (info.value.key, info.value.params["file"]) == ("artifact.unexpected_file", "members/1/model.skops.bak")
    extra.unlink()
    (folder / "members" / "2").mkdir()
    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    assert (info.value.key, info.value.params["file"]) == ("artifact.unexpected_file", "members/2")
    (folder / "members" / "2").rmdir()
    (folder / "members" / "1" / "model.skops").unlink()
    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    assert info.value.key == "artifact.file_missing"


def _edit_manifest(folder, change) -> None:
    manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    change(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest), "utf-8")


@pytest.mark.parametrize("bad", ["members/../stacker.skops", "/etc/passwd", "members//0/x", "members\\0\\x",
                                 ".hidden/x", "C:/x"])
def test_file_names_that_leave_the_folder_are_refused(folder, bad):
    def rename(manifest):
        manifest["files"][bad] = manifest["files"].pop("stacker.skops")
    _edit_manifest(folder, rename)
    with pytest.raises(ArtifactError) as info:
        read_manifest(folder)
    assert info.value.key == "artifact.invalid_manifest"
    assert repr(bad) in info.value.params["problem"]


def test_a_member_moved_outside_through_a_link_is_refused(folder, tmp_path):
    outside = tmp_path / "elsewhere"
    os.rename(folder / "members", outside)
    os.symlink(outside, folder / "members")
    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    assert (info.value.key, info.value.params["file"]) == ("artifact.outside_folder", "members")


@pytest.mark.parametrize("change", [
    lambda d: d["members"][0].update(files=["members/0/model.lgb.txt"]),
    lambda d: d["members"][1].update(weight="heavy"),
    lambda d: d.update(task="clustering"),
    lambda d: d.update(members=[]),
    lambda d: d.update(stacker=None),
    lambda d: d.update(kind="forest"),
])
def test_an_inconsistent_description_is_refused(folder, change):
    _edit_manifest(folder, lambda manifest: change(manifest["pipeline"]))
    with pytest.raises(ArtifactError) as info:
        read_manifest(folder)
    assert info.value.key == "artifact.invalid_manifest"


def test_another_class_than_manabus_ensemble_is_refused(folder):
    _edit_manifest(folder, lambda manifest: manifest["pipeline"].update({"class": "os.system"}))
    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    assert (info.value.key, info.value.params["types"]) == ("artifact.untrusted_types", "os.system")


def test_a_stacker_that_holds_code_cannot_be_saved(tmp_path, stacked):
    from sklearn.preprocessing import FunctionTransformer

    odd = Ensemble(stacked.members, list(stacked.weights), "binary", 2,
                   stacker=FunctionTransformer(np.log1p).fit(np.ones((3, 1))))
    with pytest.raises(ArtifactError) as info:
        save_model(tmp_path / "m", odd, {})
    assert info.value.key == "artifact.untrusted_on_save"
    assert list(tmp_path.iterdir()) == []
