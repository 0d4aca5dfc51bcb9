"""Expression data as a table of cells (rows) × genes (columns): AnnData files (``.h5ad``) and
10x folders (``matrix.mtx`` with its barcodes and genes). Wide tables of genes are turned the
right way round in ``wide``.

The cell annotations (AnnData's ``obs``, or a sample sheet beside a 10x matrix) come first, so
that ``--target bulk_labels`` trains through the ordinary path and a misspelt target's message
lists them before the genes. What the later preparation needs to know (which columns are genes,
whether they are raw counts) travels in ``df.attrs["manabu_expression"]``.

A sparse matrix stays sparse: its genes are one column of the frame (``data.gene_matrix``), made
dense only by the genes' preparation once it has kept the few thousand that vary
(``features.expression``). A dense matrix gives a column per gene.
"""
from __future__ import annotations

import gzip
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from manabu.base.errors import DataError, MissingExtraError
from manabu.base.i18n import Notice
from manabu.data.gene_matrix import GENES_COLUMN, GeneMatrixArray
from manabu.data.read.delimited import read_csv
from manabu.data.read.encoding import decode
from manabu.data.read.source import Source, first_line, preview

EXPRESSION = "manabu_expression"
BLOCK_CELLS = 1 << 22            # values a check looks at in one go
SHOWN = 5                        # names an error or a notice lists before "… (+n)"
SHEET_NAMES = ("obs", "cells", "metadata", "samples", "sample_sheet")


class GeneNames(tuple):
    """The gene columns, as kept in ``df.attrs``. pandas deep-copies ``attrs`` each time it hands
    out a column; a tuple that copies as itself keeps that free for 30,000 names."""

    def __copy__(self) -> "GeneNames":
        return self

    def __deepcopy__(self, memo: dict) -> "GeneNames":
        return self


def expression_info(genes: list[str], counts: bool, source: str, sparse: bool = False,
                    density: float | None = None) -> dict[str, Any]:
    """What ``df.attrs["manabu_expression"]`` holds: the gene columns, whether they are raw counts
    (non-negative whole numbers), where they came from, whether they are one sparse gene-matrix
    column (``data.gene_matrix``), and the share of non-zero values where the input was sparse."""
    return {"genes": GeneNames(genes), "counts": bool(counts), "source": source,
            "sparse": bool(sparse), "density": density}


# ------------------------------------------------------------------------------------ h5ad

def read_h5ad(path: Path, src: Source) -> pd.DataFrame:
    """An AnnData file: ``X`` as the gene columns (``var_names``), ``obs`` as the first columns."""
    adata = _load_anndata(path, src)
    if adata.X is None or 0 in adata.shape:
        raise DataError("expression.no_matrix", path=src.where, cells=adata.n_obs, genes=adata.n_vars)
    genes = [str(g) for g in adata.var_names]
    return expression_frame(adata.X, genes, adata.obs, src, "h5ad")


def _load_anndata(path: Path, src: Source) -> Any:
    try:
        import anndata
    except ImportError:
        raise MissingExtraError("expression.missing_anndata", path=src.where) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "variable names are not unique": said below, as an error
            return anndata.read_h5ad(path)
    except Exception as exc:  # h5py and anndata raise many kinds on a damaged file; the cause is kept
        raise DataError("data.corrupt", path=src.where, format="AnnData (.h5ad)",
                        reason=first_line(exc)) from None


# -------------------------------------------------------------------------------- the frame

