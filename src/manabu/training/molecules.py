"""What a run on molecules needs beyond the tabular steps: the scaffolds that group its folds
(``--validation scaffold``), and the training molecules kept with the model so that a
prediction can say how far a new molecule is from them (``evaluate.applicability``)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from manabu.data.molecules import require_rdkit, scaffold_of
from manabu.data.schema import ColumnType, Schema


def scaffold_groups(values: pd.Series) -> np.ndarray:
    """Each row's Bemis–Murcko scaffold (its own group where RDKit cannot read the molecule)."""
    require_rdkit()
    return np.array([scaffold_of(_smiles_text(v)) for v in values], dtype=object)


def molecule_reference(schema: Schema, X: pd.DataFrame, seed: int) -> dict[str, np.ndarray] | None:
    """The training molecules' packed ECFP4 bits per SMILES column (None without molecules)."""
    names = schema.of_type(ColumnType.SMILES)
    if not names:
        return None
    from manabu.evaluate.applicability import bit_vectors, packed

    return {name: packed(bit_vectors(X[name]), seed) for name in names}


def _smiles_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def molecule_texts(frame: pd.DataFrame) -> dict[str, list[str]]:
    """The distinct values of ``frame``'s SMILES-like columns, per column (none without RDKit)."""
    from manabu.data.molecules import rdkit_available, written_like_smiles

    if not rdkit_available():
        return {}
    found = {}
    for name in frame.columns:
        values = frame[name].dropna().unique()
        texts = [v for v in values[:256].tolist() if isinstance(v, str)]
        if texts and written_like_smiles(texts):
            found[name] = values.tolist()
    return found
