"""Molecules as numbers: what a chemist would compute from a SMILES before modelling.

Three views of each (standardised) molecule, side by side:

- Morgan (ECFP) count fingerprints: how often each circular substructure of up to ``radius``
  bonds occurs, folded into ``size`` columns (both in the search space);
- RDKit's 2D descriptors: weight, logP, polar surface, charges, counts of rings and groups;
- MACCS keys: 166 yes/no questions about well-known substructures.

Nothing is learnt from the rows, so a molecule's features are the same in every fold: the
descriptors and keys, most of the cost, are computed once per molecule and kept (``_CACHE``), so
the folds and the search's candidates, whatever fingerprint they try, pay for them once. A SMILES
RDKit cannot read gets missing values.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from manabu.data.molecules import on_both_cores, require_rdkit, standard_molecule

# the fingerprint's settings, searched with each candidate (``models.feature_space``); the
# defaults are ECFP4 with 2,048 bits, the common first choice
RADIUS_OPTION, SIZE_OPTION = "fingerprint_radius", "fingerprint_size"
DEFAULT_RADIUS, DEFAULT_SIZE = 2, 2048
# whether the descriptors and MACCS keys join the fingerprint: they cost about 8 ms a molecule
# (``DESCRIPTOR_MS``) where the fingerprint costs 0.04, so a short search over many molecules may
# do without them (``training.multilabel_sharing``), and a search may find them of no help
DESCRIPTORS_OPTION, DEFAULT_DESCRIPTORS = "molecule_descriptors", True
DESCRIPTOR_MS = 8.0  # per tox21 molecule on one core: the descriptors 7.2 ms, the MACCS keys 0.75

# descriptors that cost more than the other two hundred together (QED, the spatial score, the
# information content and Bertz's complexity took 1.9 ms of 5.5 ms per tox21 molecule); the four
# E-state extremes are computed from one call instead of four
_SLOW = frozenset({"qed", "SPS", "Ipc", "AvgIpc", "BertzCT",
                   "MaxAbsEStateIndex", "MinAbsEStateIndex", "MinEStateIndex", "MaxEStateIndex"})
_ESTATE = ("MaxEStateIndex", "MinEStateIndex", "MaxAbsEStateIndex", "MinAbsEStateIndex")
MACCS_BITS = 167
_CACHE: dict[tuple, np.ndarray] = {}
_CACHE_LIMIT = 200_000


@lru_cache(maxsize=1)
def descriptor_names() -> tuple[str, ...]:
    """RDKit's 2D descriptors, the slow ones left out (imported on first use: most data hold no
    molecules, and RDKit's descriptors take a second to import)."""
    from rdkit.Chem import Descriptors

    return (*_ESTATE, *(name for name, _ in Descriptors.descList if name not in _SLOW))




class MoleculeFeatures(BaseEstimator, TransformerMixin):
    """One SMILES column → fingerprint counts, descriptors and MACCS keys (float32; NaN for a
    molecule RDKit cannot read, or a descriptor it cannot compute)."""

    def __init__(self, radius: int = DEFAULT_RADIUS, size: int = DEFAULT_SIZE, descriptors: bool = True,
                 maccs: bool = True) -> None:
        self.radius = radius
        self.size = size
        self.descriptors = descriptors
        self.maccs = maccs

    def fit(self, X: Any, y: Any = None) -> "MoleculeFeatures":
        require_rdkit()
        self.n_features_in_ = 1
        self.feature_names_ = ([f"morgan{self.radius}_{i}" for i in range(self.size)]
                               + (list(descriptor_names()) if self.descriptors else [])
                               + ([f"maccs_{i}" for i in range(MACCS_BITS)] if self.maccs else []))
        return self

    def transform(self, X: Any) -> np.ndarray:
        texts = [_text(v) for v in _first_column(X)]
        parts = [_fingerprints(texts, self.radius, self.size)]
        if self.descriptors or self.maccs:
            missing = sorted({t for t in texts if t not in _CACHE})
            for text, row in zip(missing, _compute(missing)):
                _remember(text, row)
            count = len(descriptor_names())
            keep = np.r_[np.arange(count) if self.descriptors else [],
                         count + np.arange(MACCS_BITS) if self.maccs else []].astype(int)
            parts.append(np.stack([_CACHE[t] for t in texts])[:, keep] if texts else
                         np.empty((0, len(keep)), dtype=np.float32))
        return np.hstack(parts).astype(np.float32, copy=False)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(self.feature_names_, dtype=object)


def _first_column(X: Any) -> list[Any]:
    values = X.iloc[:, 0] if hasattr(X, "iloc") else np.asarray(X, dtype=object)
    values = values.reshape(len(values), -1)[:, 0] if isinstance(values, np.ndarray) else values
    return list(values)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _remember(text: str, row: np.ndarray) -> None:
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[text] = row


def _fingerprints(texts: list[str], radius: int, size: int) -> np.ndarray:
    """Morgan counts (0.04 ms a molecule: not worth keeping), NaN for unreadable molecules."""
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=size)
    out = np.full((len(texts), size), np.nan, dtype=np.float32)
    for i, text in enumerate(texts):
        mol = standard_molecule(text) if text else None
        if mol is not None:
            out[i] = generator.GetCountFingerprintAsNumPy(mol)
    return out


def _compute(texts: list[str]) -> list[np.ndarray]:
    return on_both_cores(_rows, texts)


def _rows(texts: list[str]) -> list[np.ndarray]:
    return [molecule_row(t) for t in texts]


def molecule_row(text: str) -> np.ndarray:
    """One molecule's descriptors and MACCS keys, all NaN when RDKit cannot read it."""
    mol = standard_molecule(text) if text else None
    if mol is None:
        return np.full(len(descriptor_names()) + MACCS_BITS, np.nan, dtype=np.float32)
    from rdkit.Chem import MACCSkeys

    keys = np.array(list(MACCSkeys.GenMACCSKeys(mol)), dtype=np.float32)
    return np.concatenate([_descriptors(mol), keys]).astype(np.float32)


def _descriptors(mol: Any) -> np.ndarray:
    from rdkit.Chem import Descriptors
    from rdkit.Chem.EState import EState

    values = []
    estate = np.asarray(EState.EStateIndices(mol), dtype=float)
    values += [estate.max(), estate.min(), np.abs(estate).max(), np.abs(estate).min()] if estate.size else [0.0] * 4
    for name, function in Descriptors.descList:
        if name in _SLOW:
            continue
        try:
            values.append(float(function(mol)))
        except Exception:  # noqa: BLE001 - a descriptor RDKit cannot compute for this molecule
            values.append(np.nan)
    row = np.array(values, dtype=np.float64)
    row[~np.isfinite(row) | (np.abs(row) > 1e30)] = np.nan  # float32 holds neither inf nor 1e40
    return row.astype(np.float32)
