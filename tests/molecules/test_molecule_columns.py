"""A column of SMILES is recognised, and read the same whatever salt or charge it is drawn with."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from manabu.data.molecules import scaffold_of, written_like_smiles
from manabu.data.schema import ColumnType, infer_schema
from manabu.features.molecules import MoleculeFeatures
from tests.molecules.conftest import molecule_frame


def test_a_smiles_column_is_typed_smiles_and_shown_so():
    schema = infer_schema(molecule_frame(), "logp")
    assert schema.column("smiles").type is ColumnType.SMILES


@pytest.mark.parametrize("values", [
    ["C", "N", "S"] * 20,                                       # a port of embarkation
    [f"{a}{b}{c}" for a in "CNOP" for b in "COS" for c in "NCP"] * 2,  # codes that happen to parse
    ["the cat sat", "a dog (big)", "x = 1"] * 10,               # words
])
def test_categories_codes_and_words_are_not_molecules(values):
    frame = pd.DataFrame({"x": values, "y": np.arange(len(values)) % 2})
    assert infer_schema(frame, "y").column("x").type is not ColumnType.SMILES
    assert not written_like_smiles(list(dict.fromkeys(values)))


def test_unreadable_smiles_are_counted_and_named_in_one_notice():
    frame = molecule_frame()
    frame.loc[[3, 7, 11], "smiles"] = ["C1CC(", "c1cccc1X", "C(C)(C)(C)(C)C"]
    schema = infer_schema(frame, "logp")
    assert schema.column("smiles").type is ColumnType.SMILES
    notice = next(n for n in schema.notices if n.key == "molecules.unreadable_smiles")
    assert notice.params["n"] == 3 and "C1CC(" in notice.params["examples"]


def test_salts_and_charges_are_standardised_before_the_features():
    features = MoleculeFeatures(size=512).fit(None)
    rows = features.transform(np.array([["CC(=O)O"], ["CC(=O)[O-].[Na+]"], ["CC(=O)O.Cl"], ["not a molecule"]],
                                        dtype=object))
    assert rows.shape == (4, len(features.get_feature_names_out()))
    assert np.array_equal(rows[0], rows[1]) and np.array_equal(rows[0], rows[2])
    assert np.isnan(rows[3]).all() and not np.isnan(rows[0, :512]).any()


def test_fingerprint_settings_change_the_columns():
    small = MoleculeFeatures(radius=1, size=1024, descriptors=False, maccs=False).fit(None)
    large = MoleculeFeatures(radius=3, size=4096, descriptors=False, maccs=False).fit(None)
    column = np.array([["c1ccccc1CCO"]], dtype=object)
    assert small.transform(column).shape == (1, 1024) and large.transform(column).shape == (1, 4096)
    assert large.transform(column).sum() > small.transform(column).sum()  # more, larger substructures


def test_scaffolds_group_molecules_by_their_ring_systems():
    assert scaffold_of("CCc1ccccc1O") == scaffold_of("c1ccccc1C(=O)O") == "c1ccccc1"
    assert scaffold_of("CCCO") == ""
    assert scaffold_of("C1CC(") != scaffold_of("C1CC(C")  # each unreadable one is its own group


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_manabu_info_shows_a_smiles_column_as_smiles(tmp_path, lang):
    from tests.cli.conftest import Cli

    path = tmp_path / "molecules.csv"
    molecule_frame().to_csv(path, index=False)
    result = Cli()("info", path, "--target", "logp", "--lang", lang)
    assert result.exit_code == 0, result.output
    assert any(line.split("│")[2].strip().startswith("smiles") for line in result.output.splitlines()
               if line.startswith("│ smiles"))
