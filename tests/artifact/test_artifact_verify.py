"""A model folder is checked before anything in it is deserialised: checksums, unlisted files,
format version, library versions, and a readable manifest."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import skops.io
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from manabu.artifact import FORMAT_VERSION, load_model, read_manifest, save_model, verify, write_derived
from manabu.artifact.manifest import MANIFEST
from manabu.base.errors import ArtifactError


@pytest.fixture
def folder(tmp_path, table) -> Path:
    X, y = table["X"][["b"]], table["binary"]
    pipeline = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]).fit(X, y)
    return save_model(tmp_path / "model", pipeline, {"task": "binary"})


@pytest.fixture
def no_skops_load(monkeypatch):
    """Fail the test if skops is asked to build anything (the checks must come first)."""
    def refuse(*args, **kwargs):
        raise AssertionError("skops.io.loads was called")
    monkeypatch.setattr(skops.io, "loads", refuse)
    monkeypatch.setattr(skops.io, "load", refuse)


def _edit_manifest(folder: Path, change) -> None:
    manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    change(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest), "utf-8")


def _key(call) -> str:
    with pytest.raises(ArtifactError) as info:
        call()
    return info.value.key


def test_a_changed_byte_is_refused_before_deserialising(folder, no_skops_load):
    path = folder / "preprocess.skops"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    assert info.value.key == "artifact.tampered"
    assert info.value.params["file"] == "preprocess.skops"
    assert "preprocess.skops" in str(info.value)
    assert _key(lambda: verify(folder)) == "artifact.tampered"


def test_an_added_file_is_refused(folder, no_skops_load):
    (folder / "model2.skops").write_bytes((folder / "model.skops").read_bytes())
    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    assert info.value.key == "artifact.unexpected_file"
    assert info.value.params["file"] == "model2.skops"


def test_the_report_is_a_derived_file_outside_the_checksums(folder, table):
    """report.html can be written and rewritten without the folder counting as tampered; no
    other name can, and a folder (not a file) of that name is still refused."""
    written = write_derived(folder, "report.html", b"<html>first</html>")
    write_derived(folder, "report.html", b"<html>second</html>")
    assert written.read_bytes() == b"<html>second</html>"
    verify(folder)
    load_model(folder)
    with pytest.raises(ValueError):
        write_derived(folder, "model2.skops", b"x")
    with pytest.raises(ValueError):
        save_model(folder.parent / "other", Pipeline([("model", LogisticRegression())]).fit(
            table["X"][["b"]], table["binary"]), {}, derived={"notes.txt": b"x"})
    written.unlink()
    written.mkdir()
    assert _key(lambda: verify(folder)) == "artifact.unexpected_file"


def test_a_missing_file_is_refused(folder, no_skops_load):
    (folder / "model.skops").unlink()
    assert _key(lambda: load_model(folder)) == "artifact.file_missing"


def test_a_future_format_version_asks_to_upgrade(folder, no_skops_load):
    _edit_manifest(folder, lambda m: m.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    assert info.value.key == "artifact.newer_format"
    assert "upgrade" in info.value.render("en")
    assert "更新" in info.value.render("ja")


@pytest.mark.parametrize("recorded", ["1.8.0", "0.24.2"])
def test_another_scikit_learn_version_is_refused(folder, no_skops_load, recorded):
    _edit_manifest(folder, lambda m: m["libraries"].update({"scikit-learn": recorded}))
    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    assert info.value.key == "artifact.sklearn_version"
    assert f"scikit-learn=={recorded}" in str(info.value)


def test_another_scikit_learn_patch_version_loads(folder):
    import sklearn

    major, minor = sklearn.__version__.split(".")[:2]
    _edit_manifest(folder, lambda m: m["libraries"].update({"scikit-learn": f"{major}.{minor}.999"}))
    _, manifest = load_model(folder)
    assert manifest["load_warnings"] == []


def test_a_different_numpy_minor_version_loads_with_a_warning(folder):
    _edit_manifest(folder, lambda m: m["libraries"].update(numpy="1.0.0"))
    _, manifest = load_model(folder)
    [warning] = manifest["load_warnings"]
    assert warning["key"] == "artifact.version_differs"
    assert warning["params"]["library"] == "numpy"
    assert warning["en"] and warning["ja"]


def test_missing_folder_file_and_foreign_folder(tmp_path, folder):
    assert _key(lambda: load_model(tmp_path / "nowhere")) == "artifact.not_found"
    assert _key(lambda: load_model(folder / MANIFEST)) == "artifact.not_a_folder"
    (tmp_path / "photos").mkdir()
    assert _key(lambda: load_model(tmp_path / "photos")) == "artifact.no_manifest"


def test_corrupt_and_invalid_manifests(folder, no_skops_load):
    (folder / MANIFEST).write_text('{"format_version": 1,', "utf-8")
    assert _key(lambda: read_manifest(folder)) == "artifact.corrupt_manifest"

    (folder / MANIFEST).write_text("[1, 2]", "utf-8")
    assert _key(lambda: read_manifest(folder)) == "artifact.invalid_manifest"


def test_file_names_outside_the_folder_are_refused(folder, no_skops_load):
    def escape(manifest):
        manifest["files"]["../model.skops"] = manifest["files"].pop("model.skops")
    _edit_manifest(folder, escape)
    with pytest.raises(ArtifactError) as info:
        read_manifest(folder)
    assert info.value.key == "artifact.invalid_manifest"
    assert "../model.skops" in info.value.params["problem"]


def test_read_manifest_gives_metadata_without_deserialising(folder, no_skops_load):
    manifest = read_manifest(folder)
    assert manifest["task"] == "binary"
    assert manifest["pipeline"]["steps"] == ["scale", "model"]
    checked = verify(folder)
    assert checked["load_warnings"] == []
