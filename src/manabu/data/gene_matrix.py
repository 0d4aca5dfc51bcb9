"""A sparse matrix of genes as one column of a table: each row holds one cell's genes.

Why not pandas' own sparse columns: they cost one Python object per gene, and taking 16,000 of
20,000 cells (a training fold) from 20,000 of them took 30 s here. One column backed by one
SciPy CSR matrix takes rows at SciPy's speed, so the folds, the refit and the predictions keep
the counts sparse from the file to the genes' preparation (``features.expression``), which is
where the few thousand genes kept become dense.

The column travels like any other through the search (``iloc``, ``concat``, hashing for the
data's fingerprint); the gene names travel with the matrix, and a matrix of other genes is
lined up by name (``aligned``). SciPy is imported only where a matrix is made: reading a table
that has none loads no more than pandas.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray, ExtensionDtype, register_extension_dtype

GENES_COLUMN = "genes"   # the column's name in a frame read from a sparse matrix


class GeneRow(np.ndarray):
    """One cell's genes (dense float32), shown by how many are expressed rather than as numbers."""

    def __repr__(self) -> str:
        return f"<{int(np.count_nonzero(self)):,} of {self.size:,} genes>"

    __str__ = __repr__


@register_extension_dtype
class GeneMatrixDtype(ExtensionDtype):
    """The dtype of a gene-matrix column; its values are one cell's genes (dense, float32)."""

    name = "gene_matrix"
    type = np.ndarray
    kind = "O"
    na_value = None

    @classmethod
    def construct_array_type(cls) -> type["GeneMatrixArray"]:
        return GeneMatrixArray


