"""Several target columns at once (``manabu.fit(target=[...])``, ``training.multilabel``): each
label trained on the rows where it is present (masked, not dropped row-wise), the other labels
kept out of its features, per-label and mean ROC-AUC in the record, the folder of folders saved
and loaded back, and one message per bad input."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import manabu
from manabu.base.errors import ArtifactError, ManabuError
from manabu.training.multilabel import (MIN_LABEL_SECONDS, MultiLabelPredictor, fit_labels, label_seconds,
                                        target_names)
from manabu.training.predictor import Predictor

LABELS = ["y1", "y2", "y3"]
TOX21 = Path("/work/shared/data/molecules/tox21.parquet")


def _frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Three binary labels, each led by one feature, each missing on about a fifth of the rows
    (independently, so most rows miss some label and few miss them all)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    frame = pd.DataFrame(X, columns=list("abcd"))
    for j, name in enumerate(LABELS):
        y = (X[:, j] + 0.5 * rng.normal(size=n) > 0).astype(float)
        y[rng.random(n) < 0.2] = np.nan
        frame[name] = y
    return frame


@pytest.fixture(scope="module")
def fitted():
    lines = []
    model = fit_labels(_frame(), LABELS, time_limit=6, models=["linear"], progress=lines.append)
    return model, lines


def test_each_label_trains_on_the_rows_that_hold_it(fitted):
    model, _ = fitted
    frame = _frame()
    for entry in model.record["labels"]:
        label = entry["label"]
        present = int(frame[label].notna().sum())
        assert entry["rows"] == model.predictors[label].record.n_rows == present
        assert entry["missing"] == len(frame) - present
    # masked, not dropped row-wise: rows missing y1 still taught y2 (their count is in y2's rows)
    missing_y1 = frame["y1"].isna() & frame["y2"].notna()
    assert missing_y1.sum() > 20
    assert model.predictors["y2"].record.n_rows > int((frame[LABELS].notna().all(axis=1)).sum())


def test_the_other_labels_are_not_features(fitted):
    model, _ = fitted
    for label, predictor in model.predictors.items():
        assert predictor.target == label
        assert [c.name for c in predictor.schema.features] == list("abcd")


def test_record_holds_per_label_and_mean_roc_auc(fitted):
    model, lines = fitted
    record = model.record
    aucs = [e["roc_auc"] for e in record["labels"]]
    assert all(e["metric"] == "roc_auc" and e["task"] == "binary" for e in record["labels"])
    assert all(0.75 < auc <= 1 for auc in aucs)  # each label follows its feature closely
    assert record["mean_roc_auc"] == pytest.approx(np.mean(aucs))
    assert model.scores == dict(zip(LABELS, aucs))
    assert all(0.3 < e["positives"] < 0.7 for e in record["labels"])
    # the time limit shared: every share at least the minimum, the last one given what was left
    shares = [e["share_seconds"] for e in record["labels"]]
    assert min(shares) >= MIN_LABEL_SECONDS and record["time_sharing"] == "equal_with_carry"
    assert [line.key for line in lines] == ["multilabel.progress", "multilabel.done"] * len(LABELS)


def test_predictions_have_a_column_per_label(fitted):
    model, _ = fitted
    rows = _frame(40, seed=1).drop(columns=LABELS)  # new rows come without the labels
    predicted, proba = model.predict(rows), model.predict_proba(rows)
    assert list(predicted.columns) == list(proba.columns) == LABELS
    assert set(np.unique(predicted.to_numpy())) <= {0.0, 1.0}
    assert ((proba >= 0) & (proba <= 1)).all().all()
    # the probability is the positive class's: the label's own Predictor's second column
    pd.testing.assert_series_equal(proba["y2"], model.predictors["y2"].predict_proba(rows)[1.0], check_names=False)
    added = model.predict_frame(rows)
    assert list(added.columns) == [*rows.columns, *(f"{y}_predicted" for y in LABELS), *(f"proba_{y}" for y in LABELS)]


def test_time_limit_is_shared_with_what_is_left_passed_on():
    assert label_seconds(30, 3) == 10
    assert label_seconds(30 - 4, 2) == 13  # the first label used 4 s of its 10: the next two share the rest
    assert label_seconds(1, 2) == MIN_LABEL_SECONDS


def test_saved_and_loaded_gives_the_same_probabilities(fitted, tmp_path):
    model, _ = fitted
    folder = model.save(tmp_path / "labels-model", report=False)
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["kind"] == "multilabel" and len(manifest["pipeline"]["folders"]) == 3
    loaded = manabu.load(folder)
    assert isinstance(loaded, MultiLabelPredictor) and loaded.labels == LABELS
    rows = _frame(60, seed=2)
    pd.testing.assert_frame_equal(model.predict_proba(rows), loaded.predict_proba(rows))
    assert loaded.record["mean_roc_auc"] == model.record["mean_roc_auc"]
    # each label's folder is an ordinary model folder
    assert isinstance(manabu.load(folder / "labels" / "01-y2"), Predictor)
    # and the outer checksums cover the labels' files
    altered = folder / "labels" / "00-y1" / "manifest.json"
    altered.write_bytes(altered.read_bytes() + b" ")
    with pytest.raises(ArtifactError) as error:
        manabu.load(folder)
    assert error.value.key == "artifact.tampered", error.value.params


def test_page_lists_the_labels_with_links(fitted):
    model, _ = fitted
    page = model.report("ja")
    for i, label in enumerate(LABELS):
        assert f'href="labels/{i:02d}-{label}/report.html"' in page
    assert f"{model.record['mean_roc_auc']:.4f}" in page
    assert "検証 ROC-AUC" in page and "Validation ROC-AUC" in page


def _single_class() -> pd.DataFrame:
    frame = _frame(60)
    frame.loc[frame["y2"].notna(), "y2"] = 1.0
    return frame


def _all_missing() -> pd.DataFrame:
    frame = _frame(60)
    frame[LABELS] = np.nan
    return frame


def _one_empty() -> pd.DataFrame:
    frame = _frame(60)
    frame["y3"] = np.nan
    return frame


@pytest.mark.parametrize("make, targets, key", [
    (_frame, ["y1", "Y2x"], "multilabel.target_missing"),
    (_single_class, LABELS, "multilabel.single_class"),
    (_all_missing, LABELS, "multilabel.all_missing"),
    (_one_empty, LABELS, "multilabel.label_empty"),
    (_frame, ["y1", "y2", "y1"], "multilabel.duplicate_targets"),
    (_frame, [], "multilabel.no_targets"),
])
def test_bad_input_says_what_is_wrong(make, targets, key):
    with pytest.raises(ManabuError) as error:
        manabu.fit(make(), target=targets, time_limit=5, models=["linear"], verbose=False)
    assert error.value.key == key
    assert error.value.render("en") and error.value.render("ja") != error.value.render("en")
    if key == "multilabel.target_missing":
        assert '"y2"' in error.value.params["guess"]


def test_options_of_one_search_are_refused(tmp_path):
    with pytest.raises(ManabuError) as error:
        manabu.fit(_frame(60), target=LABELS, checkpoint=tmp_path / "c", verbose=False)
    assert error.value.key == "multilabel.unsupported_option"


def test_target_names_from_the_command_line():
    assert target_names("NR-AR, SR-p53 ,NR-AhR") == ["NR-AR", "SR-p53", "NR-AhR"]
    assert target_names("NR-AR") == "NR-AR"


@pytest.mark.skipif(not TOX21.exists(), reason=f"the shared tox21 file is not here ({TOX21})")
def test_tox21_sample_with_smiles(tmp_path):
    pytest.importorskip("rdkit")
    labels = ["NR-AhR", "SR-ARE", "SR-MMP"]  # the three with the most positives
    sample = pd.read_parquet(TOX21).sample(600, random_state=0).reset_index(drop=True)
    model = manabu.fit(sample[["smiles", *labels]], target=labels, time_limit=12, models=["linear"], verbose=False)
    for entry in model.record["labels"]:
        assert entry["rows"] == int(sample[entry["label"]].notna().sum())
        assert 0.5 < entry["roc_auc"] <= 1
    predictor = model.predictors["SR-ARE"]
    assert [(c.name, str(c.type)) for c in predictor.schema.features] == [("smiles", "smiles")]
    assert model.record["mean_roc_auc"] == pytest.approx(np.mean(list(model.scores.values())))
    assert list(model.predict_proba(sample.head(5)).columns) == labels


def test_the_command_line_trains_several_labels_and_predicts_a_column_for_each(tmp_path):
    from tests.cli.conftest import Cli

    cli = Cli()
    frame = _frame()
    data = tmp_path / "labels.csv"
    frame.to_csv(data, index=False)
    result = cli("train", data, "--target", "y1,y2", "--models", "linear", "--time-limit", "20", "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert "y1" in result.output and "y2" in result.output
    predicted = cli("predict", tmp_path / "m", data, "-o", tmp_path / "out.csv")
    assert predicted.exit_code == 0, predicted.output
    written = pd.read_csv(tmp_path / "out.csv")
    assert {"y1_predicted", "y2_predicted"} <= set(written.columns)