def expression_frame(matrix: Any, genes: list[str], obs: pd.DataFrame, src: Source, source: str,
                     sheet: str | None = None) -> pd.DataFrame:
    """Cells × genes (float32) after the annotations ``obs``, checked: one row of ``obs`` per
    cell, unique gene names, no negative counts; cells without any count are left out."""
    from scipy import sparse

    n_cells, n_genes = matrix.shape
    if len(obs) != n_cells:
        raise DataError("expression.cells_mismatch", path=src.where, sheet=sheet or "obs",
                        rows=len(obs), cells=n_cells)
    if len(genes) != n_genes:
        raise DataError("expression.genes_mismatch", path=src.where, rows=len(genes), genes=n_genes)
    check_genes(genes, src.where)
    is_sparse = sparse.issparse(matrix)
    matrix = sparse.csr_matrix(matrix) if is_sparse else np.asarray(matrix)
    counts = _counts(matrix, genes, src)
    keep = _expressed_cells(matrix, src)
    if keep is not None:
        matrix, obs = matrix[keep], obs.iloc[np.flatnonzero(keep)]
    if is_sparse:
        density = matrix.nnz / max(1, matrix.shape[0] * n_genes)
        annotations = _annotations(obs, [*genes, GENES_COLUMN], src)
        annotations[GENES_COLUMN] = GeneMatrixArray(matrix, genes)
        src.notices.append(Notice("expression.kept_sparse", {
            "path": src.where, "cells": matrix.shape[0], "genes": n_genes, "density": f"{density:.1%}",
            "column": GENES_COLUMN}))
        annotations.attrs[EXPRESSION] = expression_info(genes, counts, source, sparse=True, density=density)
        return annotations
    values = np.ascontiguousarray(matrix, dtype=np.float32)
    frame = pd.concat([_annotations(obs, genes, src), pd.DataFrame(values, columns=genes, copy=False)],
                      axis=1, copy=False)
    frame.attrs[EXPRESSION] = expression_info(genes, counts, source)
    return frame


def check_genes(genes: list[str], where: str) -> None:
    """Gene names that repeat stop reading: a model could not tell the columns apart."""
    seen = pd.Index(genes)
    if not seen.is_unique:
        repeated = seen[seen.duplicated()].unique().tolist()
        raise DataError("expression.duplicate_genes", path=where, count=len(repeated),
                        names=preview(repeated, SHOWN))


def _counts(matrix: Any, genes: list[str], src: Source) -> bool:
    """Whether the values are raw counts: whole numbers, none negative. A matrix stored as
    integers says it holds counts, so a negative value there is an error."""
    if np.issubdtype(matrix.dtype, np.integer):
        negative = sum(int((block < 0).sum()) for block in _blocks(matrix))
        if negative:
            row, col = _first_negative(matrix)
            raise DataError("expression.negative_counts", path=src.where, count=negative,
                            cell=row + 1, gene=genes[col])
        return True
    return all(_whole_and_positive(block) for block in _blocks(matrix))


def _whole_and_positive(block: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):  # NaN is neither, so a matrix with gaps is not counts
        return bool(np.all(block >= 0) and np.array_equal(block, np.round(block)))


