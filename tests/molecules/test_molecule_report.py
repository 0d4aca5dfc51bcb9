"""The report's molecule section and the applicability domain: molecules and substructures
drawn, the error by similarity to the training molecules, the similarity of new molecules from
``Predictor.applicability`` (kept with a saved model, without pickle) and beside the predictions
of ``manabu predict``."""
from __future__ import annotations

import base64
import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import manabu
from manabu.artifact import verify
from manabu.base.errors import ArtifactError
from manabu.cli import app
from manabu.evaluate.applicability import FAR, REFERENCE_FILE
from manabu.evaluate.molecules import molecule_numbers
from manabu.report import predictor_report
from tests.molecules.conftest import molecule_frame

PEPTIDE = "NCC(=O)NC(C)C(=O)NC(CS)C(=O)NC(CC(N)=O)C(=O)NC(CCCNC(N)=N)C(=O)NC(CO)C(=O)O"  # G-A-C-N-R-S
FAR_AWAY = ["[Na+].[Cl-]", PEPTIDE]


@pytest.fixture(scope="module")
def fitted():
    frame = molecule_frame()
    predictor = manabu.fit(frame.drop(columns="soluble"), target="logp", models=["linear", "lightgbm"],
                           max_trials=4, validation="scaffold", time_limit=30, verbose=False)
    return predictor, frame


def svgs(page: str) -> list[str]:
    return [base64.b64decode(data).decode("utf-8")
            for data in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)]


def test_the_report_draws_molecules_fragments_and_the_domain(fitted):
    predictor, _ = fitted
    page = predictor_report(predictor, lang="en")
    section = page[page.index('<section id="molecules">'):]
    section = section[:section.index("</section>")]
    drawings = svgs(section)
    numbers = predictor.record.report["molecules"]
    examples, bits = numbers["examples"], numbers["bits"]["bits"]
    shown = len(examples["best"]) + len(examples["worst"]) + len(bits)
    assert len(examples["best"]) == 4 and bits
    assert len(drawings) == shown and all(d.lstrip().startswith("<svg") for d in drawings)
    assert "Substructures that matter most" in section and "morgan" in section
    assert "Applicability domain" in section and "≥ 0.7" in section and "&lt; 0.3" in section
    assert "largest fragment" in section and "最大のフラグメント" in section  # the standardisation, both languages
    assert sum(band["rows"] for band in numbers["domain"]["bands"]) == numbers["domain"]["rows"] == 300
    # the split is said and why: its description in the summary, the scaffold note among the notices
    assert "scaffold cross-validation" in page and "Bemis–Murcko" in page[page.index('id="notices"'):]
    json.dumps(predictor.record.to_dict())  # the fingerprints were kept out of the record


def test_applicability_is_one_for_a_training_molecule_and_low_for_a_far_one(fitted):
    predictor, frame = fitted
    rows = pd.DataFrame({"smiles": [frame["smiles"][0], frame["smiles"][1] + ".Cl", *FAR_AWAY, "C1CC("]})
    similarity = predictor.applicability(rows)
    assert list(similarity.columns) == ["smiles_similarity"]
    values = similarity["smiles_similarity"].to_numpy()
    assert values[0] == pytest.approx(1.0) and values[1] == pytest.approx(1.0)  # a salt is its molecule
    assert (values[2:4] < FAR).all() and np.isnan(values[4])


def test_a_saved_model_keeps_the_training_fingerprints(fitted, tmp_path):
    predictor, frame = fitted
    predictor.save(tmp_path / "model")
    manifest = json.loads((tmp_path / "model" / "manifest.json").read_text("utf-8"))
    assert REFERENCE_FILE in manifest["files"] and manifest["attached"] == [REFERENCE_FILE]
    with np.load(tmp_path / "model" / REFERENCE_FILE, allow_pickle=False) as arrays:
        assert arrays["column_0"].dtype == np.uint8
    loaded = manabu.load(tmp_path / "model")
    rows = pd.DataFrame({"smiles": [*frame["smiles"][:20], *FAR_AWAY]})
    pd.testing.assert_frame_equal(loaded.applicability(rows), predictor.applicability(rows))
    verify(tmp_path / "model")  # checksummed: a changed fingerprint file is refused
    (tmp_path / "model" / REFERENCE_FILE).write_bytes(b"changed")
    with pytest.raises(ArtifactError):
        manabu.load(tmp_path / "model")


def test_predict_writes_the_similarity_and_says_when_rows_are_far(fitted, tmp_path):
    predictor, frame = fitted
    predictor.save(tmp_path / "model")
    data = tmp_path / "new.csv"
    pd.DataFrame({"smiles": [*frame["smiles"][:3], *FAR_AWAY]}).to_csv(data, index=False)
    result = CliRunner(env={"LANG": "en_US.UTF-8", "LC_ALL": None, "LANGUAGE": None}).invoke(
        app, ["predict", str(tmp_path / "model"), str(data), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(tmp_path / "out.csv")
    assert {"logp_predicted", "smiles_similarity"} <= set(written.columns)
    assert (written["smiles_similarity"][:3] == 1.0).all() and (written["smiles_similarity"][3:] < FAR).all()
    assert "extrapolations" in result.output


def test_numbers_for_classes_and_a_model_without_importances():
    frame = molecule_frame().head(120)
    classes = ["no", "yes"]
    y = (frame["soluble"] == "yes").to_numpy().astype(int)
    oof = np.where(y == 1, 0.8, 0.3) + np.linspace(-0.1, 0.1, len(y))  # binary: the second class's probability
    folds = [(np.arange(60, 120), np.arange(60)), (np.arange(60), np.arange(60, 120))]
    numbers = molecule_numbers(frame[["smiles"]], y, oof, classes, "smiles", [], folds, seed=0)
    best, worst = numbers["examples"]["best"], numbers["examples"]["worst"]
    assert min(e["probability"] for e in best) >= max(e["probability"] for e in worst)
    assert numbers["bits"]["source"] == "association" and numbers["bits"]["bits"]
    assert numbers["domain"]["unit"] == "error_rate" and numbers["domain"]["rows"] == 120
