"""The report's numbers on molecules (``report.molecules`` draws them): what standardisation
changed, the best and worst predicted molecules drawn, the fingerprint bits that matter most
drawn as the substructures they stand for, and the out-of-fold error by similarity to the
training molecules (``evaluate.applicability``), which shows why a far molecule's answer is less
sure. Drawings are RDKit's SVG, kept as text in the record so the report needs no data.
"""
from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from manabu.data.molecules import STANDARDISATION, parse_smiles
from manabu.evaluate.applicability import (FAR, bit_vectors, nearest_similarity, similarity_bands,
                                           standard_molecules, standard_smiles, text_of)
from manabu.evaluate.importances import model_importances

EXAMPLES = 4                # best and worst predicted molecules shown
TOP_BITS = 8                # fingerprint bits drawn
MOLECULE_SIZE = (220, 160)  # pixels of a drawn molecule
FRAGMENT_SIZE = (160, 130)
MAX_DOMAIN_ROWS = 1_000     # out-of-fold rows whose nearest neighbour is sought (1 s for 8,000 molecules)
MAX_SCANNED = 1_000         # molecules searched for the bits' substructures, and checked for standardisation
CHANGED_EXAMPLES = 3
_BIT = re.compile(r"^molecule(\d+)__morgan(\d+)_(\d+)$")


def molecule_numbers(X: pd.DataFrame, y: np.ndarray, oof, classes: list | None, column: str,
                     members: Sequence[tuple[float, Any]], folds: list | None, seed: int,
                     deadline: float | None = None) -> dict[str, Any]:
    """The molecule section's numbers for the first SMILES ``column``; ``members`` are the chosen
    model's (weight, fitted pipeline) pairs (one for a single model), whose importances rank the
    bits. Past ``deadline`` (time.monotonic()) only what is cheap: ``{"skipped": True}`` beside it."""
    texts = [text_of(v) for v in X[column]]
    standard_smiles(texts)  # every molecule standardised once, on both cores where they are many
    out: dict[str, Any] = {"column": column, "standardisation": list(STANDARDISATION),
                           "standardised": standardisation_changes(texts, seed)}
    if deadline is not None and time.monotonic() >= deadline:
        return {**out, "skipped": True}
    y = np.asarray(y)
    if oof is not None:
        out["examples"] = best_and_worst(texts, y, np.asarray(oof, dtype=float), classes)
        out["domain"] = domain(texts, y, np.asarray(oof, dtype=float), classes, folds, seed)
    out["bits"] = important_bits(texts, y, members, classes, seed)
    return out


def standardisation_changes(texts: list[str], seed: int) -> dict[str, Any]:
    """How many (sampled) distinct molecules standardisation changed, with a few before → after."""
    from rdkit import Chem

    distinct = sorted({t for t in texts if t})
    if len(distinct) > MAX_SCANNED:
        distinct = [str(t) for t in np.random.default_rng(seed).choice(distinct, MAX_SCANNED, replace=False)]
    standard = standard_smiles(distinct)
    changed, examples = 0, []
    for text in distinct:
        parsed, after = parse_smiles(text), standard.get(text)
        if parsed is None or after is None:
            continue
        if Chem.MolToSmiles(parsed) != after:
            changed += 1
            if len(examples) < CHANGED_EXAMPLES:
                examples.append({"before": text, "after": after})
    return {"checked": len(distinct), "changed": changed, "examples": examples}


