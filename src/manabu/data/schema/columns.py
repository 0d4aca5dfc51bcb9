"""The column model: what a column is (its ``ColumnType``) and what it is for (its ``Role``).

Apart from the code that infers and prepares columns because most of manabu (features, models,
serving, export) needs only these few classes, and reads them from saved schemas.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any


class ColumnType(StrEnum):
    NUMERIC = "numeric"
    BOOLEAN = "boolean"
    CATEGORICAL = "categorical"            # low cardinality: one-hot / native categorical
    HIGH_CARDINALITY = "high_cardinality"  # categorical with many levels: target encoding
    DATETIME = "datetime"
    TEXT = "text"
    ID = "id"
    CONSTANT = "constant"
    IMAGE = "image"                        # paths of image files (absolute once read): the model decodes them
    SMILES = "smiles"                      # molecules written as SMILES: featurised by RDKit (features.molecules)


class Role(StrEnum):
    FEATURE = "feature"
    TARGET = "target"
    DROPPED = "dropped"
    GROUP = "group"  # used only to split folds (--group)
    TIME = "time"    # used only to order folds (--time); kept out of the features


@dataclass
class Column:
    name: str
    type: ColumnType
    role: Role
    n_missing: int = 0
    n_unique: int = 0
    categories: list[Any] | None = None   # CATEGORICAL/BOOLEAN: the levels seen in training
    datetime_format: str | None = None    # DATETIME parsed from text: the strptime format
    true_values: list[Any] | None = None  # BOOLEAN from text: the values read as True
    leakage: bool = False                 # equals or nearly equals the target
    false_values: list[Any] | None = None  # BOOLEAN from text: the values read as False
    n_inf: int = 0                        # NUMERIC: ±inf values (prepared as missing)
    language: str | None = None           # TEXT: "ja", "en" or "mixed"
    tokenizer: str | None = None          # TEXT: the word analyser chosen for training (tokenize)
    block: str | None = None              # NUMERIC: the matrix it belongs to ("expression": a gene), prepared as a whole
    n_genes: int = 0                      # a sparse gene matrix (one column, ``data.gene_matrix``): its genes

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["type"], d["role"] = self.type.value, self.role.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Column":
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in known}
        kwargs["type"], kwargs["role"] = ColumnType(d["type"]), Role(d["role"])
        return cls(**kwargs)
