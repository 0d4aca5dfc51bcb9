"""Molecules made by the tests: chains on a few ring systems, so that scaffolds repeat, with a
property RDKit computes (Crippen's logP), so that a model has something real to learn."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("rdkit")

RINGS = ["c1ccccc1", "C1CCCCC1", "c1ccncc1", "C1CCOC1", "c1ccc2ccccc2c1", "c1ccsc1", ""]
CHAINS = ["C", "CC", "CCC", "CO", "CN", "CCl", "C(=O)O", "OC", "CC(C)C", "F", "CCCCC", "C(F)(F)F"]
LEFT = ["C", "CC", "CCC", "OC", "NC", "FC"]  # written to end on the atom that joins the ring


def molecule_smiles() -> list[str]:
    """Every chain on every ring, then two chains on each ring (one each side): 7 scaffolds."""
    one = [ring + chain for ring, chain in itertools.product(RINGS, CHAINS)]
    two = [left + ring + right for ring in RINGS if ring for left, right in
           itertools.product(LEFT, CHAINS[6:])]
    return list(dict.fromkeys(one + two))


def molecule_frame(seed: int = 0) -> pd.DataFrame:
    from rdkit import Chem
    from rdkit.Chem import Crippen

    smiles = molecule_smiles()
    rng = np.random.default_rng(seed)
    logp = np.array([Crippen.MolLogP(Chem.MolFromSmiles(s)) for s in smiles])
    frame = pd.DataFrame({"smiles": smiles, "logp": logp + rng.normal(scale=0.1, size=len(smiles))})
    frame["soluble"] = np.where(frame["logp"] < np.median(frame["logp"]), "yes", "no")
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
