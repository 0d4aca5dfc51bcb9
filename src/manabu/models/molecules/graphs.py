"""SMILES as graphs for the message-passing network: RDKit reads each molecule once, its atoms
become rows of one-hot features and its bonds pairs of directed bonds (``2i`` leaves the bond's
first atom, ``2i + 1`` its second), and a batch is the molecules' arrays laid end to end.

Keeping each bond's two directions side by side means a directed bond's reverse is its index
with the last bit flipped, in a molecule and in any batch of them: the network needs no lookup
table. A cell that RDKit cannot read, or a missing one, becomes the empty graph (no atoms): the
network gives it a learnt "unknown molecule" vector instead of crashing, and the cells are counted.

rdkit and torch are imported inside the functions that use them: importing this module needs neither.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

FEATURISER_VERSION = 1  # saved with a model: features laid out otherwise would mean other weights
# the element's one-hot: the elements of drug-like molecules, the rest as "other"
ELEMENTS = ("H", "B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "Se", "Br", "I")
DEGREES = (0, 1, 2, 3, 4, 5)
CHARGES = (-2, -1, 0, 1, 2)
HYDROGENS = (0, 1, 2, 3, 4)
HYBRIDISATIONS = ("SP", "SP2", "SP3", "SP3D", "SP3D2")
BOND_TYPES = ("SINGLE", "DOUBLE", "TRIPLE", "AROMATIC")
# an atom's one-hot groups after the element's, each with an "other" column, then two flags
_ATOM_GROUPS = (DEGREES, CHARGES, HYDROGENS, HYBRIDISATIONS)
BOND_WIDTH = len(BOND_TYPES) + 1 + 2  # the type's one-hot with "other", conjugated, in a ring


def atom_width(elements: Sequence[str] = ELEMENTS) -> int:
    return len(elements) + 1 + sum(len(group) + 1 for group in _ATOM_GROUPS) + 2


@dataclass(frozen=True)
class MolGraph:
    """One molecule: ``atoms`` (atoms x atom features), ``bonds`` (directed bonds x bond
    features, each bond twice), ``sources`` (the atom each directed bond leaves)."""

    atoms: np.ndarray
    bonds: np.ndarray
    sources: np.ndarray

    @property
    def n_atoms(self) -> int:
        return len(self.atoms)


def empty_graph(elements: Sequence[str] = ELEMENTS) -> MolGraph:
    return MolGraph(np.zeros((0, atom_width(elements)), np.float32), np.zeros((0, BOND_WIDTH), np.float32),
                    np.zeros(0, np.int64))


@dataclass(frozen=True)
class Featurised:
    """The graphs of a column's cells, and how many cells were missing or not read by RDKit
    (those are empty graphs)."""

    graphs: list[MolGraph]
    missing: int
    unreadable: int


def featurise(cells: Iterable[str], elements: Sequence[str] = ELEMENTS) -> Featurised:
    """Each cell's graph ("" for a missing cell), each distinct SMILES parsed once, with
    RDKit's complaints about unreadable ones silenced (they are counted instead)."""
    from rdkit import Chem, rdBase

    empty, seen, missing, unreadable = empty_graph(elements), {}, 0, 0
    graphs = []
    blocker = rdBase.BlockLogs()
    try:
        for text in cells:
            if not text:
                missing += 1
                graphs.append(empty)
                continue
            if text not in seen:
                molecule = Chem.MolFromSmiles(text)
                seen[text] = None if molecule is None else molecule_graph(molecule, elements)
            graph = seen[text]
            unreadable += graph is None
            graphs.append(empty if graph is None else graph)
    finally:
        del blocker
    return Featurised(graphs, missing, unreadable)


def molecule_graph(molecule: Any, elements: Sequence[str] = ELEMENTS) -> MolGraph:
    """An RDKit molecule's graph; its hydrogens stay implicit (counted on their atom)."""
    atoms = np.zeros((molecule.GetNumAtoms(), atom_width(elements)), np.float32)
    for atom in molecule.GetAtoms():
        atoms[atom.GetIdx(), _atom_columns(atom, elements)] = 1.0
    n_bonds = molecule.GetNumBonds()
    bonds = np.zeros((2 * n_bonds, BOND_WIDTH), np.float32)
    sources = np.zeros(2 * n_bonds, np.int64)
    for i, bond in enumerate(molecule.GetBonds()):
        bonds[2 * i:2 * i + 2, _bond_columns(bond)] = 1.0  # both directions alike
        sources[2 * i], sources[2 * i + 1] = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
    return MolGraph(atoms, bonds, sources)


