"""SD files (``.sdf``, ``.sdf.gz``) as tables: one row per molecule, its canonical SMILES in
``smiles`` (the column the molecule families read), its title line in ``name``, then every SD
property, numbers as numbers.

SD files from databases and vendors often hold a few records RDKit refuses (a valence it does
not accept, a broken block); those are left out and counted in one notice that names the first
few by record number, rather than stopping the whole file. RDKit is imported only here.
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Any

import pandas as pd

from manabu.base.errors import DataError, MissingExtraError
from manabu.base.i18n import Notice
from manabu.data.read.source import Source, first_line

SMILES = "smiles"
NAME = "name"
SHOWN = 5   # record numbers a notice lists before "… (+n)"


def read_sdf(path: Path, src: Source) -> pd.DataFrame:
    """The molecules of the SD file at ``path``, one row each (see the module's docstring)."""
    chem = _rdkit(src)
    rows, bad, total = _records(path, src, chem)
    if not rows and (total == 0 or not _has_molfile(path)):
        raise DataError("sdf.no_records", path=src.where)
    if not rows:
        raise DataError("sdf.none_readable", path=src.where, total=total, records=_numbers(bad))
    if bad:
        src.notices.append(Notice("sdf.skipped", {"path": src.where, "count": len(bad), "total": total,
                                                  "records": _numbers(bad)}))
    return _table(rows, src)


def _numbers(records: list[int]) -> str:
    shown = ", ".join(str(r) for r in records[:SHOWN])
    return shown + (f", … (+{len(records) - SHOWN})" if len(records) > SHOWN else "")


def _rdkit(src: Source) -> Any:
    try:
        from rdkit import Chem
    except ImportError:
        raise MissingExtraError("sdf.missing_rdkit", path=src.where) from None
    return Chem


def _records(path: Path, src: Source, chem: Any) -> tuple[list[dict[str, Any]], list[int], int]:
    """Each readable molecule as a row, the record numbers (from 1) of the others, and the count."""
    from rdkit import RDLogger

    rows: list[dict[str, Any]] = []
    bad: list[int] = []
    total = 0
    RDLogger.DisableLog("rdApp.*")  # the records refused are said once, in the notice
    try:
        with _open(path) as fh:
            for total, mol in enumerate(chem.ForwardSDMolSupplier(fh), start=1):
                row = _row(mol, chem)
                if row is None:
                    bad.append(total)
                else:
                    rows.append(row)
    except (OSError, EOFError, zlib.error, SystemError) as exc:  # a damaged or cut gzip stream, an
        # unreadable file; RDKit's stream wraps the reader's error in a SystemError
        cause = exc.__cause__ if isinstance(exc, SystemError) and exc.__cause__ else exc
        raise DataError("data.corrupt", path=src.where, format="SDF", reason=first_line(cause)) from None
    finally:
        RDLogger.EnableLog("rdApp.*")
    return rows, bad, total


def _open(path: Path) -> Any:
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def _has_molfile(path: Path) -> bool:
    """Whether the file's beginning holds a molfile block's end ("M  END"): a file without one
    is no SD file at all, rather than one of molecules RDKit refuses."""
    try:
        with _open(path) as fh:
            return b"M  END" in fh.read(1 << 20)
    except (OSError, EOFError, zlib.error):
        return True


def _row(mol: Any, chem: Any) -> dict[str, Any] | None:
    if mol is None:
        return None
    try:
        smiles = chem.MolToSmiles(mol)
    except Exception:  # RDKit's own RuntimeError kinds; the record is counted as unreadable
        return None
    row: dict[str, Any] = {SMILES: smiles}
    if mol.HasProp("_Name"):
        row[NAME] = mol.GetProp("_Name").strip()
    for prop in mol.GetPropNames():  # the SD properties; RDKit's private ones start with "_"
        row[f"sd:{prop}"] = mol.GetProp(prop)
    return row


def _table(rows: list[dict[str, Any]], src: Source) -> pd.DataFrame:
    """The rows as columns: smiles, name (when any molecule has one), then the properties in the
    order first met; a property named like our own columns gets an ``sd_`` prefix (with a notice)."""
    frame = pd.DataFrame.from_records(rows)
    if NAME in frame and not frame[NAME].fillna("").astype(bool).any():
        frame = frame.drop(columns=[NAME])
    names, renamed = {}, []
    for column in frame.columns:
        if not column.startswith("sd:"):
            continue
        prop = column[3:].strip() or "property"
        new = f"sd_{prop}" if prop in (SMILES, NAME) else prop
        while new in frame.columns or new in names.values():
            new = f"sd_{new}"
        if new != prop:
            renamed.append(f'"{prop}" → "{new}"')
        names[column] = new
        frame[column] = _typed(frame[column])
    if renamed:
        src.notices.append(Notice("sdf.renamed", {"path": src.where, "names": ", ".join(renamed)}))
    return frame.rename(columns=names)


def _typed(values: pd.Series) -> pd.Series:
    """A property as numbers when every value present is one, else as text; empty is missing."""
    text = values.where(values.isna(), values.astype(str).str.strip())
    text = text.mask(text == "")
    parsed = pd.to_numeric(text, errors="coerce")
    if parsed.notna().sum() == text.notna().sum() and text.notna().any():
        return parsed
    return text.astype(object)
