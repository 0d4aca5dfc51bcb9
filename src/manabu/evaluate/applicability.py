"""How far a molecule is from the ones a model learnt from (its applicability domain): the
Tanimoto similarity of its ECFP4 bits to its nearest training neighbour.

A model of molecules interpolates between what it has seen; for a molecule unlike every training
molecule its answer is an extrapolation, and is less sure. The similarity is 1.0 for a molecule
seen in training and falls towards 0 as fewer substructures are shared. The report shows how the
out-of-fold error grows as the similarity falls; ``Predictor.applicability`` gives it for new rows.

The bits are those of the standardised molecule (``data.molecules.standard_molecule``), as the
features are, so a salt of a training molecule is the molecule. The training molecules' bits are
kept with the model as a packed ``uint8`` array (``np.savez``, read with ``allow_pickle=False``).
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import numpy as np

from manabu.data.molecules import on_both_cores, parse_smiles, standard_molecule

RADIUS, SIZE = 2, 2048      # ECFP4: the usual measure of a molecule's neighbourhood
FAR = 0.3                   # below this, no training molecule shares much: an extrapolation
BANDS = (0.0, 0.3, 0.5, 0.7, 1.0)
FAR_NOTE_SHARE = 0.1        # the share of far rows above which ``manabu predict`` says so
MAX_REFERENCE = 50_000      # training molecules kept with a model (6 MB at most), sampled beyond
REFERENCE_FILE = "applicability.npz"


_STANDARD: dict[str, str | None] = {}
_STANDARD_LIMIT = 200_000


def text_of(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def standard_smiles(texts: Iterable[str]) -> dict[str, str | None]:
    """Each text's standardised molecule as canonical SMILES (None: unreadable), remembered: the
    standardisation costs ten times the fingerprint, and the features computed it in other
    processes. Reading the canonical SMILES back is cheap, and gives the same molecule."""
    wanted = {t for t in texts if t}
    missing = sorted(wanted - _STANDARD.keys())
    if len(_STANDARD) + len(missing) > _STANDARD_LIMIT:
        _STANDARD.clear()
        missing = sorted(wanted)
    _STANDARD.update(zip(missing, on_both_cores(_standardised, missing)))
    return {t: _STANDARD[t] for t in wanted}


def _standardised(texts: list[str]) -> list[str | None]:
    from rdkit import Chem

    molecules = (standard_molecule(t) for t in texts)
    return [None if m is None else Chem.MolToSmiles(m) for m in molecules]


def standard_molecules(values: Iterable[Any]) -> list[Any]:
    """Each value's standardised molecule (None where RDKit cannot read it)."""
    texts = [text_of(v) for v in values]
    standard = standard_smiles(texts)
    return [parse_smiles(standard[t]) if standard.get(t) else None for t in texts]


def bit_vectors(values: Iterable[Any]) -> list[Any]:
    """The ECFP4 bit vector of each value's standardised molecule (None where RDKit cannot read it)."""
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=RADIUS, fpSize=SIZE)
    found: dict[int, Any] = {}
    out = []
    for molecule in standard_molecules(values):
        if molecule is not None and id(molecule) not in found:
            found[id(molecule)] = generator.GetFingerprint(molecule)
        out.append(None if molecule is None else found[id(molecule)])
    return out


def nearest_similarity(queries: list[Any], reference: list[Any]) -> np.ndarray:
    """Each query's highest Tanimoto similarity among ``reference`` (NaN for a query that is None,
    or an empty reference)."""
    from rdkit import DataStructs

    out = np.full(len(queries), np.nan)
    if not reference:
        return out
    for i, query in enumerate(queries):
        if query is not None:
            out[i] = max(DataStructs.BulkTanimotoSimilarity(query, reference))
    return out


def packed(vectors: list[Any], seed: int = 0) -> np.ndarray:
    """The distinct readable bit vectors as rows of packed bits (``MAX_REFERENCE`` at most, sampled)."""
    from rdkit import DataStructs

    distinct = list({DataStructs.BitVectToText(v): v for v in vectors if v is not None}.values())
    if len(distinct) > MAX_REFERENCE:
        keep = np.random.default_rng(seed).choice(len(distinct), MAX_REFERENCE, replace=False)
        distinct = [distinct[i] for i in np.sort(keep)]
    bits = np.zeros((len(distinct), SIZE), dtype=np.uint8)
    for row, vector in zip(bits, distinct):
        DataStructs.ConvertToNumpyArray(vector, row)
    return np.packbits(bits, axis=1)


def unpacked(rows: np.ndarray) -> list[Any]:
    """Packed bit rows back as RDKit bit vectors, for ``nearest_similarity``."""
    from rdkit import DataStructs

    vectors = []
    for row in np.unpackbits(np.asarray(rows, dtype=np.uint8), axis=1):
        vector = DataStructs.ExplicitBitVect(SIZE)
        vector.SetBitsFromList(np.flatnonzero(row).tolist())
        vectors.append(vector)
    return vectors


def reference_bytes(columns: dict[str, np.ndarray]) -> bytes:
    """The packed training bits of each SMILES column as one ``.npz`` file (no pickle: names are
    kept by position, ``column_<i>``, and listed in the manifest)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{f"column_{i}": rows for i, rows in enumerate(columns.values())})
    return buffer.getvalue()


def reference_from_bytes(data: bytes, names: list[str]) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        return {name: np.asarray(arrays[f"column_{i}"], dtype=np.uint8) for i, name in enumerate(names)}


def similarity_bands(similarity: np.ndarray, error: np.ndarray) -> list[dict[str, Any]]:
    """Rows and mean error per band of similarity (``BANDS``): the error of far molecules beside
    that of near ones."""
    out = []
    for low, high in zip(BANDS[:-1], BANDS[1:]):
        last = high == BANDS[-1]
        inside = (similarity >= low) & ((similarity <= high) if last else (similarity < high))
        out.append({"low": low, "high": high, "rows": int(inside.sum()),
                    "error": float(np.mean(error[inside])) if inside.any() else None})
    return out