class GeneMatrixArray(ExtensionArray):
    """Cells (rows of a CSR matrix, float32) with their gene names. ``named_only``: the cells
    came as records that name only their expressed genes (a JSON request), so a gene they do not
    name is zero, not missing."""

    def __init__(self, matrix: Any, genes: Any, named_only: bool = False) -> None:
        from scipy import sparse

        self.matrix = sparse.csr_matrix(matrix, dtype=np.float32)
        self.genes = tuple(str(g) for g in genes)
        self.named_only = named_only
        if self.matrix.shape[1] != len(self.genes):
            raise ValueError(f"{self.matrix.shape[1]} gene columns but {len(self.genes)} gene names")

    @property
    def dtype(self) -> GeneMatrixDtype:
        return GeneMatrixDtype()

    @classmethod
    def from_records(cls, records: Any) -> "GeneMatrixArray":
        """Cells given as ``{gene: value}`` (None: a cell without any), genes left out being zero."""
        names: dict[str, int] = {}
        rows, columns, values = [], [], []
        for row, record in enumerate(records):
            for gene, value in (record or {}).items():
                rows.append(row)
                columns.append(names.setdefault(str(gene), len(names)))
                values.append(value)
        from scipy import sparse

        matrix = sparse.csr_matrix((np.asarray(values, dtype=np.float32), (rows, columns)),
                                   shape=(len(records), len(names)))
        return cls(matrix, list(names), named_only=True)

    def _like(self, matrix: Any) -> "GeneMatrixArray":
        return GeneMatrixArray(matrix, self.genes, self.named_only)

    @classmethod
    def _from_sequence(cls, scalars: Any, *, dtype: Any = None, copy: bool = False) -> "GeneMatrixArray":
        if isinstance(scalars, GeneMatrixArray):
            return scalars.copy() if copy else scalars
        rows = [np.asarray(s, dtype=np.float32).ravel() for s in scalars]
        width = len(rows[0]) if rows else 0
        from scipy import sparse

        return cls(sparse.csr_matrix(np.vstack(rows)) if rows else sparse.csr_matrix((0, width)),
                   [f"gene{i}" for i in range(width)])

    def __len__(self) -> int:
        return self.matrix.shape[0]

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, (int, np.integer)):
            return self.matrix[int(item)].toarray()[0].view(GeneRow)
        if isinstance(item, tuple):  # pandas' (rows, Ellipsis) or (rows,)
            item = item[0]
        if isinstance(item, slice):
            return self._like(self.matrix[item])
        index = np.asarray(item)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return self._like(self.matrix[index.astype(np.intp)])

    def isna(self) -> np.ndarray:
        return np.zeros(len(self), dtype=bool)

    def take(self, indices: Any, *, allow_fill: bool = False, fill_value: Any = None) -> "GeneMatrixArray":
        indices = np.asarray(indices, dtype=np.intp)
        if allow_fill and (indices < 0).any():
            raise ValueError("a gene matrix has no missing cells to fill rows with")
        return self._like(self.matrix[indices])

    def copy(self) -> "GeneMatrixArray":
        return self._like(self.matrix.copy())

    @classmethod
    def _concat_same_type(cls, to_concat: Any) -> "GeneMatrixArray":
        genes = to_concat[0].genes
        if any(part.genes != genes for part in to_concat):
            raise ValueError("gene matrices with different genes cannot be stacked; line them up first")
        from scipy import sparse

        return cls(sparse.vstack([part.matrix for part in to_concat], format="csr"), genes,
                   all(part.named_only for part in to_concat))

    @property
    def nbytes(self) -> int:
        return int(self.matrix.data.nbytes + self.matrix.indices.nbytes + self.matrix.indptr.nbytes)

    def __eq__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        if not isinstance(other, GeneMatrixArray) or len(other) != len(self) or other.genes != self.genes:
            return np.zeros(len(self), dtype=bool)
        differing = (self.matrix != other.matrix).tocsr()
        return np.diff(differing.indptr) == 0

    def _hash_pandas_object(self, *, encoding: str, hash_key: str, categorize: bool) -> np.ndarray:
        """One hash per cell from its non-zero values and their genes (the data's fingerprint)."""
        matrix = self.matrix.copy()
        matrix.sum_duplicates()
        cells = np.zeros(len(self), dtype=np.uint64)
        if matrix.nnz:
            values = matrix.data.view(np.uint32).astype(np.uint64) | (matrix.indices.astype(np.uint64) << np.uint64(32))
            hashed = pd.util.hash_array(values, hash_key=hash_key)
            rows = np.repeat(np.arange(len(self)), np.diff(matrix.indptr))
            np.add.at(cells, rows, hashed)
        return pd.util.hash_array(cells ^ pd.util.hash_array(np.diff(matrix.indptr).astype(np.uint64)),
                                  hash_key=hash_key)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = np.empty(len(self), dtype=object)
        for i in range(len(self)):
            out[i] = self[i]
        return out

    def _formatter(self, boxed: bool = False):
        return repr

    def aligned(self, genes: Any) -> tuple["GeneMatrixArray", list[str], list[str]]:
        """This matrix with the columns ``genes`` in that order; the genes of ``genes`` it lacks
        (zero here: whether that is an error is the caller's call, see ``named_only``), and the
        genes it has that ``genes`` lacks (left out)."""
        genes = [str(g) for g in genes]
        if tuple(genes) == self.genes:
            return self, [], []
        where = {g: i for i, g in enumerate(self.genes)}
        wanted = set(genes)
        missing = [g for g in genes if g not in where]
        unknown = [g for g in self.genes if g not in wanted]
        present = [i for i, g in enumerate(genes) if g in where]
        source = np.array([where[genes[i]] for i in present], dtype=np.intp)
        picked = self.matrix[:, source].tocoo()
        from scipy import sparse

        moved = sparse.csr_matrix((picked.data, (picked.row, np.asarray(present, dtype=np.intp)[picked.col])),
                                  shape=(len(self), len(genes)), dtype=np.float32)
        return GeneMatrixArray(moved, genes, self.named_only), missing, unknown


def gene_matrix(values: Any) -> GeneMatrixArray | None:
    """The gene matrix a column (or one-column frame) holds, or None."""
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            return None
        values = values.iloc[:, 0]
    array = values.array if isinstance(values, pd.Series) else values
    return array if isinstance(array, GeneMatrixArray) else None


def gene_names(genes: pd.DataFrame) -> list[str]:
    """The names of the genes a block of gene columns, or a gene-matrix column, holds."""
    matrix = gene_matrix(genes)
    return list(matrix.genes) if matrix is not None else [str(g) for g in genes.columns]


def is_gene_matrix(dtype: Any) -> bool:
    return isinstance(dtype, GeneMatrixDtype)


def column_count(frame: pd.DataFrame) -> int:
    """The columns of ``frame`` as a user counts them: a gene matrix's genes one each."""
    dtypes = frame.dtypes
    return sum(len(frame[c].array.genes) if is_gene_matrix(dtypes[c]) else 1 for c in frame.columns)


def without_gene_matrices(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its gene-matrix columns: for a CSV file, which cannot hold one."""
    dtypes = frame.dtypes
    matrices = [c for c in frame.columns if is_gene_matrix(dtypes[c])]
    return frame.drop(columns=matrices) if matrices else frame
