"""Wide tables of expression (CSV, Parquet): samples as rows with a column per gene, or genes as
rows with a column per sample, which is turned so that each sample is a row.

Only a table that clearly holds expression is touched: hundreds of numeric columns named like
genes, or hundreds of rows named so whose other columns are numbers measured alike (many more
genes than samples). Names count as genes when nine in ten are gene symbols (HES4, CD3E, Sox2),
Ensembl IDs or microarray probes (1007_s_at) and the symbols are diverse and mostly in capitals
or with digits, so that ``X1 … X900``, product codes and city names are not genes. Every other
table passes unchanged.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from manabu.base.i18n import Notice
from manabu.data.read.expression import EXPRESSION, SHOWN, check_genes, expression_info
from manabu.data.read.source import Source, preview

MIN_GENES = 500         # fewer columns or rows than this is an ordinary table
GENE_SHARE = 0.9        # share of names that must look like genes
STEM_SHARE = 0.3        # distinct symbols once digits are masked, per symbol (HES4 and HES5 are one)
MARKED_SHARE = 0.4      # symbols in capitals or with a digit (HES4, Sox2), per symbol: Tokyo is no gene
GENES_PER_SAMPLE = 5    # a table of genes as rows has at least this many rows per sample column
MAX_ANNOTATIONS = 20    # rows among the genes that describe the samples (text, or not named as genes)
SCALE_RATIO = 100.0     # the samples of one matrix are measured alike: mean sizes within this ratio
LOOKED_AT = 2000        # names judged, spread evenly over the table
BLOCK = 512             # columns checked at a time, so that a check copies little

_ENSEMBL = re.compile(r"ENS[A-Z]*[GT]\d{6,}(?:\.\d+)?")
_PROBE = re.compile(r"[\w./\-]+_(?:at|st)")
_SYMBOL = re.compile(r"[A-Z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*")
_DIGITS = re.compile(r"\d+")
_HEAD = re.compile(r"[A-Za-z]{1,5}[_:]")


def gene_kind(name: Any) -> str | None:
    """"id" for an Ensembl ID or a probe, "symbol" for a gene symbol, None for anything else."""
    if not isinstance(name, str) or not 1 < len(name) <= 30:
        return None
    if _ENSEMBL.fullmatch(name) or _PROBE.fullmatch(name):
        return "id"
    return "symbol" if _SYMBOL.fullmatch(name) else None


def gene_like(names: list[Any]) -> bool:
    """Whether most of ``names`` (a sample of them) are genes, the symbols among them diverse."""
    sample = names[:: max(1, len(names) // LOOKED_AT)]
    kinds = [gene_kind(n) for n in sample]
    symbols = [n for n, k in zip(sample, kinds) if k == "symbol"]
    if not sample or len(symbols) + kinds.count("id") < GENE_SHARE * len(sample):
        return False
    if len(symbols) < len(sample) / 2:
        return True
    stems = {_DIGITS.sub("#", n) for n in symbols}
    marked = sum(1 for n in symbols if n.isupper() or _DIGITS.search(n))  # HES4, Sox2; not Tokyo
    return len(stems) >= STEM_SHARE * len(symbols) and marked >= MARKED_SHARE * len(symbols)


def gene_columns(names: list[Any]) -> list[Any]:
    """The names that are genes when ``names`` are gene-like, else none. A short prefix that nine
    in ten names share ("g_HES4", "gene:CD3E") is looked past."""
    heads = Counter(m.group(0) for n in names if isinstance(n, str) and (m := _HEAD.match(n)))
    head, shared = heads.most_common(1)[0] if heads else ("", 0)
    prefix = head if shared >= GENE_SHARE * len(names) else ""
    bare = [n[len(prefix):] if isinstance(n, str) and n.startswith(prefix) else n for n in names]
    if not gene_like(bare):
        return []
    return [n for n, b in zip(names, bare) if gene_kind(b)]


def orient_wide_table(df: pd.DataFrame, src: Source) -> pd.DataFrame:
    """``df`` with samples as rows and its gene columns named in ``df.attrs["manabu_expression"]``
    when it clearly holds expression (with a notice saying which way it was found); else ``df``."""
    rows, columns = df.shape
    if columns >= MIN_GENES:
        return _samples_as_rows(df, src)
    if rows >= MIN_GENES and columns >= 3 and rows >= GENES_PER_SAMPLE * (columns - 1):
        turned = _genes_as_rows(df, src)
        if turned is not None:
            return turned
    return df


def _number(dtype: Any) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _samples_as_rows(df: pd.DataFrame, src: Source) -> pd.DataFrame:
    numeric = [c for c, dtype in df.dtypes.items() if _number(dtype) and isinstance(c, str)]
    genes = gene_columns(numeric) if len(numeric) >= MIN_GENES else []
    if not genes:
        return df
    df = _expressed_rows(df, genes, src)
    df.attrs[EXPRESSION] = expression_info(genes, _counts(df, genes), "table")
    src.notices.append(Notice("expression.samples_as_rows", {
        "path": src.where, "samples": len(df), "genes": len(genes)}))
    return df


def _genes_as_rows(df: pd.DataFrame, src: Source) -> pd.DataFrame | None:
    """The table turned (samples as rows), or None when it does not hold genes as rows."""
    names = df.iloc[:, 0]
    if _number(names.dtype) or not gene_columns(names.iloc[:: max(1, len(names) // LOOKED_AT)].tolist()):
        return None
    body = df.iloc[:, 1:]
    matrix, text_rows = _numbers(body)
    labels = names.astype(str).tolist()
    other = ~np.isin(labels, gene_columns(labels)) & ~text_rows
    if other.sum() <= MAX_ANNOTATIONS - text_rows.sum():  # a patient number, an age: kept as columns
        text_rows |= other
    if text_rows.sum() > MAX_ANNOTATIONS or not _measured_alike(matrix[~text_rows]):
        return None
    check_genes(labels, src.where)
    genes = [n for n, text in zip(labels, text_rows) if not text]
    samples = [str(c) for c in body.columns]
    first = pd.DataFrame({_free("sample", set(labels)): samples})
    notes = {labels[r]: _typed(body.iloc[r]) for r in np.flatnonzero(text_rows)}
    values = pd.DataFrame(np.ascontiguousarray(matrix[~text_rows].T, dtype=np.float32), columns=genes)
    frame = pd.concat([first, pd.DataFrame(notes, index=first.index), values], axis=1)
    frame = _expressed_rows(frame, genes, src)
    frame.attrs[EXPRESSION] = expression_info(genes, _counts(frame, genes), "table")
    params = {"path": src.where, "genes": len(genes), "samples": len(samples), "column": first.columns[0]}
    if notes:
        params["names"] = preview(list(notes), SHOWN)
    src.notices.append(Notice("expression.genes_as_rows" + ("_annotated" if notes else ""), params))
    return frame


def _numbers(body: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The columns as floats, and which rows hold text in some column (those rows are NaN)."""
    matrix = np.empty(body.shape, dtype=np.float64)
    text_rows = np.zeros(len(body), dtype=bool)
    for j in range(body.shape[1]):
        column = body.iloc[:, j]
        if _number(column.dtype):
            matrix[:, j] = column.to_numpy(dtype=np.float64, na_value=np.nan)
            continue
        parsed = pd.to_numeric(column, errors="coerce")
        text_rows |= (parsed.isna() & column.notna()).to_numpy()
        if text_rows.sum() > MAX_ANNOTATIONS:
            break
        matrix[:, j] = parsed.to_numpy(dtype=np.float64, na_value=np.nan)
    return matrix, text_rows


