"""SD files read as tables: one row per molecule, its SMILES, its name, its properties (numbers as
numbers); records RDKit refuses counted and named by number in one notice."""
from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pytest

from manabu.base.errors import MissingExtraError
from manabu.data.read import read
from tests.data.test_read import data_error, notice_keys

Chem = pytest.importorskip("rdkit.Chem")

MOLECULES = [("ethanol", "CCO", {"MW": "46.07", "activity": "1", "label": "active"}),
             ("benzene", "c1ccccc1", {"MW": "78.11", "activity": "0", "label": "inactive"}),
             ("acetic acid", "CC(=O)O", {"MW": "60.05", "label": "active"})]
BAD_VALENCE = "C(C)(C)(C)(C)C"   # a carbon with five bonds: RDKit refuses it when it sanitises


def sd_text(molecules=MOLECULES, bad_at: tuple[int, ...] = ()) -> str:
    """An SD file of ``molecules``, with a refused record placed before each index in ``bad_at``."""
    blocks = []
    for i, (name, smiles, props) in enumerate(molecules):
        if i in bad_at:
            blocks.append(_block("broken", Chem.MolFromSmiles(BAD_VALENCE, sanitize=False), {"MW": "1"}))
        blocks.append(_block(name, Chem.MolFromSmiles(smiles), props))
    return "".join(blocks)


def _block(name: str, mol, props: dict[str, str]) -> str:
    mol.SetProp("_Name", name)
    lines = [Chem.MolToMolBlock(mol, kekulize=False)]
    lines += [f">  <{key}>\n{value}\n\n" for key, value in props.items()]
    return "".join(lines) + "$$$$\n"


def test_sdf_reads_one_row_per_molecule(tmp_path):
    path = tmp_path / "m.sdf"
    path.write_text(sd_text())
    df = read(path)
    assert list(df.columns) == ["smiles", "name", "MW", "activity", "label"]
    assert df["smiles"].tolist() == [Chem.CanonSmiles(s) for _, s, _ in MOLECULES]
    assert df["name"].tolist() == ["ethanol", "benzene", "acetic acid"]
    assert df["MW"].dtype.kind == "f" and df["activity"].tolist()[:2] == [1, 0] and df["activity"].isna()[2]
    assert df["label"].tolist() == ["active", "inactive", "active"]
    assert notice_keys(df) == [] and df.attrs["manabu_source"]["format"] == "sdf"


def test_gzipped_sdf_reads_the_same(tmp_path):
    plain, packed = tmp_path / "m.sdf", tmp_path / "m.sdf.gz"
    plain.write_text(sd_text())
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert read(packed).equals(read(plain))
    cut = tmp_path / "cut.sdf.gz"
    cut.write_bytes(packed.read_bytes()[:40])
    data_error("data.corrupt", read, cut)


def test_refused_records_are_counted_and_named(tmp_path):
    path = tmp_path / "m.sdf"
    path.write_text(sd_text(bad_at=(0, 2)))
    df = read(path)
    assert df["name"].tolist() == ["ethanol", "benzene", "acetic acid"]
    assert notice_keys(df) == ["sdf.skipped"]
    text = str(df.attrs["manabu_notices"][0])
    assert "2 of the 5 records" in text and "record(s) 1, 4" in text


def test_a_file_without_readable_molecules(tmp_path):
    path = tmp_path / "bad.sdf"
    path.write_text(_block("x", Chem.MolFromSmiles(BAD_VALENCE, sanitize=False), {}) * 2)
    error = data_error("sdf.none_readable", read, path)
    assert "record(s) 1, 2" in str(error)
    empty = tmp_path / "empty.sdf"
    empty.write_text("\n")
    data_error("sdf.no_records", read, empty)


def test_a_property_named_as_our_columns_is_renamed(tmp_path):
    path = tmp_path / "m.sdf"
    path.write_text(sd_text([("x", "CCO", {"smiles": "OCC", "name": "eth"})]))
    df = read(path)
    assert list(df.columns) == ["smiles", "name", "sd_smiles", "sd_name"]
    assert notice_keys(df) == ["sdf.renamed"]


def test_molecules_without_names_give_no_name_column(tmp_path):
    path = tmp_path / "m.sdf"
    path.write_text(sd_text([("", "CCO", {"y": "1.5"}), ("", "CCN", {"y": "2"})]))
    assert list(read(path).columns) == ["smiles", "y"]


def test_without_rdkit_the_message_names_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "m.sdf"
    path.write_text(sd_text())
    for name in [m for m in sys.modules if m == "rdkit" or m.startswith("rdkit.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "rdkit", None)
    with pytest.raises(MissingExtraError) as info:
        read(path)
    assert info.value.key == "sdf.missing_rdkit" and 'manabu[chem]' in str(info.value)


def test_a_file_named_sdf_path_is_supported(tmp_path):
    assert "SDF" in str(data_error("data.unknown_format", read, _touch(tmp_path / "m.mol")))


def _touch(path: Path) -> Path:
    path.write_text("x\n")
    return path