def best_and_worst(texts: list[str], y: np.ndarray, oof: np.ndarray, classes: list | None) -> dict[str, list]:
    """The ``EXAMPLES`` out-of-fold predictions closest to the truth and farthest from it (by
    absolute error; for classes, by the probability given to the true class), drawn."""
    present = ~np.isnan(oof.reshape(len(y), -1)).any(axis=1)
    if classes is None:
        predicted = oof.ravel()
        badness = np.abs(predicted - y.astype(float))
    else:
        probabilities = _probabilities(oof, len(y))
        truth = np.clip(y.astype(int), 0, probabilities.shape[1] - 1)
        badness = -probabilities[np.arange(len(y)), truth]
    rows = np.flatnonzero(present & np.array([parse_smiles(t) is not None for t in texts]))
    order = rows[np.argsort(badness[rows], kind="stable")]
    best, worst = order[:EXAMPLES], order[::-1][:EXAMPLES]
    return {"best": [_example(i, texts, y, oof, classes) for i in best],
            "worst": [_example(i, texts, y, oof, classes) for i in worst if i not in set(best)]}


def _probabilities(oof: np.ndarray, n: int) -> np.ndarray:
    probabilities = oof.reshape(n, -1)
    if probabilities.shape[1] == 1:  # binary out-of-fold scores: the second class's probability
        probabilities = np.column_stack([1 - probabilities[:, 0], probabilities[:, 0]])
    return probabilities


def _example(i: int, texts: list[str], y: np.ndarray, oof: np.ndarray, classes: list | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"smiles": texts[i], "svg": molecule_svg(parse_smiles(texts[i]))}
    if classes is None:
        predicted = float(oof.ravel()[i])
        return {**entry, "actual": float(y[i]), "predicted": predicted, "error": abs(predicted - float(y[i]))}
    row = _probabilities(oof, len(y))[i]
    return {**entry, "actual": str(classes[int(y[i])]), "predicted": str(classes[int(np.argmax(row))]),
            "probability": round(float(row[int(y[i])]), 4)}


def molecule_svg(molecule: Any, size: tuple[int, int] = MOLECULE_SIZE, atoms: list[int] | None = None,
                 bonds: list[int] | None = None) -> str:
    """A 2D drawing as SVG text (without the XML declaration), ``atoms`` and ``bonds`` highlighted."""
    from rdkit.Chem.Draw import rdMolDraw2D

    drawer = rdMolDraw2D.MolDraw2DSVG(*size)
    drawer.drawOptions().clearBackground = False
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, molecule, highlightAtoms=atoms or [], highlightBonds=bonds or [])
    drawer.FinishDrawing()
    return _compact(drawer.GetDrawingText())


def _compact(svg: str) -> str:
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    return re.sub(r">\s+<", "><", svg).strip()


def domain(texts: list[str], y: np.ndarray, oof: np.ndarray, classes: list | None, folds: list | None,
           seed: int) -> dict[str, Any] | None:
    """Each (sampled) out-of-fold row's similarity to its nearest neighbour among the rows its
    model trained on (its fold's; without folds, every other row), and the error per band."""
    present = ~np.isnan(oof.reshape(len(y), -1)).any(axis=1)
    if classes is None:
        error = np.abs(oof.ravel() - y.astype(float))
    else:
        error = (np.argmax(np.nan_to_num(_probabilities(oof, len(y)), nan=-1.0), axis=1) != y).astype(float)
    vectors = bit_vectors(texts)
    pairs = folds or [(np.arange(len(y)), np.arange(len(y)))]
    rng = np.random.default_rng(seed)
    wanted = sum(int(present[np.asarray(v)].sum()) for _, v in pairs)
    share = min(1.0, MAX_DOMAIN_ROWS / max(1, wanted))
    rows, similarity = [], []
    for train, valid in pairs:
        valid = np.asarray(valid)[present[np.asarray(valid)]]
        if share < 1.0:
            valid = np.sort(rng.choice(valid, int(np.ceil(share * len(valid))), replace=False))
        found = _nearest(vectors, np.asarray(train), valid, same=folds is None)
        rows.append(valid)
        similarity.append(found)
    rows, similarity = np.concatenate(rows).astype(int), np.concatenate(similarity)
    keep = ~np.isnan(similarity)
    if not keep.any():
        return None
    rows, similarity = rows[keep], similarity[keep]
    return {"rows": int(len(rows)), "sampled": bool(share < 1.0), "unit": "mae" if classes is None else "error_rate",
            "far": FAR, "far_share": float(np.mean(similarity < FAR)), "median": float(np.median(similarity)),
            "bands": similarity_bands(similarity, error[rows])}