def _measured_alike(matrix: np.ndarray) -> bool:
    """The sample columns hold one matrix: numbers in every column, of sizes within ``SCALE_RATIO``."""
    with np.errstate(all="ignore"):
        sizes = np.nanmean(np.abs(matrix), axis=0)
    if matrix.shape[1] < 2 or not np.isfinite(sizes).all():
        return False
    return bool(sizes.max() <= SCALE_RATIO * max(sizes.min(), np.finfo(float).tiny))


def _typed(row: pd.Series) -> pd.Series:
    """A text row kept as a column: numbers where every value is one, else text."""
    values = row.reset_index(drop=True)
    parsed = pd.to_numeric(values, errors="coerce")
    return parsed if (parsed.notna() | values.isna()).all() else values.astype(object)


def _free(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


def _blocks(df: pd.DataFrame, genes: list[str]):
    for start in range(0, len(genes), BLOCK):
        yield df[genes[start:start + BLOCK]].to_numpy(dtype=np.float64, na_value=np.nan)


def _counts(df: pd.DataFrame, genes: list[str]) -> bool:
    """Whether every gene value present is a non-negative whole number."""
    for block in _blocks(df, genes):
        present = block[~np.isnan(block)]
        if (present < 0).any() or not np.array_equal(present, np.round(present)):
            return False
    return True


def _expressed_rows(df: pd.DataFrame, genes: list[str], src: Source) -> pd.DataFrame:
    """``df`` without the samples whose genes are all zero, with a notice; all of them stay
    when every sample is so (the training path then says what is wrong)."""
    expressed = np.zeros(len(df), dtype=bool)
    for block in _blocks(df, genes):
        expressed |= (block != 0).any(axis=1)
    dropped = int((~expressed).sum())
    if dropped == 0 or dropped == len(df):
        return df
    src.notices.append(Notice("expression.zero_cells", {"path": src.where, "count": dropped, "total": len(df)}))
    kept = df[expressed].reset_index(drop=True)
    kept.attrs = {}
    return kept
