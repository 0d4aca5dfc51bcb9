"""Columns that form one matrix: the genes of an expression table.

Twenty thousand gene columns are not twenty thousand independent features to be typed, checked
for leakage and scaled one by one: they are one measurement per cell, prepared as a whole
(normalised per cell, the variable genes kept, scaled, reduced: ``features.expression``). So the
schema marks them (``Column.block``) and skips the per-column work, which on 5,000 cells took
most of a minute, and mostly said nothing (a gene that tells the classes apart is a marker, not a
leak).

The genes are those the reader found (``df.attrs["manabu_expression"]``); a frame that lost its
attributes on the way (a user's own DataFrame, a copy) is recognised by its column names, as the
wide-table reader does. A sparse matrix is one column of its own dtype (``data.gene_matrix``):
the block is that column.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from manabu.data.gene_matrix import gene_matrix, is_gene_matrix
from manabu.data.read.expression import EXPRESSION
from manabu.data.read.wide import MIN_GENES, gene_columns
from manabu.data.schema.columns import Column, ColumnType, Role
from manabu.data.schema.inference import BLOCK_CELLS, plain_number

EXPRESSION_BLOCK = "expression"


def expression_genes(df: pd.DataFrame, exclude: set[str]) -> list[str]:
    """The frame's gene columns (numbers only, none of ``exclude``: the target, group and time),
    or its gene-matrix column."""
    dtypes = df.dtypes
    matrices = [c for c in df.columns if is_gene_matrix(dtypes[c]) and c not in exclude]
    if matrices:
        return matrices[:1]
    info = df.attrs.get(EXPRESSION)
    if info and info.get("genes"):
        present = set(df.columns)
        names = [g for g in info["genes"] if g in present]
    else:
        names = [c for c in df.columns if isinstance(c, str) and plain_number(dtypes[c])]
        if len(names) < MIN_GENES:
            return []
        names = gene_columns(names)
    return [g for g in names if g not in exclude and plain_number(dtypes[g])]


def gene_block_columns(df: pd.DataFrame, genes: list[str]) -> dict[str, Column]:
    """A NUMERIC feature column per gene, counted (missing and infinite values) a block at a time."""
    out: dict[str, Column] = {}
    matrix = gene_matrix(df[genes[0]]) if len(genes) == 1 else None
    if matrix is not None:
        data = matrix.matrix.data
        return {genes[0]: Column(genes[0], ColumnType.NUMERIC, Role.FEATURE, n_missing=int(np.isnan(data).sum()),
                                 n_inf=int(np.isinf(data).sum()), block=EXPRESSION_BLOCK,
                                 n_genes=len(matrix.genes))}
    step = max(1, BLOCK_CELLS // max(len(df), 1))
    for start in range(0, len(genes), step):
        names = genes[start:start + step]
        values = df[names].to_numpy(dtype=np.float32, na_value=np.nan)
        missing, infinite = np.isnan(values).sum(axis=0), np.isinf(values).sum(axis=0)
        for name, n_missing, n_inf in zip(names, missing, infinite):
            out[name] = Column(name, ColumnType.NUMERIC, Role.FEATURE, n_missing=int(n_missing),
                               n_inf=int(n_inf), block=EXPRESSION_BLOCK)
    return out
