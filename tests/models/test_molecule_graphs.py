"""The "mpnn" family: molecules read by RDKit into graphs, a directed message-passing network
learnt from them, unreadable SMILES answered rather than fatal, a deadline honoured, and the
model saved as safetensors and loaded back through manabu's own save and load."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("rdkit")

from manabu.models.molecules.family import MPNNClassifier, MPNNRegressor, smiles_column  # noqa: E402
from manabu.models.molecules.graphs import BOND_WIDTH, atom_width, collate, featurise  # noqa: E402

FAST = {"hidden_size": 32, "depth": 3, "max_epochs": 25, "patience": 25, "batch_size": 16, "learning_rate": 3e-3,
        "n_threads": 1, "random_state": 0}
PIECES = ("C", "C", "C", "N", "O", "C(C)", "C(=O)", "c1ccccc1", "C(F)", "C1CCC1")


def molecules(n: int, seed: int = 0) -> list[str]:
    """Chains of 2 to 7 pieces: alkanes, alcohols, amines, ketones, rings, halides."""
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(PIECES, size=rng.integers(2, 8))) for _ in range(n)]


def carbons(smiles: list[str]) -> np.ndarray:
    from rdkit import Chem

    return np.array([sum(a.GetSymbol() == "C" for a in Chem.MolFromSmiles(s).GetAtoms()) for s in smiles], float)


@pytest.fixture(scope="module")
def data():
    smiles = molecules(200)
    return np.array(smiles, dtype=object).reshape(-1, 1), smiles


def test_a_molecule_becomes_atoms_and_bonds_both_ways():
    read = featurise(["CCO", "c1ccccc1"])
    ethanol, benzene = read.graphs
    assert ethanol.atoms.shape == (3, atom_width()) and ethanol.bonds.shape == (4, BOND_WIDTH)
    assert ethanol.sources.tolist() == [0, 1, 1, 2]
    # one column per one-hot group (element, degree, charge, hydrogens, hybridisation), no flags
    assert ethanol.atoms.sum(axis=1).tolist() == [5.0, 5.0, 5.0]
    assert (benzene.atoms.sum(axis=1) == 7.0).all()  # aromatic and in a ring too
    assert read.missing == read.unreadable == 0


def test_a_batch_lays_molecules_end_to_end_and_keeps_each_bond_s_reverse_beside_it():
    graphs = featurise(["CCO", "not a molecule", "C#N"]).graphs
    batch = collate(graphs)
    assert batch.atoms.shape == (5, atom_width()) and batch.n_molecules == 3
    assert batch.molecule.tolist() == [0, 0, 0, 2, 2]
    assert batch.sources.tolist() == [0, 1, 1, 2, 3, 4]
    assert batch.destinations.tolist() == [1, 0, 2, 1, 4, 3]


def test_unreadable_and_missing_smiles_are_counted_and_answered(data):
    X, smiles = data
    cells = np.array(smiles[:60] + ["C1CC", "xyz", None, np.nan, ""], dtype=object).reshape(-1, 1)
    assert smiles_column(cells)[-3:] == ["", "", ""]
    read = featurise(smiles_column(cells))
    assert (read.unreadable, read.missing) == (2, 3)
    y = np.r_[carbons(smiles[:60]), [3.0, 3.0, 3.0, 3.0, 3.0]]
    model = MPNNRegressor(**{**FAST, "max_epochs": 2}).fit(cells, y)
    assert (model.n_unreadable_, model.n_missing_) == (2, 3)
    predicted = model.predict(cells[-5:])
    assert predicted.shape == (5,) and np.isfinite(predicted).all()


def test_the_network_counts_carbons_far_better_than_the_mean(data):
    X, smiles = data
    y = carbons(smiles)
    model = MPNNRegressor(**FAST, readout="sum").fit(X[:160], y[:160])
    error = np.sqrt(np.mean((model.predict(X[160:]) - y[160:]) ** 2))
    baseline = np.sqrt(np.mean((y[:160].mean() - y[160:]) ** 2))
    assert error < 0.4 * baseline, f"RMSE {error:.2f} against the mean's {baseline:.2f}"
    log = model.log_
    assert 1 <= log["best_epoch"] <= len(log["epochs"]) <= FAST["max_epochs"]


@pytest.fixture(scope="module")
def nitrogen(data):
    X, smiles = data
    labels = np.where(["N" in s for s in smiles], "amine", "none")
    return X, labels, MPNNClassifier(**FAST).fit(X[:160], labels[:160])


def test_the_network_tells_molecules_with_nitrogen(nitrogen):
    X, labels, model = nitrogen
    accuracy = (model.predict(X[160:]) == labels[160:]).mean()
    majority = max((labels[160:] == c).mean() for c in ("amine", "none"))
    assert accuracy >= 0.9 and accuracy > majority + 0.1
    proba = model.predict_proba(X[160:])
    assert proba.shape == (40, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert list(model.classes_) == ["amine", "none"]


def test_the_same_seed_gives_the_same_model_and_three_classes_work(data):
    X, smiles = data
    classes = np.array(["ring" if "1" in s else "oxygen" if "O" in s else "plain" for s in smiles])
    quick = {**FAST, "max_epochs": 3}
    first = MPNNClassifier(**quick).fit(X[:120], classes[:120]).predict_proba(X[120:])
    again = MPNNClassifier(**quick).fit(X[:120], classes[:120]).predict_proba(X[120:])
    assert first.shape == (80, 3) and np.array_equal(first, again)


def test_a_deadline_already_past_keeps_one_batch_s_network_and_a_later_one_the_best_epoch(data):
    X, smiles = data
    y = carbons(smiles)
    early = MPNNRegressor(**FAST).fit(X, y, deadline=time.monotonic() - 1.0)
    assert early.stopped_at_deadline_ and len(early.log_["epochs"]) == 1
    assert np.isfinite(early.predict(X[:5])).all()
    started = time.monotonic()
    slow = MPNNRegressor(**{**FAST, "max_epochs": 10_000, "patience": 10_000}).fit(X, y, deadline=started + 1.0)
    assert time.monotonic() - started < 3.0
    assert slow.stopped_at_deadline_ and slow.log_["epochs"]


def test_a_copy_without_its_torch_module_answers_alike(nitrogen):
    import pickle

    X, _, model = nitrogen
    copy = pickle.loads(pickle.dumps(model))
    assert "_network" not in copy.__dict__
    assert np.array_equal(copy.predict_proba(X[:20]), model.predict_proba(X[:20]))


def test_the_codec_stores_weights_and_settings_and_loads_them_back(nitrogen):
    from manabu.models.molecules.codec import CODEC

    X, _, model = nitrogen
    assert CODEC.recognises(model)
    weights, sidecar = CODEC.dump(model, "model")
    assert b"pickle" not in sidecar and sidecar.lstrip().startswith(b"{")
    loaded = CODEC.load(weights, sidecar, "folder", "")
    assert np.array_equal(loaded.predict_proba(X[:30]), model.predict_proba(X[:30]))
    assert list(loaded.classes_) == list(model.classes_)


def test_manabu_fit_finds_the_molecules_and_saves_a_model_that_loads_alike(data, tmp_path):
    import manabu
    from manabu.data.schema import ColumnType, infer_schema

    _, smiles = data
    frame = pd.DataFrame({"smiles": smiles[:120], "carbons": carbons(smiles[:120])})
    if infer_schema(frame, "carbons").column("smiles").type is not ColumnType.SMILES:
        pytest.skip("the schema does not yet type a column of SMILES as molecules")
    predictor = manabu.fit(frame, target="carbons", models=["mpnn"], max_trials=1, time_limit=5, validation="holdout",
                           verbose=False, report=False, output=tmp_path / "model")
    rows = frame.drop(columns=["carbons"]).head(20)
    loaded = manabu.load(tmp_path / "model")
    assert np.array_equal(np.asarray(loaded.predict(rows)), np.asarray(predictor.predict(rows)))
    assert any((tmp_path / "model").rglob("*.safetensors"))
