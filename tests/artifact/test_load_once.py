"""One ``manabu.load`` checks each file once, and still refuses what it refused before.

Loading used to walk each skops file's types twice and run skops' own audit twice (once in the
folder's checks, again while building): seconds per file for a text model. These tests count
the checks around the real functions (wrapping them, so the checks still run) rather than
timing them; ``bench/load.py`` has the figures.
"""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io

import manabu
import manabu.training.predictor as predictor_module
from manabu.artifact import load_model, verify
from manabu.artifact import skops_codec, store
from manabu.artifact.manifest import MANIFEST
from manabu.base.errors import ArtifactError
from manabu.features.text_words import TextTfidf
from tests.conftest import no_report_numbers
from tests.inference.conftest import frame, new_rows
from tests.text.corpus import english_reviews

RELEASE = Path(__file__).resolve().parents[1] / "fixtures" / "release-0.1.0"


@pytest.fixture(scope="module")
def tabular(tmp_path_factory):
    """A saved tabular model whose folder holds two skops files (preprocessing, model), the
    preprocessing with a free-text column (a TF-IDF vocabulary)."""
    with no_report_numbers():  # what loading reads is compared, not the report
        predictor = manabu.fit(frame("binary"), target="y", models=["linear"], max_trials=1,
                               validation="holdout", time_limit=60, verbose=False)
    return predictor.save(tmp_path_factory.mktemp("tabular") / "model", report=False)


@pytest.fixture(scope="module")
def text(tmp_path_factory):
    with no_report_numbers():
        predictor = manabu.fit(english_reviews(120), target="label", models=["text_linear"], max_trials=1,
                               validation="holdout", time_limit=60, verbose=False)
    return predictor.save(tmp_path_factory.mktemp("text") / "model", report=False)


@pytest.fixture
def counted(monkeypatch):
    """Counters around the checks, each call passed on to the real function: the type walk
    (``check_skops``, by file), skops' separate audit, skops' build, and sha256 (by the
    digest of what was hashed)."""
    counts = {"walk": Counter(), "audit": 0, "build": 0, "sha256": Counter()}
    check = skops_codec.check_skops

    def counting_check(data, file, folder):
        counts["walk"][file] += 1
        return check(data, file, folder)

    monkeypatch.setattr(skops_codec, "check_skops", counting_check)
    monkeypatch.setattr(store, "check_skops", counting_check)
    audit, build = skops.io.get_untrusted_types, skops.io.loads

    def counting_audit(*args, **kwargs):
        counts["audit"] += 1
        return audit(*args, **kwargs)

    def counting_build(*args, **kwargs):
        counts["build"] += 1
        return build(*args, **kwargs)

    monkeypatch.setattr(skops.io, "get_untrusted_types", counting_audit)
    monkeypatch.setattr(skops.io, "loads", counting_build)
    sha256 = hashlib.sha256

    def counting_sha256(data=b"", **kwargs):
        if data:
            counts["sha256"][sha256(data).hexdigest()] += 1
        return sha256(data, **kwargs)

    monkeypatch.setattr(hashlib, "sha256", counting_sha256)
    return counts


def _files(folder: Path) -> dict[str, str]:
    return json.loads((folder / MANIFEST).read_text("utf-8"))["files"]


def _copy(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(folder, target)
    return target


def _assert_each_file_checked_once(folder: Path, counts) -> None:
    files = _files(folder)
    skops_files = sorted(name for name in files if name.endswith(".skops"))
    assert skops_files, "the folder should hold skops files"
    assert counts["walk"] == Counter({name: 1 for name in skops_files})
    assert counts["build"] == len(skops_files)  # each built once, audited by skops as it builds
    assert counts["audit"] == 0  # no separate audit: it would build skops' tree a second time
    assert all(counts["sha256"][digest] == 1 for digest in files.values()), counts["sha256"]


@pytest.mark.parametrize("which", ["tabular", "text"])
def test_one_load_checks_each_file_once(request, which, counted):
    folder = request.getfixturevalue(which)  # made now, if not before: its saving counted too
    counted["walk"].clear(), counted["sha256"].clear()
    counted["audit"] = counted["build"] = 0
    manabu.load(folder)
    _assert_each_file_checked_once(folder, counted)


@pytest.mark.parametrize("kind", ["binary-ensemble", "regression-lightgbm"])
def test_a_folder_of_the_previous_release_is_checked_once_too(tmp_path, kind, counted):
    folder = _copy(RELEASE / kind, tmp_path)
    manabu.load(folder)
    _assert_each_file_checked_once(folder, counted)


def test_verify_walks_and_audits_each_file_once_and_builds_nothing(tabular, counted):
    verify(tabular)
    skops_files = [name for name in _files(tabular) if name.endswith(".skops")]
    assert counted["walk"] == Counter({name: 1 for name in skops_files})
    assert counted["audit"] == len(skops_files)
    assert counted["build"] == 0


def test_a_tampered_file_is_still_refused_before_anything_is_built(tabular, tmp_path, counted):
    folder = _copy(tabular, tmp_path)
    target = folder / "preprocess.skops"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ArtifactError) as info:
        manabu.load(folder)
    assert info.value.key == "artifact.tampered"
    assert counted["build"] == 0


def _replace_file(folder: Path, name: str, data: bytes) -> None:
    """What someone with write access to the folder could do: new bytes, new checksum."""
    (folder / name).write_bytes(data)
    manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    manifest["files"][name] = hashlib.sha256(data).hexdigest()
    (folder / MANIFEST).write_text(json.dumps(manifest), "utf-8")