def _one_hot(value: Any, choices: Sequence[Any]) -> int:
    """The position of ``value`` in ``choices``, or the "other" position after them."""
    return choices.index(value) if value in choices else len(choices)


def _atom_columns(atom: Any, elements: Sequence[str]) -> list[int]:
    """The columns set to one for an atom: one per one-hot group, then its two flags."""
    values = (atom.GetTotalDegree(), atom.GetFormalCharge(), atom.GetTotalNumHs(), str(atom.GetHybridization()))
    columns, start = [_one_hot(atom.GetSymbol(), elements)], len(elements) + 1
    for value, group in zip(values, _ATOM_GROUPS):
        columns.append(start + _one_hot(value, group))
        start += len(group) + 1
    if atom.GetIsAromatic():
        columns.append(start)
    if atom.IsInRing():
        columns.append(start + 1)
    return columns


def _bond_columns(bond: Any) -> list[int]:
    columns = [_one_hot(str(bond.GetBondType()), BOND_TYPES)]
    if bond.GetIsConjugated():
        columns.append(len(BOND_TYPES) + 1)
    if bond.IsInRing():
        columns.append(len(BOND_TYPES) + 2)
    return columns


# ---------------------------------------------------------------------------------------------
# Batches


@dataclass(frozen=True)
class GraphBatch:
    """Molecules laid end to end: their atoms and directed bonds, the atom each bond leaves
    (``sources``) and enters (``destinations``), and each atom's molecule. Its arrays are numpy until
    ``to`` a torch device, which is what ``deep.trainer`` asks of a batch's inputs."""

    atoms: Any
    bonds: Any
    sources: Any
    destinations: Any
    molecule: Any
    n_molecules: int

    def to(self, device, non_blocking: bool = False) -> GraphBatch:
        import torch

        def moved(array):
            tensor = torch.from_numpy(array) if isinstance(array, np.ndarray) else array
            return tensor.to(device, non_blocking=non_blocking)
        return replace(self, atoms=moved(self.atoms), bonds=moved(self.bonds), sources=moved(self.sources),
                       destinations=moved(self.destinations), molecule=moved(self.molecule))


def collate(graphs: Sequence[MolGraph]) -> GraphBatch:
    """One batch of ``graphs`` (at least one, any of them empty)."""
    counts = np.array([graph.n_atoms for graph in graphs], dtype=np.int64)
    offsets = np.cumsum(counts) - counts
    sources = np.concatenate([graph.sources + offset for graph, offset in zip(graphs, offsets)])
    reverse = np.arange(len(sources)) ^ 1  # each bond's two directions sit side by side
    return GraphBatch(atoms=np.concatenate([graph.atoms for graph in graphs]),
                      bonds=np.concatenate([graph.bonds for graph in graphs]),
                      sources=sources, destinations=sources[reverse],
                      molecule=np.repeat(np.arange(len(graphs), dtype=np.int64), counts), n_molecules=len(graphs))


def graph_batches(graphs: Sequence[MolGraph], targets: np.ndarray, rows: np.ndarray, size: int, shuffle: bool,
                  rng: np.random.Generator | None = None):
    """What ``deep.trainer.train_network`` takes: a callable giving the (graph batch, targets)
    batches of ``rows``, in a new order each call where ``shuffle``; unshuffled batches are
    collated once."""
    rng = rng or np.random.default_rng(0)

    def batches(order: np.ndarray):
        import torch

        for start in range(0, len(order), size):
            chosen = order[start:start + size]
            yield collate([graphs[i] for i in chosen]), torch.from_numpy(targets[chosen])
    if shuffle:
        return lambda: batches(rng.permutation(rows))
    fixed = list(batches(rows))
    return lambda: iter(fixed)
