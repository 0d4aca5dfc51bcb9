"""Molecules written as SMILES: recognising a column of them, reading and standardising them,
and their Bemis–Murcko scaffolds.

RDKit (the ``chem`` extra) is imported only when a column looks like SMILES by its characters,
so that tables without molecules never pay for it. Standardisation follows what a chemist does
before modelling: keep the largest fragment (a salt's counter-ion is not the compound), neutralise
charges where a neutral form exists, and clean up functional groups drawn in different ways, so
that one compound written two ways gets one set of features.
"""
from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Callable
from typing import Any

from manabu.base.errors import ConfigError

# every character a SMILES string may hold (atoms, bonds, branches, rings, charges, isotopes,
# stereo, the dot between fragments); words with spaces or punctuation beyond these are not SMILES
_SMILES_CHARACTERS = re.compile(r"^[A-Za-z0-9@+\-\[\]()=#$%:/\\.*]+$")
# the syntax only SMILES has beyond letters: ring closures, branches, bonds, brackets, aromatic
# atoms; a column of short codes ("CN", "COP") is plain letters and parses by chance
_SMILES_SYNTAX = re.compile(r"[0-9()=#\[\]@+/\\]|[cnos][a-z0-9(\[=]")
PARSE_SHARE = 0.9          # at least this share of the distinct values must be read by RDKit
SYNTAX_SHARE = 0.3         # and this share must use syntax beyond letters
MIN_DISTINCT = 10          # fewer distinct values: a category column, whatever its letters
STANDARDISATION = ("cleanup", "largest_fragment", "uncharge")


def rdkit_available() -> bool:
    try:
        import rdkit  # noqa: F401
    except ImportError:
        return False
    return True


def require_rdkit() -> None:
    if not rdkit_available():
        raise ConfigError("molecules.needs_chem")


def written_like_smiles(texts: list[str]) -> bool:
    """The characters alone say SMILES: the test made before RDKit is loaded."""
    if len(texts) < MIN_DISTINCT:
        return False
    shaped = [t for t in texts if _SMILES_CHARACTERS.match(t)]
    if len(shaped) < PARSE_SHARE * len(texts):
        return False
    return sum(bool(_SMILES_SYNTAX.search(t)) for t in shaped) >= SYNTAX_SHARE * len(texts)


def parsed_share(texts: list[str]) -> float:
    """The share of ``texts`` RDKit reads as molecules."""
    return sum(parse_smiles(t) is not None for t in texts) / max(1, len(texts))


def unreadable(texts: list[str]) -> list[str]:
    """The values RDKit cannot read, in order."""
    return [t for t in texts if parse_smiles(t) is None]


def _quiet_rdkit() -> None:
    """RDKit writes a line to stderr for every SMILES it cannot read; manabu counts them and
    says so once instead."""
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")


@lru_cache(maxsize=50_000)
def parse_smiles(text: str) -> Any:
    """The RDKit molecule, or None when ``text`` is not a SMILES RDKit reads (also empty)."""
    if not isinstance(text, str) or not text.strip():
        return None
    from rdkit import Chem

    _quiet_rdkit()
    return Chem.MolFromSmiles(text.strip())


@lru_cache(maxsize=50_000)
def standard_molecule(text: str) -> Any:
    """The molecule of ``text`` after ``STANDARDISATION`` (None when unreadable); a molecule the
    standardiser cannot handle is kept as parsed."""
    mol = parse_smiles(text)
    if mol is None:
        return None
    from rdkit.Chem.MolStandardize import rdMolStandardize

    try:
        clean = rdMolStandardize.Cleanup(mol)
        clean = rdMolStandardize.LargestFragmentChooser().choose(clean)
        return rdMolStandardize.Uncharger().uncharge(clean)
    except Exception:  # noqa: BLE001 - RDKit raises its own types for rare valence problems
        return mol


@lru_cache(maxsize=50_000)
def scaffold_of(text: str) -> str:
    """The Bemis–Murcko scaffold (ring systems and the chains joining them) as canonical SMILES:
    "" for acyclic molecules, and the text itself for one RDKit cannot read (its own group)."""
    mol = standard_molecule(text)
    if mol is None:
        return f"unreadable:{text}"
    from rdkit.Chem.Scaffolds import MurckoScaffold

    try:
        return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False)
    except Exception:  # noqa: BLE001
        return f"unreadable:{text}"


PARALLEL_FROM = 2_000  # molecules to work on: above this, both cores share the work


def on_both_cores(work: Callable[[list[str]], list[Any]], texts: list[str]) -> list[Any]:
    """``work(texts)``, split between two processes when there are many molecules (RDKit holds
    the GIL, so threads would not help), the results back in the order of ``texts``."""
    if len(texts) < PARALLEL_FROM:
        return work(texts)
    from joblib import Parallel, delayed

    parts = Parallel(n_jobs=2)(delayed(work)(texts[i::2]) for i in range(2))
    results: list[Any] = [None] * len(texts)
    for i, part in enumerate(parts):
        results[i::2] = part
    return results