def test_an_untrusted_type_is_still_refused_before_anything_is_built(tabular, tmp_path, counted):
    from sklearn.preprocessing import FunctionTransformer

    folder = _copy(tabular, tmp_path)
    untrusted = FunctionTransformer(np.log1p).fit(np.ones((3, 1)))
    _replace_file(folder, "model.skops", skops.io.dumps(untrusted))
    with pytest.raises(ArtifactError) as info:
        manabu.load(folder)
    assert info.value.key == "artifact.untrusted_types"
    assert "numpy.log1p" in str(info.value)
    assert counted["build"] == 0


def test_skops_own_audit_still_guards_the_build(text, monkeypatch):
    """A type the walk did not accept (here: left out of what it returns, as if the walk had
    missed it) is refused by the audit that ``skops.io.loads`` runs before building."""
    check = skops_codec.check_skops
    missed = "manabu.features.text_words.TextTfidf"
    monkeypatch.setattr(skops_codec, "check_skops",
                        lambda data, file, folder: [n for n in check(data, file, folder) if n != missed])
    with pytest.raises(ArtifactError) as info:
        load_model(text)
    assert info.value.key == "artifact.untrusted_types"
    assert missed in str(info.value)


def test_a_checked_file_is_built_from_the_bytes_that_were_hashed(tabular, tmp_path, monkeypatch):
    """The bytes are read once: a file changed after the checks changes nothing."""
    rows = new_rows("binary")
    expected = manabu.load(tabular).predict(rows)
    folder = _copy(tabular, tmp_path)
    check = skops_codec.check_skops

    def check_then_tamper(data, file, where):
        names = check(data, file, where)
        (folder / file).write_bytes(b"not a model")
        return names

    monkeypatch.setattr(skops_codec, "check_skops", check_then_tamper)
    pd.testing.assert_series_equal(manabu.load(folder).predict(rows), expected)


# -- what made the files slow to read --------------------------------------------------------

def _entries(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return len(archive.namelist())


def test_a_vocabulary_is_saved_as_one_value(text):
    """A fitted vectorizer's vocabulary as a dict made a node per term and an array file per
    index; it is kept as one list of terms, and comes back as the same dict."""
    data = (text / "preprocess.skops").read_bytes()
    pipeline, _ = load_model(text)
    tfidf = next(step for step in _estimators(pipeline) if isinstance(step, TextTfidf))
    terms = sum(len(part.vocabulary_) for part in (tfidf.word_, tfidf.char_) if part is not None)
    assert terms > 200
    assert _entries(data) < 20
    for part in (tfidf.word_, tfidf.char_):
        if part is not None:
            assert sorted(part.vocabulary_.values()) == list(range(len(part.vocabulary_)))


def test_a_vocabulary_saved_as_a_dict_still_loads(monkeypatch):
    """Folders saved before keep the vocabulary as a dict (numpy indices included)."""
    texts = pd.DataFrame({"review": english_reviews(80)["review"]})
    fitted = TextTfidf().fit(texts)
    monkeypatch.setattr(TextTfidf, "VECTORIZERS", ())  # saved as before: the dict itself
    data = skops_codec.dump_skops(fitted, part="text")
    monkeypatch.undo()
    assert _entries(data) > 100  # an array file per numpy index, as before
    loaded = skops_codec.load_skops(data, "preprocess.skops", "here")
    assert loaded.word_.vocabulary_ == fitted.word_.vocabulary_
    assert (loaded.transform(texts) != fitted.transform(texts)).nnz == 0
    compact = skops_codec.load_skops(skops_codec.dump_skops(fitted, part="text"), "preprocess.skops", "here")
    assert compact.char_.vocabulary_ == fitted.char_.vocabulary_
    assert (compact.transform(texts) != fitted.transform(texts)).nnz == 0
    assert "vocabulary_" in vars(fitted.word_)  # saving leaves the fitted object as it was


def _estimators(obj, seen=None):
    """Every estimator inside a pipeline (column transformers included), depth first."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    yield obj
    for child in [step for _, step, *_ in getattr(obj, "steps", [])] + \
                 [step for _, step, *_ in getattr(obj, "transformers_", [])]:
        yield from _estimators(child, seen)


# -- the row path, built when it pays ----------------------------------------------------------

def test_a_first_call_of_many_rows_does_not_build_the_row_path(tabular, monkeypatch):
    built = []
    real = predictor_module.row_path_or_none
    monkeypatch.setattr(predictor_module, "row_path_or_none",
                        lambda pipeline, schema: built.append(1) or real(pipeline, schema))
    rows = new_rows("binary")
    many = pd.concat([rows] * 4, ignore_index=True)  # 240 rows: below ROW_PATH_MAX_ROWS
    assert predictor_module.ROW_PATH_BUILD_ROWS < len(many) <= predictor_module.ROW_PATH_MAX_ROWS

    once = manabu.load(tabular)
    answer = once.predict_frame(many)
    assert built == []  # answered by the pipeline at once
    again = once.predict_proba(many)  # used again: now worth building
    assert built == [1]
    pd.testing.assert_frame_equal(again, answer[[f"proba_{c}" for c in once.classes]].set_axis(
        list(once.classes), axis=1), check_exact=False, rtol=0, atol=1e-6)

    single = manabu.load(tabular)
    single.predict(rows.iloc[[0]])  # a first call of one row builds it, as a server's does
    assert built == [1, 1]