def _nearest(vectors: list, train: np.ndarray, valid: np.ndarray, same: bool) -> np.ndarray:
    reference = [vectors[i] for i in train if vectors[i] is not None]
    if not same:
        return nearest_similarity([vectors[i] for i in valid], reference)
    from rdkit import DataStructs

    position = {i: k for k, i in enumerate(i for i in train if vectors[i] is not None)}
    out = np.full(len(valid), np.nan)
    for n, i in enumerate(valid):
        if vectors[i] is None or len(reference) < 2:
            continue
        similarities = DataStructs.BulkTanimotoSimilarity(vectors[i], reference)
        similarities[position[i]] = -1.0
        out[n] = max(similarities)
    return out


# ------------------------------------------------------------------------------ important bits

def important_bits(texts: list[str], y: np.ndarray, members: Sequence[tuple[float, Any]], classes: list | None,
                   seed: int) -> dict[str, Any] | None:
    """The ``TOP_BITS`` fingerprint bits of the first SMILES column that weigh most in the model
    (its own importances; where it has none, the bits whose presence goes most with the target),
    each drawn as the substructure it stands for in a training molecule that has it."""
    ranked, source = _model_bits(members)
    if not ranked:
        ranked, source = _associated_bits(texts, y, classes, seed), "association"
    if not ranked:
        return None
    radius, size = ranked[0][0][0], ranked[0][0][1]
    ranked = [(key, value) for key, value in ranked if key[:2] == (radius, size)]
    found = _fragments(texts, y, [key[2] for key, _ in ranked[:4 * TOP_BITS]], radius, size, seed, classes)
    bits = [{"bit": bit, "feature": f"morgan{radius}_{bit}", "importance": float(value), **found[bit]}
            for (_, _, bit), value in ranked if bit in found][:TOP_BITS]
    for entry in bits:  # drawn last, only those shown
        molecule, atom, depth = entry.pop("environment")
        entry.update(svg=fragment_svg(molecule, atom, depth), smiles=_smiles(molecule))
    return {"source": source, "radius": radius, "size": size, "bits": bits}


def _model_bits(members: Sequence[tuple[float, Any]]) -> tuple[list, str]:
    """((radius, size, bit), weight) of the first SMILES column, largest first, from the members'
    importances (each member's normalised to sum 1, then weighted as the ensemble weighs it)."""
    total: dict[tuple[int, int, int], float] = {}
    for weight, pipeline in members:
        for key, value in _pipeline_bits(pipeline).items():
            total[key] = total.get(key, 0.0) + weight * value
    ranked = sorted(((k, v) for k, v in total.items() if v > 0), key=lambda kv: -kv[1])
    return ranked, "model"


def _pipeline_bits(pipeline: Any) -> dict[tuple[int, int, int], float]:
    try:
        names = [str(n) for n in pipeline[:-1].get_feature_names_out()]
    except Exception:  # noqa: BLE001 - a preprocessing step without names: no bits to rank
        return {}
    values = model_importances(pipeline.steps[-1][1], len(names))
    if values is None:
        return {}
    parsed = [(_BIT.match(n), v) for n, v in zip(names, values)]
    bits = [(m, v) for m, v in parsed if m and m.group(1) == "0"]
    sizes: dict[int, int] = {}
    for m, _ in bits:
        sizes[int(m.group(2))] = sizes.get(int(m.group(2)), 0) + 1
    whole = float(np.sum(values)) or 1.0
    return {(int(m.group(2)), sizes[int(m.group(2))], int(m.group(3))): float(v) / whole for m, v in bits}


