"""Preprocessing settings searched beside a family's own hyperparameters.

Some data bring choices of their own that no family owns: a molecule's fingerprint radius and
size matter to every family that reads fingerprints. They join each such family's search space
when the data has that kind of column, travel in the candidate's parameters like any other,
and are handed to the preprocessing rather than to the estimator (``split_feature_params``).
"""
from __future__ import annotations

from dataclasses import replace

from manabu.data.schema import ColumnType, Schema
from manabu.features.molecules import RADIUS_OPTION, SIZE_OPTION
from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ModelEntry, Params
from manabu.models.space import Choice, Integer, Space

FEATURE_SPACES: dict[ColumnType, Space] = {
    ColumnType.SMILES: {RADIUS_OPTION: Integer(1, 3), SIZE_OPTION: Choice((1024, 2048, 4096))},
}
FEATURE_PARAMS = frozenset(name for space in FEATURE_SPACES.values() for name in space)
# the kinds whose preprocessing computes these features (the graph network reads SMILES itself)
_READS_FEATURES = frozenset({PreprocessKind.TREE, PreprocessKind.LINEAR, PreprocessKind.TEXT,
                             PreprocessKind.TEXT_COUNTS, PreprocessKind.VECTORS})


def feature_space(schema: Schema) -> Space:
    """The settings the data's column types bring to the search."""
    space: Space = {}
    for column_type, settings in FEATURE_SPACES.items():
        if schema.of_type(column_type):
            space.update(settings)
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
