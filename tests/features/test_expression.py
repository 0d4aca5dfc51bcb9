"""Expression data prepared as a whole inside the folds (``features.expression``), marked by the
schema (``data.schema.blocks``), searched (``models.feature_space``), and reported: the
preparation chosen and the genes per class, by the data and by the model."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import manabu
from manabu.artifact import data_fingerprint
from manabu.base.errors import ConfigError
from manabu.data.read.expression import EXPRESSION, expression_info
from manabu.data.schema import infer_schema
from manabu.data.schema.blocks import EXPRESSION_BLOCK
from manabu.export.script import export_script
from manabu.features.expression import ExpressionPreparation
from manabu.features.preprocess import PreprocessKind, build_preprocessor
from manabu.models.feature_space import EXPRESSION_SPACE, feature_space
from manabu.report import predictor_report

pytest.importorskip("scanpy")

CLASSES = ("B", "NK", "T")
# symbols as a matrix names its genes (diverse letters, a digit): GENE1 ... GENE600 would read as codes
GENES = [f"{''.join(np.random.default_rng(i).choice(list('ABCDEFGHKLMNPRSTWXZ'), 4))}{i}" for i in range(1200)]


def cells(n_cells: int = 180, n_genes: int = 600, seed: int = 0, attrs: bool = True) -> pd.DataFrame:
    """Poisson counts of three cell types, each with five genes of its own raised tenfold, and
    depths that differ fivefold between cells; ``attrs``: as the expression reader leaves it."""
    rng = np.random.default_rng(seed)
    label = np.arange(n_cells) % len(CLASSES)
    rates = rng.gamma(0.5, 1.0, size=n_genes)[None, :].repeat(n_cells, axis=0)
    for k in range(len(CLASSES)):
        rates[label == k, 5 * k:5 * k + 5] += 10.0
    depth = rng.uniform(1.0, 5.0, size=(n_cells, 1))
    counts = rng.poisson(rates * depth).astype(np.float32)
    genes = GENES[:n_genes]
    frame = pd.concat([pd.DataFrame({"cell_type": np.asarray(CLASSES)[label]}),
                       pd.DataFrame(counts, columns=genes)], axis=1)
    if attrs:
        frame.attrs[EXPRESSION] = expression_info(genes, True, "h5ad")
    return frame


def test_counts_are_normalised_per_cell_so_depth_does_not_matter():
    profile = np.array([[1.0, 3.0, 0.0, 6.0]])
    X = np.vstack([profile, 4 * profile, [[2.0, 2.0, 2.0, 2.0]]])
    prepared = ExpressionPreparation(top_genes=0, scale=False).fit(X)
    assert prepared.counts_
    out = prepared.transform(X)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-6)  # the same cell sequenced four times as deeply
    library = np.median(X.sum(axis=1))
    np.testing.assert_allclose(out[2], np.log1p(2.0 / 8.0 * library), rtol=1e-6)


def test_values_that_are_not_counts_are_used_as_they_are_and_gaps_take_the_gene_median():
    X = np.array([[-1.5, 2.0], [0.5, np.nan], [1.0, 4.0], [np.inf, 6.0]])
    prepared = ExpressionPreparation(top_genes=0, scale=False).fit(X)
    assert not prepared.counts_
    out = prepared.transform(X)
    assert np.isfinite(out).all()
    assert out[1, 1] == pytest.approx(4.0) and out[3, 0] == pytest.approx(0.5)
    assert out[0, 0] == pytest.approx(-1.5)


def test_the_most_variable_genes_are_kept_scaled_and_clipped():
    rng = np.random.default_rng(0)
    X = rng.normal(0, 0.01, size=(200, 50))
    X[:, [3, 17]] += rng.normal(0, 5, size=(200, 2))
    X[0, 17] = 1e6  # one extreme cell
    prepared = ExpressionPreparation(top_genes=2, scale=True).fit(X)
    assert prepared.kept_genes == ["gene3", "gene17"]
    out = prepared.transform(X)
    assert out.shape == (200, 2) and np.abs(out).max() <= 10.0


def test_principal_components_and_the_genes_behind_them():
    frame = cells()
    genes = frame.drop(columns="cell_type")
    prepared = ExpressionPreparation(top_genes=100, components=5).fit(genes)
    out = prepared.transform(genes.iloc[:7])
    assert out.shape == (7, 5) and out.dtype == np.float32
    assert list(prepared.get_feature_names_out()) == [f"PC{i}" for i in range(1, 6)]
    weights = prepared.gene_weights(np.array([1.0, 0, 0, 0, 0]))
    assert weights.shape == (100,) and weights.sum() == pytest.approx(1.0)
    planted = set(GENES[:15])
    assert planted <= set(prepared.kept_genes)  # the cell types' genes are among the variable ones


def test_the_schema_marks_the_genes_without_typing_them_one_by_one():
    frame = cells()
    frame[GENES[7]] = (frame["cell_type"] == "B").astype(float) * 50  # a perfect marker
    schema = infer_schema(frame, "cell_type")
    genes = schema.in_block(EXPRESSION_BLOCK)
    assert len(genes) == 600 and genes[0] == GENES[0]
    assert not any(c.leakage for c in schema.columns)  # a marker is biology, not a leak
    assert not any(n.key == "schema.leakage" for n in schema.notices)
    assert set(feature_space(schema)) == set(EXPRESSION_SPACE)


def test_a_frame_that_lost_its_attributes_is_recognised_by_its_gene_names():
    assert len(infer_schema(cells(attrs=False), "cell_type").in_block(EXPRESSION_BLOCK)) == 600
    plain = cells(attrs=False)
    plain.columns = ["cell_type", *(f"x{i}" for i in range(600))]
    schema = infer_schema(plain, "cell_type")
    assert schema.in_block(EXPRESSION_BLOCK) == [] and "expression_genes" not in feature_space(schema)


def test_the_preprocessing_takes_the_searched_settings_and_keeps_other_columns_apart():
    frame = cells()
    frame["depth_note"] = np.random.default_rng(1).normal(size=len(frame))
    schema = infer_schema(frame, "cell_type")
    prep = build_preprocessor(schema, PreprocessKind.LINEAR, "multiclass",
                              options={"expression_genes": 50, "expression_components": 10}).transformer
    out = prep.fit_transform(schema.prepare(frame), frame["cell_type"])
    assert out.shape == (len(frame), 1 + 10)  # depth_note, ten components
    assert "depth_note" not in prep.named_transformers_["genes"].feature_names_in_


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    frame = cells()
    folder = tmp_path_factory.mktemp("cells") / "model"
    predictor = manabu.fit(frame, target="cell_type", models=["linear", "lightgbm"], max_trials=4,
                           time_limit=30, output=str(folder), verbose=False)
    return predictor, frame, folder


def test_the_report_shows_the_preparation_and_the_genes_of_each_class(fitted):
    predictor, _, _ = fitted
    numbers = predictor.record.report["expression"]
    facts = numbers["preparation"]
    assert facts["counts"] and facts["of"] == 600 and 0 < facts["kept"] <= 600
    markers = numbers["markers"]["classes"]
    assert set(markers) == set(CLASSES) and numbers["markers"]["method"] == "wilcoxon"
    for k, name in enumerate(CLASSES):  # each class's planted genes lead its markers
        assert {row["gene"] for row in markers[name][:5]} == set(GENES[5 * k:5 * k + 5])
        assert all(row["log_fold_change"] > 1 for row in markers[name][:5])
    model = numbers["model_genes"]
    listed = [row["gene"] for rows in (model.get("classes") or {"all": model.get("overall")}).values() for row in rows]
    assert set(listed) & set(GENES[:15])
    report = predictor.record.report  # a block of genes counted once, and its most variable sketched for drift
    assert report["profile"]["blocks"] == {"expression": 600} and report["profile"]["columns_shown"] == 0
    assert len(report["drift_reference"]["columns"]) == 200
    page = predictor_report(predictor, lang="en")
    section = page[page.index('<section id="expression">'):]
    section = section[:section.index("</section>")]
    assert "Marker genes of each class" in section and "マーカー遺伝子" in section
    assert GENES[0] in section and "median library size" in section


def test_the_saved_model_predicts_new_cells_with_genes_missing_values_and_other_depths(fitted):
    predictor, frame, folder = fitted
    loaded = manabu.load(str(folder))
    new = cells(n_cells=30, seed=5).drop(columns="cell_type")
    new.iloc[0, :3] = np.nan
    new.iloc[1:] *= 3  # sequenced three times as deeply: the same cells
    predicted = np.asarray(loaded.predict(new))
    truth = np.asarray(CLASSES)[np.arange(30) % 3]
    assert (predicted == truth).mean() >= 0.9
    np.testing.assert_array_equal(predicted, np.asarray(predictor.predict(new)))


def test_export_code_refuses_with_a_message_that_says_why(fitted):
    predictor, _, _ = fitted
    with pytest.raises(ConfigError) as raised:
        export_script(predictor.schema, predictor.record.to_dict())
    assert raised.value.key == "export.expression" and "600" in str(raised.value)


def test_a_matrix_of_genes_is_fingerprinted_whole_by_values_order_and_the_other_columns():
    frame = cells(n_cells=20, n_genes=1200)
    base = data_fingerprint(frame)
    changed = frame.copy()
    changed.iloc[3, 700] += 1
    relabelled = frame.assign(cell_type=frame["cell_type"].iloc[::-1].to_numpy())
    reordered = frame.iloc[::-1]
    assert len({base, data_fingerprint(changed), data_fingerprint(relabelled), data_fingerprint(reordered)}) == 4
    assert data_fingerprint(frame.set_axis(range(100, 120))) == base
