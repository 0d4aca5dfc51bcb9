"""A sparse gene matrix as one column: it travels through pandas' row selection, stacking and
hashing as a matrix, lines up by gene name, and a model trained on it never holds the whole
matrix dense."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from manabu.artifact.fingerprint import data_fingerprint
from manabu.base.errors import DataError
from manabu.data.gene_matrix import GENES_COLUMN, GeneMatrixArray, gene_matrix, gene_names, without_gene_matrices

GENES = ["A", "B", "C", "D"]


def frame(values, genes=GENES) -> pd.DataFrame:
    values = np.asarray(values, dtype=np.float32)
    return pd.DataFrame({"label": np.arange(len(values)) % 2,
                         GENES_COLUMN: GeneMatrixArray(sparse.csr_matrix(values), genes)})


def test_rows_are_taken_as_a_matrix_by_iloc_masks_and_concat():
    values = np.arange(24, dtype=np.float32).reshape(6, 4) % 5
    df = frame(values)
    picked = df.iloc[[4, 0, 2]]
    assert gene_matrix(picked[GENES_COLUMN]).matrix.toarray().tolist() == values[[4, 0, 2]].tolist()
    masked = df[df["label"] == 1]
    assert gene_matrix(masked[GENES_COLUMN]).matrix.toarray().tolist() == values[1::2].tolist()
    stacked = pd.concat([df.iloc[:2], df.iloc[4:]], ignore_index=True)
    assert gene_matrix(stacked[GENES_COLUMN]).matrix.toarray().tolist() == values[[0, 1, 4, 5]].tolist()
    with pytest.raises(ValueError, match="different genes"):
        pd.concat([df, frame(values, ["A", "B", "C", "E"])])
    row = df[GENES_COLUMN].iloc[1]
    assert row.tolist() == values[1].tolist() and repr(row) == f"<{np.count_nonzero(values[1])} of 4 genes>"
    assert gene_names(df[[GENES_COLUMN]]) == GENES and gene_names(pd.DataFrame(columns=["x", "y"])) == ["x", "y"]
    assert list(without_gene_matrices(df).columns) == ["label"]


def test_the_fingerprint_sees_one_changed_count_and_not_a_copy():
    values = np.eye(5, 4, dtype=np.float32) * 3
    first = data_fingerprint(frame(values))
    assert data_fingerprint(frame(values.copy())) == first
    changed = values.copy()
    changed[2, 3] = 1
    assert data_fingerprint(frame(changed)) != first
    moved = values.copy()
    moved[[0, 1]] = moved[[1, 0]]
    assert data_fingerprint(frame(moved)) != first


def test_a_matrix_is_lined_up_by_gene_name_and_says_which_genes_it_lacks():
    array = GeneMatrixArray(sparse.csr_matrix(np.array([[1, 0, 2], [0, 3, 0]], dtype=np.float32)), ["B", "A", "C"])
    lined, missing, unknown = array.aligned(["A", "B", "C", "D"])
    assert lined.genes == ("A", "B", "C", "D") and missing == ["D"] and unknown == []
    assert lined.matrix.toarray().tolist() == [[0, 1, 2, 0], [3, 0, 0, 0]]
    same, none, _ = array.aligned(["B", "A", "C"])
    assert same is array and none == []


def cells(n_cells: int, n_genes: int, density: float, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Sparse Poisson-like counts whose first 20 genes mark one of two cell types."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n_cells)
    noise = sparse.random(n_cells, n_genes - 20, density=density, format="csr", dtype=np.float32,
                          random_state=seed, data_rvs=lambda k: rng.integers(1, 4, k))
    marker = sparse.csr_matrix(rng.poisson(4.0, (n_cells, 20)) * label[:, None])
    counts = sparse.hstack([marker, noise], format="csr")
    genes = [f"G{i}" for i in range(n_genes)]
    return pd.DataFrame({"cell_type": np.where(label, "B", "T"),
                         GENES_COLUMN: GeneMatrixArray(counts, genes)}), label


def test_training_on_a_sparse_matrix_never_holds_it_dense_and_predicts_by_gene_name():
    import manabu

    tiny, _ = cells(100, 300, 0.05)  # the libraries imported on the way, before memory is counted
    manabu.fit(tiny, target="cell_type", models=["linear"], time_limit=30, max_trials=1, verbose=False)
    df, label = cells(1_500, 60_000, 0.003)
    dense_bytes = 1_500 * 60_000 * 4  # 360 MB
    tracemalloc.start()
    try:
        predictor = manabu.fit(df, target="cell_type", models=["linear"], time_limit=15, max_trials=1,
                               verbose=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < dense_bytes / 4, f"peak {peak / 2**20:.0f} MB"
    assert (predictor.predict(df).to_numpy() == df["cell_type"].to_numpy()).mean() > 0.9  # chance: 0.5

    matrix = gene_matrix(df[GENES_COLUMN])
    order = np.random.default_rng(1).permutation(len(matrix.genes))
    shuffled = df.assign(**{GENES_COLUMN: GeneMatrixArray(matrix.matrix[:, order], np.asarray(matrix.genes)[order])})
    np.testing.assert_array_equal(predictor.predict(shuffled).to_numpy(), predictor.predict(df).to_numpy())
    fewer = df.assign(**{GENES_COLUMN: GeneMatrixArray(matrix.matrix[:, 5:], matrix.genes[5:])})
    with pytest.raises(DataError) as raised:
        predictor.predict(fewer)
    assert raised.value.key == "expression.genes_missing" and "G0" in str(raised.value)


@pytest.mark.parametrize("settings", [{"top_genes": 100}, {"top_genes": 0, "scale": False},
                                      {"top_genes": 50, "components": 5}])
def test_the_sparse_matrix_is_prepared_as_its_dense_columns_are_and_left_untouched(settings):
    from manabu.features.expression import ExpressionPreparation

    rng = np.random.default_rng(0)
    values = rng.poisson(0.5, (200, 300)).astype(np.float32)
    values[3, 4], values[5, 6] = np.nan, np.inf
    genes = [f"g{i}" for i in range(300)]
    dense = pd.DataFrame(values, columns=genes)
    matrix = frame(values, genes)[[GENES_COLUMN]]
    stored = gene_matrix(matrix).matrix.data.copy()
    by_columns = ExpressionPreparation(**settings).fit(dense)
    by_matrix = ExpressionPreparation(**settings).fit(matrix)
    np.testing.assert_array_equal(by_matrix.kept_, by_columns.kept_)
    np.testing.assert_allclose(by_matrix.transform(matrix), by_columns.transform(dense), atol=1e-3)
    np.testing.assert_array_equal(gene_matrix(matrix).matrix.data, stored)
    assert by_matrix.kept_genes == by_columns.kept_genes


def test_the_command_line_trains_on_a_sparse_h5ad_and_writes_predictions_without_the_matrix(tmp_path):
    from tests.cli.conftest import FAST, Cli
    from tests.data.test_expression_read import counts_matrix, write_h5ad

    x, label = counts_matrix(cells=120)
    data = write_h5ad(tmp_path / "cells.h5ad", sparse.csr_matrix(x))
    cli = Cli()
    shown = cli("info", data)
    assert shown.exit_code == 0 and GENES_COLUMN in shown.output and "stays sparse" in shown.output
    trained = cli("train", data, "--target", "cell_type", "-o", tmp_path / "model", *FAST)
    assert trained.exit_code == 0, trained.output
    predicted = cli("predict", tmp_path / "model", data, "-o", tmp_path / "predictions.csv")
    assert predicted.exit_code == 0, predicted.output
    written = pd.read_csv(tmp_path / "predictions.csv")
    assert GENES_COLUMN not in written.columns and len(written) == 120
    assert (written["cell_type_predicted"] == np.where(label, "B", "T")).mean() > 0.9