def _associated_bits(texts: list[str], y: np.ndarray, classes: list | None, seed: int) -> list:
    """The ECFP4 bits whose presence correlates most with the target (for classes, with the
    first class), for a model that has no importances of its own."""
    from rdkit import DataStructs

    from manabu.evaluate.applicability import RADIUS, SIZE

    rows = np.arange(len(texts))
    if len(rows) > MAX_SCANNED:
        rows = np.sort(np.random.default_rng(seed).choice(rows, MAX_SCANNED, replace=False))
    vectors = bit_vectors([texts[i] for i in rows])
    keep = [k for k, v in enumerate(vectors) if v is not None]
    if len(keep) < 3:
        return []
    bits = np.zeros((len(keep), SIZE))
    for row, k in zip(bits, keep):
        DataStructs.ConvertToNumpyArray(vectors[k], row)
    target = np.asarray(y)[rows][keep].astype(float)
    target = target if classes is None else (target == 0).astype(float)
    centred, spread = bits - bits.mean(axis=0), bits.std(axis=0) * target.std()
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.abs(centred.T @ (target - target.mean())) / len(target) / spread
    order = np.argsort(-np.nan_to_num(correlation))
    return [((RADIUS, SIZE, int(b)), float(correlation[b])) for b in order[:4 * TOP_BITS] if correlation[b] > 0]


def _fragments(texts: list[str], y: np.ndarray, bits: list[int], radius: int, size: int, seed: int,
               classes: list | None) -> dict[int, dict[str, Any]]:
    """For each wanted bit set by some (sampled) training molecule: its substructure drawn from
    the first such molecule, how many molecules have it, and the mean target with and without."""
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=size)
    rows = np.arange(len(texts))
    if len(rows) > MAX_SCANNED:
        rows = np.sort(np.random.default_rng(seed).choice(rows, MAX_SCANNED, replace=False))
    wanted, first, has = set(bits), {}, {bit: np.zeros(len(rows), dtype=bool) for bit in bits}
    scanned = np.zeros(len(rows), dtype=bool)
    for k, molecule in enumerate(standard_molecules([texts[i] for i in rows])):
        if molecule is None:
            continue
        scanned[k] = True
        output = rdFingerprintGenerator.AdditionalOutput()
        output.AllocateBitInfoMap()
        generator.GetFingerprint(molecule, additionalOutput=output)
        for bit, environments in output.GetBitInfoMap().items():
            if bit in wanted:
                has[bit][k] = True
                first.setdefault(bit, (molecule, environments[0]))
    target = np.asarray(y)[rows].astype(float)
    out = {}
    for bit, (molecule, (atom, depth)) in first.items():
        inside, outside = has[bit] & scanned, ~has[bit] & scanned
        out[bit] = {"environment": (molecule, atom, depth), "molecules": int(inside.sum()),
                    "scanned": int(scanned.sum())}
        if classes is None:
            out[bit].update(mean_with=_mean(target[inside]), mean_without=_mean(target[outside]))
    return out


def _mean(values: np.ndarray) -> float | None:
    return float(np.mean(values)) if len(values) else None


def _smiles(molecule: Any) -> str:
    from rdkit import Chem

    return Chem.MolToSmiles(molecule)


def fragment_svg(molecule: Any, atom: int, radius: int) -> str:
    """The molecule with the environment of ``radius`` bonds around ``atom`` highlighted (the
    substructure a Morgan bit stands for; radius 0 is the atom alone)."""
    from rdkit import Chem

    bonds = list(Chem.FindAtomEnvironmentOfRadiusN(molecule, radius, atom)) if radius else []
    atoms = {atom}
    for bond in bonds:
        atoms.update((molecule.GetBondWithIdx(bond).GetBeginAtomIdx(), molecule.GetBondWithIdx(bond).GetEndAtomIdx()))
    return molecule_svg(molecule, FRAGMENT_SIZE, sorted(atoms), bonds)
