"""Preprocessing settings searched beside a family's own hyperparameters.

Some data bring choices of their own that no family owns: a molecule's fingerprint radius and
size matter to every family that reads fingerprints, and how many genes of an expression matrix
are kept, scaled or reduced to components, to every family that reads genes. They join each such family's search space
when the data has that kind of column, travel in the candidate's parameters like any other,
and are handed to the preprocessing rather than to the estimator (``split_feature_params``).
"""
from __future__ import annotations

from dataclasses import replace

from manabu.data.schema import ColumnType, Schema
from manabu.data.schema.blocks import EXPRESSION_BLOCK
from manabu.features.expression import COMPONENTS_OPTION, SCALE_OPTION, TOP_GENES_OPTION
from manabu.features.molecules import DESCRIPTORS_OPTION, RADIUS_OPTION, SIZE_OPTION
from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ModelEntry, Params
from manabu.models.space import Choice, Integer, Space

MOLECULE_SPACE: Space = {RADIUS_OPTION: Integer(1, 3), SIZE_OPTION: Choice((1024, 2048, 4096)),
                         DESCRIPTORS_OPTION: Choice((True, False))}
# genes kept (0: all), scaled or not, principal components (0: none)
EXPRESSION_SPACE: Space = {TOP_GENES_OPTION: Choice((500, 1000, 2000, 5000, 0)), SCALE_OPTION: Choice((True, False)),
                           COMPONENTS_OPTION: Choice((0, 20, 50))}
FEATURE_PARAMS = frozenset({*MOLECULE_SPACE, *EXPRESSION_SPACE})
# the kinds whose preprocessing computes these features (the graph network reads SMILES itself)
_READS_FEATURES = frozenset({PreprocessKind.TREE, PreprocessKind.LINEAR, PreprocessKind.TEXT,
                             PreprocessKind.TEXT_COUNTS, PreprocessKind.VECTORS})


def feature_space(schema: Schema) -> Space:
    """The settings the data's column types bring to the search."""
    space: Space = {}
    if schema.of_type(ColumnType.SMILES):
        space.update(MOLECULE_SPACE)
    if schema.in_block(EXPRESSION_BLOCK):
        space.update(EXPRESSION_SPACE)
    return space


def with_feature_space(entries: list[ModelEntry], schema: Schema) -> list[ModelEntry]:
    """Each family whose preprocessing computes such features, with the settings in its space
    (only for families that are searched at all: an empty space stays empty)."""
    extra = feature_space(schema)
    if not extra:
        return entries
    return [replace(entry, space={**entry.space, **extra}) if entry.space and entry.preprocess in _READS_FEATURES
            else entry for entry in entries]


def split_feature_params(params: Params) -> tuple[Params, Params]:
    """``(preprocessing settings, the estimator's own parameters)``."""
    return ({k: v for k, v in params.items() if k in FEATURE_PARAMS},
            {k: v for k, v in params.items() if k not in FEATURE_PARAMS})
