"""Model folders saved by the release before the architecture change (manabu 0.1.0, made by
tests/fixtures/make_release_models.py and kept as they were written) still load through the
codecs that the families register, and answer exactly as they did when saved."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import manabu
from manabu.ensemble.model import Ensemble

RELEASE = Path(__file__).resolve().parents[1] / "fixtures" / "release-0.1.0"
FOLDERS = [(task, kind) for task in ("binary", "regression") for kind in ("ensemble", "lightgbm")]


@pytest.mark.parametrize(("task", "kind"), FOLDERS)
def test_a_folder_saved_by_the_previous_release_loads_and_answers_the_same(tmp_path, task, kind):
    folder = tmp_path / "model"
    shutil.copytree(RELEASE / f"{task}-{kind}", folder)  # loading must not need to write
    predictor = manabu.load(folder)
    rows = pd.read_csv(RELEASE / f"{task}-rows.csv")
    expected = np.loadtxt(RELEASE / f"{task}-{kind}-expected.txt")
    answer = predictor.predict_proba(rows) if task == "binary" else predictor.predict(rows)
    np.testing.assert_allclose(np.asarray(answer, dtype=float), expected, rtol=0, atol=1e-9)
    if kind == "ensemble":
        assert isinstance(predictor.pipeline, Ensemble)
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        formats = [member["model_format"] for member in manifest["pipeline"]["members"]]
        assert formats == ["lightgbm", "xgboost", "catboost", "skops"]


def test_a_folder_of_a_newer_format_is_refused_naming_the_version(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(RELEASE / "binary-lightgbm", folder)
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    manifest["format_version"] = 99
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(manabu.ManabuError, match="99"):
        manabu.load(folder)
