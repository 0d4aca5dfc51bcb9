"""A saved model loads with the libraries it holds and no others (issue 20, "Fast loading").

Each folder is loaded in a fresh interpreter, which answers a few rows and lists every module it
imported; the answers must be those of the model as saved, and the listing must hold the
family's own library but not the other families' (nor torch, nor the zoo that imports them all).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import manabu
from tests.conftest import no_report_numbers

RELEASE = Path(__file__).resolve().parents[1] / "fixtures" / "release-0.1.0"
LIBRARIES = ("lightgbm", "xgboost", "catboost", "torch", "manabu.models.zoo")

LOAD_AND_ANSWER = """
import json, sys
import numpy as np, pandas as pd
import manabu
predictor = manabu.load(sys.argv[1])
rows = pd.read_csv(sys.argv[2])
answer = predictor.predict_proba(rows) if sys.argv[3] == "proba" else predictor.predict(rows)
print(json.dumps({"answer": np.asarray(answer).tolist(), "modules": sorted(sys.modules)}))
"""


def load_fresh(folder: Path, rows: Path, proba: bool = True) -> tuple[np.ndarray, set[str]]:
    result = subprocess.run([sys.executable, "-c", LOAD_AND_ANSWER, str(folder), str(rows), "proba" if proba else "-"],
                            capture_output=True, text=True, encoding="utf-8", timeout=180)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    return np.asarray(out["answer"]), set(out["modules"])


def imported(modules: set[str], names=LIBRARIES) -> list[str]:
    return [name for name in names if any(m == name or m.startswith(name + ".") for m in modules)]


def test_a_lightgbm_folder_of_the_previous_release_loads_with_lightgbm_alone():
    answer, modules = load_fresh(RELEASE / "binary-lightgbm", RELEASE / "binary-rows.csv")
    np.testing.assert_allclose(answer, np.loadtxt(RELEASE / "binary-lightgbm-expected.txt"), rtol=0, atol=1e-9)
    assert imported(modules) == ["lightgbm"]


def test_an_ensemble_loads_the_libraries_of_its_members():
    answer, modules = load_fresh(RELEASE / "binary-ensemble", RELEASE / "binary-rows.csv")
    np.testing.assert_allclose(answer, np.loadtxt(RELEASE / "binary-ensemble-expected.txt"), rtol=0, atol=1e-9)
    assert imported(modules) == ["lightgbm", "xgboost", "catboost"]


@pytest.fixture(scope="module")
def small_models(tmp_path_factory):
    """A linear model of a table and a Naive Bayes model of texts, with rows to answer."""
    folder = tmp_path_factory.mktemp("models")
    rng = np.random.default_rng(3)
    table = pd.DataFrame({"x": rng.normal(size=200), "colour": rng.choice(["red", "blue"], 200)})
    table["y"] = np.where(table["x"] + (table["colour"] == "red") > 0.5, "yes", "no")
    words = np.array(["good", "great", "bad", "awful", "fine", "poor"])
    texts = pd.DataFrame({"review": [" ".join(rng.choice(words, 6)) for _ in range(200)]})
    texts["label"] = np.where(texts["review"].str.count("good|great|fine") >= 3, "pos", "neg")
    made = {}
    for name, frame, target, model in (("linear", table, "y", "linear"), ("bayes", texts, "label", "naive_bayes")):
        with no_report_numbers():  # which libraries loading imports is checked, not the report
            predictor = manabu.fit(frame, target=target, models=[model], max_trials=1, time_limit=20,
                                   verbose=False, report=False, output=folder / name)
        rows = frame.drop(columns=[target]).head(20)
        rows.to_csv(folder / f"{name}-rows.csv", index=False)
        made[name] = (folder / name, folder / f"{name}-rows.csv", predictor.predict_proba(rows))
    return made


def test_a_linear_model_loads_without_any_boosting_library(small_models):
    folder, rows, expected = small_models["linear"]
    answer, modules = load_fresh(folder, rows)
    np.testing.assert_allclose(answer, np.asarray(expected), rtol=0, atol=1e-12)
    assert imported(modules) == []


def test_a_type_trusted_by_a_family_module_is_trusted_before_that_module_is_imported(small_models):
    """ComplementNB is on the allowlist through the text family's module, which a fresh load has
    not imported when it meets the type."""
    folder, rows, expected = small_models["bayes"]
    answer, _ = load_fresh(folder, rows)
    np.testing.assert_allclose(answer, np.asarray(expected), rtol=0, atol=1e-12)
