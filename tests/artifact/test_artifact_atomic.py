"""Saving is all or nothing: a crash while writing leaves no model folder and no temporary
folder, and a crash while replacing leaves the old model intact."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from manabu.artifact import load_model, save_model
from manabu.artifact import store
from manabu.base.errors import ArtifactError


@pytest.fixture
def data(table):
    return table["X"][["b"]], table["regression"]


@pytest.fixture
def pipeline(data):
    return Pipeline([("scale", StandardScaler()), ("model", LinearRegression())]).fit(*data)


def _crash_on_second_write(monkeypatch, exception: BaseException) -> list[str]:
    """Let the first file be written, then fail: the folder is half-written at that moment."""
    written: list[str] = []
    real = store._write_file

    def write(path, data):
        if written:
            raise exception
        real(path, data)
        written.append(path.name)

    monkeypatch.setattr(store, "_write_file", write)
    return written


@pytest.mark.parametrize("exception", [OSError("disk full"), KeyboardInterrupt()])
def test_a_crash_while_writing_leaves_nothing(tmp_path, monkeypatch, pipeline, exception):
    written = _crash_on_second_write(monkeypatch, exception)
    with pytest.raises(type(exception)):
        save_model(tmp_path / "model", pipeline, {})
    assert written  # the crash did happen midway
    assert list(tmp_path.iterdir()) == []


def test_a_crash_while_replacing_keeps_the_old_model(tmp_path, monkeypatch, data, pipeline):
    old = save_model(tmp_path / "model", pipeline, {"version": "old"})
    _crash_on_second_write(monkeypatch, KeyboardInterrupt())
    newer = Pipeline([("scale", StandardScaler()), ("model", Ridge(alpha=100))]).fit(*data)
    with pytest.raises(KeyboardInterrupt):
        save_model(old, newer, {"version": "new"}, overwrite=True)
    monkeypatch.undo()

    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    loaded, manifest = load_model(old)
    assert manifest["version"] == "old"
    np.testing.assert_array_equal(loaded.predict(data[0]), pipeline.predict(data[0]))


def test_a_failed_rename_puts_the_old_model_back(tmp_path, monkeypatch, data, pipeline):
    old = save_model(tmp_path / "model", pipeline, {"version": "old"})
    real_rename = store.os.rename

    def rename(src, dst):
        if ".tmp-" in str(src):
            raise OSError("rename failed")
        real_rename(src, dst)

    monkeypatch.setattr(store.os, "rename", rename)
    with pytest.raises(OSError):
        save_model(old, pipeline, {"version": "new"}, overwrite=True)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    assert load_model(old)[1]["version"] == "old"


def test_an_existing_folder_is_kept_unless_overwrite(tmp_path, data, pipeline):
    folder = save_model(tmp_path / "model", pipeline, {"version": "old"})
    with pytest.raises(ArtifactError) as info:
        save_model(folder, pipeline, {"version": "new"})
    assert info.value.key == "artifact.exists"
    assert load_model(folder)[1]["version"] == "old"

    newer = Pipeline([("scale", StandardScaler()), ("model", Ridge(alpha=100))]).fit(*data)
    assert save_model(folder, newer, {"version": "new"}, overwrite=True) == folder
    loaded, manifest = load_model(folder)
    assert manifest["version"] == "new"
    np.testing.assert_array_equal(loaded.predict(data[0]), newer.predict(data[0]))
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no temporary or old folder left


def test_overwrite_never_replaces_a_folder_that_is_not_a_model(tmp_path, pipeline):
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "thesis.txt").write_text("years of work", "utf-8")
    with pytest.raises(ArtifactError) as info:
        save_model(documents, pipeline, {}, overwrite=True)
    assert info.value.key == "artifact.not_replaceable"
    assert (documents / "thesis.txt").read_text("utf-8") == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents"]


def test_an_empty_folder_and_missing_parents_are_fine(tmp_path, pipeline):
    (tmp_path / "empty").mkdir()
    save_model(tmp_path / "empty", pipeline, {}, overwrite=True)
    nested = save_model(tmp_path / "a" / "b" / "model", pipeline, {})
    assert (tmp_path / "empty" / "manifest.json").is_file()
    assert (nested / "manifest.json").is_file()