def _blocks(matrix: Any):
    """The stored values a few rows at a time (a sparse matrix's non-zeros at once), so that a
    check of a large dense matrix copies little."""
    if hasattr(matrix, "nnz"):
        yield matrix.data
        return
    step = max(1, BLOCK_CELLS // max(1, matrix.shape[1]))
    for start in range(0, matrix.shape[0], step):
        yield matrix[start:start + step]


def _first_negative(matrix: Any) -> tuple[int, int]:
    if hasattr(matrix, "nnz"):
        rows, cols = (matrix < 0).nonzero()
    else:
        rows, cols = np.nonzero(matrix < 0)
    return int(rows[0]), int(cols[0])


def _expressed_cells(matrix: Any, src: Source) -> np.ndarray | None:
    """The cells with at least one non-zero value, or None when all are; the others are left
    out with one notice (an empty droplet teaches nothing and breaks normalisation)."""
    if hasattr(matrix, "nnz"):
        matrix.eliminate_zeros()
        keep = np.diff(matrix.indptr) > 0
    else:
        keep = np.concatenate([np.any(block != 0, axis=1) for block in _blocks(matrix)])
    dropped = int((~keep).sum())
    if dropped == 0:
        return None
    if dropped == len(keep):
        raise DataError("expression.all_zero", path=src.where, cells=len(keep))
    src.notices.append(Notice("expression.zero_cells", {"path": src.where, "count": dropped, "total": len(keep)}))
    return keep


def _annotations(obs: pd.DataFrame, genes: list[str], src: Source) -> pd.DataFrame:
    """The cell annotations as plain columns (categories as text); one named as a gene is
    renamed ``obs_<name>`` (both are kept) with a notice."""
    frame = pd.DataFrame(index=pd.RangeIndex(len(obs)))
    gene_names = frozenset(genes)
    taken = set(gene_names) | {str(c) for c in obs.columns}
    renamed = []
    for name, column in obs.items():
        label = str(name)
        if label in gene_names:
            new = _free_name(f"obs_{label}", taken)
            taken.add(new)
            renamed.append(f'"{label}" → "{new}"')
            label = new
        values = column.to_numpy()
        if isinstance(column.dtype, pd.CategoricalDtype):
            values = column.astype(object).where(column.notna(), None).to_numpy()
        frame[label] = values
    if renamed:
        src.notices.append(Notice("expression.obs_renamed", {
            "path": src.where, "count": len(renamed), "names": ", ".join(renamed[:SHOWN])}))
    return frame


def _free_name(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


# ------------------------------------------------------------------------------ 10x folders

def tenx_files(folder: Path) -> dict[str, Path] | None:
    """The files of a 10x folder (``matrix.mtx``, ``barcodes.tsv``, ``features.tsv`` or
    ``genes.tsv``, each gzipped or not, with one common prefix such as ``GSM123_``), or None."""
    try:
        names = {p.name: p for p in folder.iterdir() if p.is_file()}
    except OSError:
        return None
    for name in sorted(names):
        for end in ("matrix.mtx", "matrix.mtx.gz"):
            if name.endswith(end):
                found = _companions(names, name[: -len(end)])
                if found is not None:
                    return {"matrix": names[name], **found}
    return None


def _companions(names: dict[str, Path], prefix: str) -> dict[str, Path] | None:
    pick = {}
    for role, stems in (("barcodes", ("barcodes",)), ("features", ("features", "genes"))):
        options = [prefix + s + ext for s in stems for ext in (".tsv", ".tsv.gz")]
        present = [names[o] for o in options if o in names]
        if not present:
            return None
        pick[role] = present[0]
    return pick


def read_10x(folder: Path, src: Source) -> pd.DataFrame:
    """A 10x folder: the matrix (genes × cells in the file) turned to cells × genes; gene symbols
    as names (made unique with their IDs where they repeat); only "Gene Expression" features
    where the file lists other kinds; a sample sheet in the folder as the first columns."""
    files = tenx_files(folder)
    if files is None:
        raise DataError("expression.not_10x", path=src.where)
    matrix = _read_mtx(files["matrix"], src)
    genes, keep = _features(files["features"], src)
    barcodes = _table(files["barcodes"], src).iloc[:, 0].astype(str).tolist()
    if matrix.shape[0] != len(keep):
        raise DataError("expression.genes_mismatch", path=str(files["features"]), rows=len(keep),
                        genes=matrix.shape[0])
    if matrix.shape[1] != len(barcodes):
        raise DataError("expression.cells_mismatch", path=src.where, sheet=files["barcodes"].name,
                        rows=len(barcodes), cells=matrix.shape[1])
    matrix = matrix.tocsr()[keep].T.tocsr() if not keep.all() else matrix.T.tocsr()
    obs, sheet = _sample_sheet(folder, barcodes, src)
    return expression_frame(matrix, genes, obs, src, "10x", sheet)


def _open(path: Path) -> Any:
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def _read_mtx(path: Path, src: Source) -> Any:
    from scipy import io, sparse

    try:
        with _open(path) as fh:
            matrix = io.mmread(fh)
    except Exception as exc:  # scipy, gzip and the parser raise many kinds; the cause is kept
        raise DataError("data.corrupt", path=str(path), format="Matrix Market (.mtx)",
                        reason=first_line(exc)) from None
    return sparse.coo_matrix(matrix)


def _table(path: Path, src: Source, header: bool = False) -> pd.DataFrame:
    """A small tab-separated file of the folder (gzipped or not), as text."""
    try:
        return pd.read_csv(path, sep="\t", header=0 if header else None, dtype=str,
                           compression="gzip" if path.name.endswith(".gz") else None,
                           keep_default_na=False)
    except Exception as exc:  # as in _read_mtx
        raise DataError("data.corrupt", path=str(path), format="TSV", reason=first_line(exc)) from None


def _features(path: Path, src: Source) -> tuple[list[str], np.ndarray]:
    """Gene names (the symbol column where there is one) and which rows are genes."""
    table = _table(path, src)
    keep = np.ones(len(table), dtype=bool)
    if table.shape[1] >= 3:
        kinds = table.iloc[:, 2]
        genes_only = (kinds == "Gene Expression").to_numpy()
        if genes_only.any() and not genes_only.all():
            keep = genes_only
            src.notices.append(Notice("expression.features_dropped", {
                "path": src.where, "count": int((~keep).sum()), "types": preview(sorted(set(kinds[~keep])), SHOWN)}))
    ids = table.iloc[:, 0].to_numpy()[keep]
    if table.shape[1] < 2:
        return [str(i) for i in ids], keep
    symbols = pd.Series(table.iloc[:, 1].to_numpy()[keep])
    repeated = symbols.duplicated(keep=False).to_numpy()
    if repeated.any() and pd.Index(ids).is_unique:
        names = [f"{s}_{i}" if r else str(s) for s, i, r in zip(symbols, ids, repeated)]
        src.notices.append(Notice("expression.genes_renamed", {
            "path": src.where, "count": int(symbols[repeated].nunique()),
            "names": preview(symbols[repeated].unique().tolist(), SHOWN)}))
        return names, keep
    return [str(s) for s in symbols], keep


def _sample_sheet(folder: Path, barcodes: list[str], src: Source) -> tuple[pd.DataFrame, str | None]:
    """The sample sheet beside the matrix (``obs.csv``, ``cells.tsv``, ``metadata.csv`` …), one
    row per cell, matched by a column of barcodes or else by position; none gives no columns."""
    path = next((folder / f"{stem}{ext}" for stem in SHEET_NAMES for ext in (".csv", ".tsv")
                 if (folder / f"{stem}{ext}").is_file()), None)
    if path is None:
        return pd.DataFrame(index=pd.RangeIndex(len(barcodes))), None
    sheet_src = Source(str(path), {})
    sheet = read_csv(decode(path.read_bytes(), sheet_src, None), sheet_src, "\t" if path.suffix == ".tsv" else None)
    key = _barcode_column(sheet, barcodes)
    if key is None:
        if len(sheet) != len(barcodes):
            raise DataError("expression.cells_mismatch", path=src.where, sheet=path.name,
                            rows=len(sheet), cells=len(barcodes))
        src.notices.append(Notice("expression.sheet_by_position", {"path": src.where, "sheet": path.name}))
        return sheet, path.name
    by_code = sheet.drop(columns=[key]).set_index(sheet[key].astype(str))
    missing = [b for b in barcodes if b not in by_code.index]
    if missing:
        raise DataError("expression.sheet_missing_cells", path=src.where, sheet=path.name,
                        count=len(missing), names=preview(missing, SHOWN))
    if not by_code.index.is_unique:
        twice = by_code.index[by_code.index.duplicated()].unique().tolist()
        raise DataError("expression.sheet_duplicate_cells", path=src.where, sheet=path.name,
                        count=len(twice), names=preview(twice, SHOWN))
    return by_code.loc[barcodes].reset_index(drop=True), path.name


def _barcode_column(sheet: pd.DataFrame, barcodes: list[str]) -> str | None:
    """The sheet's column that holds most of the cells' barcodes, if any does."""
    codes = set(barcodes)
    for name in sheet.columns:
        values = sheet[name].astype(str)
        if values.isin(codes).mean() >= 0.5:
            return name
    return None
