"""Expression data read as tables: .h5ad files, 10x folders, wide tables of genes either way round,
and one clear message for each bad input (repeated genes, negative counts, empty cells, a sample
sheet that does not fit the matrix, a damaged file)."""
from __future__ import annotations

import copy
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import io as sio
from scipy import sparse

from manabu.base.errors import SchemaError
from manabu.data.gene_matrix import GENES_COLUMN, gene_matrix
from manabu.data.read import expression, read
from manabu.data.read.expression import EXPRESSION
from manabu.data.read.wide import gene_like
from tests.data.test_read import data_error, notice_keys

anndata = pytest.importorskip("anndata")

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "genomics"
GENES = [f"G{i}" for i in range(30)]


def matrix_of(df: pd.DataFrame) -> np.ndarray:
    """The frame's sparse gene matrix, checked to be one, as dense numbers."""
    matrix = gene_matrix(df[GENES_COLUMN])
    assert matrix is not None and matrix.matrix.dtype == np.float32
    return matrix.matrix.toarray()


def counts_matrix(cells: int = 60, genes: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts whose first five genes follow a two-class label, and the label."""
    rng = np.random.default_rng(seed)
    label = np.arange(cells) % 2
    rates = np.full((cells, genes), 0.5)
    rates[:, :5] += 4 * label[:, None]
    return rng.poisson(rates).astype(np.int64), label


def write_h5ad(path: Path, x, genes=GENES, obs: pd.DataFrame | None = None) -> Path:
    obs = obs if obs is not None else pd.DataFrame(
        {"cell_type": pd.Categorical(np.where(np.arange(x.shape[0]) % 2, "B", "T"))})
    obs.index = [f"cell{i}" for i in range(x.shape[0])]
    adata = anndata.AnnData(X=x, obs=obs, var=pd.DataFrame(index=list(genes)))
    adata.write_h5ad(path)
    return path


def write_10x(folder: Path, x: np.ndarray, *, gz: bool = True, kinds: list[str] | None = None,
              symbols: list[str] | None = None, barcodes: list[str] | None = None) -> Path:
    """A 10x folder for cells × genes ``x`` (the file holds genes × cells)."""
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    opener = (lambda p: gzip.open(p, "wb")) if gz else (lambda p: open(p, "wb"))
    with opener(folder / f"matrix.mtx{ext}") as fh:
        sio.mmwrite(fh, sparse.coo_matrix(x.T), field="integer")
    genes = symbols or [f"G{i}" for i in range(x.shape[1])]
    rows = [f"ENSG{i:011d}\t{g}" + (f"\t{kinds[i]}" if kinds else "") for i, g in enumerate(genes)]
    name = "features.tsv" if kinds else "genes.tsv"
    with opener(folder / f"{name}{ext}") as fh:
        fh.write(("\n".join(rows) + "\n").encode())
    codes = barcodes or [f"AAAC{i:04d}-1" for i in range(x.shape[0])]
    with opener(folder / f"barcodes.tsv{ext}") as fh:
        fh.write(("\n".join(codes) + "\n").encode())
    return folder


# ------------------------------------------------------------------------------------ h5ad

def test_h5ad_reads_cells_by_genes_with_the_annotations_first(tmp_path):
    x, label = counts_matrix()
    df = read(write_h5ad(tmp_path / "a.h5ad", sparse.csr_matrix(x)))
    assert df.shape == (60, 2) and list(df.columns) == ["cell_type", GENES_COLUMN]
    assert df["cell_type"].tolist() == np.where(label, "B", "T").tolist() and df["cell_type"].dtype == object
    assert gene_matrix(df[GENES_COLUMN]).genes == tuple(GENES)
    np.testing.assert_array_equal(matrix_of(df), x)
    info = df.attrs[EXPRESSION]
    assert list(info["genes"]) == GENES and info["counts"] and info["source"] == "h5ad" and info["sparse"]
    assert 0 < info["density"] <= 1
    assert copy.deepcopy(df.attrs)[EXPRESSION]["genes"] is info["genes"]  # pandas copies attrs per column
    assert notice_keys(df) == ["expression.kept_sparse"]
    assert df.attrs["manabu_source"]["format"] == "h5ad"

    dense = read(write_h5ad(tmp_path / "dense.h5ad", x.astype(np.float32)))
    assert list(dense.columns) == ["cell_type"] + GENES and (dense[GENES].dtypes == np.float32).all()
    np.testing.assert_array_equal(dense[GENES].to_numpy(), x)
    assert not dense.attrs[EXPRESSION]["sparse"] and "expression.kept_sparse" not in notice_keys(dense)


def test_an_annotation_named_genes_is_renamed_beside_the_sparse_matrix(tmp_path):
    x, label = counts_matrix()
    obs = pd.DataFrame({GENES_COLUMN: label.astype(str)})
    df = read(write_h5ad(tmp_path / "a.h5ad", sparse.csr_matrix(x), obs=obs))
    assert list(df.columns) == [f"obs_{GENES_COLUMN}", GENES_COLUMN] and gene_matrix(df[GENES_COLUMN]) is not None
    assert "expression.obs_renamed" in notice_keys(df)


def test_dense_float_h5ad_is_not_counts(tmp_path):
    x, _ = counts_matrix()
    df = read(write_h5ad(tmp_path / "a.h5ad", np.log1p(x).astype(np.float32)))
    assert not df.attrs[EXPRESSION]["counts"] and notice_keys(df) == []


def test_the_shared_pbmc68k_file(tmp_path):
    path = SHARED / "pbmc68k_reduced.h5ad"
    if not path.exists():
        pytest.skip(f"{path} is not here")
    df = read(path)
    info = df.attrs[EXPRESSION]
    assert df.shape[0] == 700 and len(info["genes"]) == 765 and "bulk_labels" in df.columns
    assert list(df.columns[-765:]) == list(info["genes"]) and not info["counts"]
    assert df["bulk_labels"].notna().all() and df["bulk_labels"].nunique() == 10


def test_an_annotation_named_as_a_gene_is_kept_renamed(tmp_path):
    x, _ = counts_matrix()
    obs = pd.DataFrame({"G3": np.arange(60) % 3, "cell_type": ["a"] * 60})
    df = read(write_h5ad(tmp_path / "a.h5ad", x, obs=obs))
    assert list(df.columns[:2]) == ["obs_G3", "cell_type"] and "G3" in df.columns
    assert df["obs_G3"].tolist() == (np.arange(60) % 3).tolist()
    assert "expression.obs_renamed" in notice_keys(df)


def test_a_missing_target_names_the_annotations_first(tmp_path):
    from manabu.data.schema import infer_schema

    x, _ = counts_matrix()
    df = read(write_h5ad(tmp_path / "a.h5ad", x))
    with pytest.raises(SchemaError) as info:
        infer_schema(df, target="bulk_labels")
    assert info.value.key == "schema.target_missing"
    assert "Columns (31): cell_type, G0" in str(info.value)


# --------------------------------------------------------------------------------- bad input

@pytest.mark.filterwarnings("ignore:Variable names are not unique")
def test_repeated_genes_are_named(tmp_path):
    x, _ = counts_matrix()
    genes = GENES[:-2] + ["G0", "G1"]
    error = data_error("expression.duplicate_genes", read, write_h5ad(tmp_path / "a.h5ad", x, genes=genes))
    assert '"G0", "G1"' in str(error)


def test_negative_counts_are_refused_where_the_matrix_says_counts(tmp_path):
    x, _ = counts_matrix()
    x[3, 7] = -2
    error = data_error("expression.negative_counts", read, write_h5ad(tmp_path / "a.h5ad", x))
    assert "cell 4" in str(error) and '"G7"' in str(error)
    data_error("expression.negative_counts", read, write_10x(tmp_path / "tenx", x))
    df = read(write_h5ad(tmp_path / "scaled.h5ad", x.astype(np.float32)))  # scaled data may be negative
    assert not df.attrs[EXPRESSION]["counts"]


def test_empty_cells_are_left_out_with_a_notice(tmp_path):
    x, _ = counts_matrix()
    x[[2, 5]] = 0
    df = read(write_h5ad(tmp_path / "a.h5ad", sparse.csr_matrix(x)))
    assert len(df) == 58 and "expression.zero_cells" in notice_keys(df)
    assert df["cell_type"].tolist() == np.delete(np.where(np.arange(60) % 2, "B", "T"), [2, 5]).tolist()
    data_error("expression.all_zero", read, write_h5ad(tmp_path / "zero.h5ad", np.zeros((4, 30))))


def test_a_damaged_h5ad_is_one_message(tmp_path):
    x, _ = counts_matrix()
    good = write_h5ad(tmp_path / "a.h5ad", x).read_bytes()
    cut = tmp_path / "cut.h5ad"
    cut.write_bytes(good[: len(good) // 3])
    data_error("data.corrupt", read, cut)
    text = tmp_path / "text.h5ad"
    text.write_text("not an hdf5 file\n")
    data_error("data.corrupt", read, text)


def test_annotations_that_do_not_fit_the_matrix(tmp_path):
    x, _ = counts_matrix()
    src = expression.Source("m", {})
    data_error("expression.cells_mismatch", expression.expression_frame, x, GENES,
               pd.DataFrame({"a": range(59)}), src, "h5ad")


# ------------------------------------------------------------------------------------ 10x

def test_a_10x_folder_reads_as_cells_by_genes(tmp_path):
    x, _ = counts_matrix()
    kinds = ["Gene Expression"] * 29 + ["Antibody Capture"]
    df = read(write_10x(tmp_path / "tenx", x, kinds=kinds))
    assert df.shape == (60, 1) and gene_matrix(df[GENES_COLUMN]).genes == tuple(GENES[:29])
    np.testing.assert_array_equal(matrix_of(df), x[:, :29])
    assert df.attrs[EXPRESSION]["source"] == "10x" and df.attrs[EXPRESSION]["counts"]
    assert notice_keys(df) == ["expression.features_dropped", "expression.kept_sparse"]
    assert df.attrs["manabu_source"]["format"] == "10x"
    plain = read(write_10x(tmp_path / "plain", x, gz=False))
    np.testing.assert_array_equal(matrix_of(plain), x)


def test_a_sample_sheet_gives_labels_matched_by_barcode(tmp_path):
    x, label = counts_matrix()
    folder = write_10x(tmp_path / "tenx", x)
    codes = [f"AAAC{i:04d}-1" for i in range(60)]
    order = np.random.default_rng(1).permutation(60)
    pd.DataFrame({"barcode": np.array(codes)[order], "kind": label[order]}).to_csv(folder / "obs.csv", index=False)
    df = read(folder)
    assert list(df.columns[:1]) == ["kind"] and df["kind"].tolist() == label.tolist()
    pd.DataFrame({"barcode": codes[:50], "kind": label[:50]}).to_csv(folder / "obs.csv", index=False)
    error = data_error("expression.sheet_missing_cells", read, folder)
    assert "AAAC0050-1" in str(error)
    pd.DataFrame({"kind": label[:50]}).to_csv(folder / "obs.csv", index=False)
    data_error("expression.cells_mismatch", read, folder)
    pd.DataFrame({"kind": label}).to_csv(folder / "obs.csv", index=False)
    assert "expression.sheet_by_position" in notice_keys(read(folder))


def test_10x_files_that_disagree_with_the_matrix(tmp_path):
    x, _ = counts_matrix()
    data_error("expression.cells_mismatch", read,
               write_10x(tmp_path / "cells", x, barcodes=[f"B{i}" for i in range(59)]))
    data_error("expression.genes_mismatch", read,
               write_10x(tmp_path / "genes", x, symbols=[f"G{i}" for i in range(29)]))
    folder = write_10x(tmp_path / "broken", x, gz=False)
    (folder / "matrix.mtx").write_text("%%MatrixMarket matrix coordinate integer general\n3 3\n")
    data_error("data.corrupt", read, folder)


def test_repeated_10x_symbols_are_kept_apart_by_their_ids(tmp_path):
    x, _ = counts_matrix()
    symbols = GENES[:-1] + ["G0"]
    df = read(write_10x(tmp_path / "tenx", x, symbols=symbols))
    genes = gene_matrix(df[GENES_COLUMN]).genes
    assert "G0_ENSG00000000000" in genes and "G0_ENSG00000000029" in genes
    assert "expression.genes_renamed" in notice_keys(df)


# ------------------------------------------------------------------------------ wide tables

@pytest.fixture(scope="module")
def golub() -> pd.DataFrame:
    path = SHARED / "golub_leukemia.parquet"
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return pd.read_parquet(path)


def test_golub_is_already_samples_by_genes(golub):
    df = read(SHARED / "golub_leukemia.parquet")
    pd.testing.assert_frame_equal(df, golub, check_like=False)
    info = df.attrs[EXPRESSION]
    assert len(info["genes"]) == 7129 and "cancer" not in info["genes"] and info["source"] == "table"
    assert notice_keys(df) == ["expression.samples_as_rows"]


def test_golub_turned_genes_as_rows_is_turned_back(golub, tmp_path):
    path = tmp_path / "golub_t.csv"
    golub.T.rename_axis("probe").reset_index().to_csv(path, index=False)
    df = read(path)
    described = ["patient", "split", "cancer"]  # rows of text, or not named as genes, become columns
    assert df.shape == (72, 7133) and list(df.columns[:4]) == ["sample"] + described
    pd.testing.assert_frame_equal(df[described], golub[described])
    genes = list(df.attrs[EXPRESSION]["genes"])
    assert genes == [c for c in golub.columns if c not in described]
    np.testing.assert_allclose(df[genes].to_numpy(), golub[genes].to_numpy(), rtol=1e-6)
    assert notice_keys(df)[-1] == "expression.genes_as_rows_annotated"


def test_ordinary_tables_are_untouched(tmp_path):
    rng = np.random.default_rng(0)
    codes = pd.DataFrame({"product": [f"AB-{i:04d}" for i in range(800)],
                          "jan": rng.random(800), "feb": rng.random(800), "mar": rng.random(800)})
    wide = pd.DataFrame(rng.random((40, 600)), columns=[f"X{i}" for i in range(600)])
    people = pd.DataFrame({"name": [f"Person{i}" for i in range(800)], "age": rng.integers(20, 70, 800),
                           "income": rng.integers(20_000, 90_000, 800), "score": rng.random(800)})
    for i, frame in enumerate((codes, wide, people)):
        path = tmp_path / f"t{i}.csv"
        frame.to_csv(path, index=False)
        df = read(path)
        assert EXPRESSION not in df.attrs and df.shape == frame.shape
        assert not [k for k in notice_keys(df) if k.startswith("expression.")]


def test_gene_names_are_told_from_other_names():
    assert gene_like(["HES4", "CD3E", "ISG15", "RP11-34P13.3", "C1orf159", "MT-CO1"])
    assert gene_like(["ENSG00000243485", "ENSG00000237613.2"]) and gene_like(["1007_s_at", "AFFX-BioB-5_at"])
    assert not gene_like([f"X{i}" for i in range(900)]) and not gene_like(["age", "income", "px_0"])
    assert not gene_like(["Tokyo", "Osaka", "Kyoto", "Nagoya", "Sapporo"])
    assert not gene_like([f"AB-{i:04d}" for i in range(100)])


# ------------------------------------------------------------------------------- end to end

def test_fit_learns_an_annotation_of_an_h5ad_file(tmp_path):
    import manabu

    x, label = counts_matrix(cells=120)
    path = write_h5ad(tmp_path / "cells.h5ad", sparse.csr_matrix(x))
    predictor = manabu.fit(path, target="cell_type", models=["linear"], time_limit=30, max_trials=1,
                           verbose=False)
    assert (predictor.predict(path).to_numpy() == np.where(label, "B", "T")).mean() > 0.9
