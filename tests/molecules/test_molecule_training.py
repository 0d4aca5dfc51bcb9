"""Training on molecules: fingerprints searched with the families, the scaffold split, and the
saved model reading new SMILES, unreadable ones too."""
from __future__ import annotations

import numpy as np
import pytest

import manabu
from manabu.base.errors import ConfigError
from manabu.data.molecules import scaffold_of
from manabu.data.splits import ValidationPlan, make_folds
from tests.molecules.conftest import molecule_frame


@pytest.fixture(scope="module")
def scaffold_fit():
    frame = molecule_frame()
    predictor = manabu.fit(frame.drop(columns="soluble"), target="logp", models=["linear", "lightgbm"],
                           max_trials=9, validation="scaffold", time_limit=60, verbose=False)
    return predictor, frame


def test_the_scaffold_split_keeps_each_scaffold_on_one_side(scaffold_fit):
    predictor, frame = scaffold_fit
    plan = ValidationPlan.from_dict(predictor.record.validation)
    assert plan.grouped_by == "scaffold" and plan.n_groups == 7
    assert "scaffold" in plan.describe().render()
    assert any(note.key == "molecules.scaffold_note" for note in plan.notes)
    scaffolds = frame["smiles"].map(scaffold_of).to_numpy()
    for train, valid in make_folds(plan, len(frame), groups=scaffolds):
        assert not set(scaffolds[train]) & set(scaffolds[valid])


def test_molecules_are_learnt_from_their_features(scaffold_fit):
    predictor, frame = scaffold_fit
    board = predictor.leaderboard()
    assert board["score"].notna().any()
    predicted = predictor.predict(frame)
    assert np.corrcoef(predicted, frame["logp"])[0, 1] > 0.9  # logP is a sum over atoms: easy from counts


def test_the_fingerprint_settings_are_searched_with_the_families(scaffold_fit):
    predictor, _ = scaffold_fit
    searched = [row["params"] for row in predictor.record.leaderboard if row.get("origin") == "random"
                or "fingerprint_radius" in (row.get("params") or {})]
    assert any("fingerprint_radius" in params and "fingerprint_size" in params for params in searched)


def test_a_saved_model_reads_new_and_unreadable_smiles(scaffold_fit, tmp_path):
    predictor, frame = scaffold_fit
    predictor.save(tmp_path / "model")
    loaded = manabu.load(tmp_path / "model")
    new = frame.head(5).copy()
    new.loc[1, "smiles"] = "C1CC("
    new.loc[2, "smiles"] = "CC(=O)[O-].[Na+]"
    got = loaded.predict(new)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got[[0, 3, 4]], predictor.predict(new)[[0, 3, 4]])


def test_scaffold_validation_without_molecules_says_what_to_do():
    frame = molecule_frame().drop(columns="smiles").assign(x=np.arange(300) % 7)
    with pytest.raises(ConfigError) as caught:
        manabu.fit(frame, target="logp", models=["linear"], validation="scaffold", time_limit=20, verbose=False)
    assert caught.value.key == "molecules.scaffold_needs_smiles"
