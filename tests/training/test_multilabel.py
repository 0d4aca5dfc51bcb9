"""Several target columns at once (``manabu.fit(target=[...])``, ``training.multilabel``): each
label trained on the rows where it is present (masked, not dropped row-wise), the other labels
kept out of its features, per-label and mean ROC-AUC in the record, the labels sharing the time
and the search (``training.multilabel_sharing``: what one label chose is tried first by the
next, the first label opens with quick configurations, each label validated on its first fold),
the folder of folders saved and loaded back, and one message per bad input."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import manabu
from manabu.base.errors import ArtifactError, ManabuError
from manabu.search.opening import SHARED
from manabu.training.multilabel import (MIN_LABEL_SECONDS, MultiLabelPredictor, fit_labels, label_seconds,
                                        target_names)
from manabu.training.multilabel_sharing import (DESCRIPTORS, SHARING, SharedSearch, chosen_configuration,
                                                descriptors_affordable, label_folds)
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
    # the time limit shared: every share at least the minimum
    shares = [e["share_seconds"] for e in record["labels"]]
    assert min(shares) >= MIN_LABEL_SECONDS and record["time_sharing"] == SHARING
    assert [line.key for line in lines] == ["multilabel.progress", "multilabel.done"] * len(LABELS)


def test_each_label_is_validated_on_its_first_fold(fitted):
    model, _ = fitted
    assert model.record["label_folds"] == 1
    for predictor in model.predictors.values():
        validation = predictor.record.validation
        assert validation["kind"] == "stratified_kfold" and validation["n_splits"] == 5
        assert validation["folds_used"] == 1 and validation["n_rows"] == predictor.record.n_rows
        assert validation["description"]["key"] == "validation.describe_first_folds"


def test_what_one_label_chose_is_tried_first_by_the_next(fitted):
    model, _ = fitted
    entries = model.record["labels"]
    assert entries[0]["opened_with"] == []  # the first label has nothing to go on
    record = model.predictors["y1"].record
    first = chosen_configuration(record.leaderboard, record.best_model)
    assert first[0] == record.best_model and entries[1]["opened_with"][0] == first[0]
    # the second label's search tried that configuration, marked as shared, with its settings
    shared = [row for row in model.predictors["y2"].record.leaderboard if row["origin"] == SHARED]
    assert shared and shared[0]["model"] == first[0] and shared[0]["params"] == first[2]


def test_configurations_chosen_most_often_open_first(fitted):
    model, _ = fitted
    records = [model.predictors[label].record for label in LABELS]
    shared = SharedSearch(deadline=1e12, labels=4)
    for record in records:
        shared.learn(record, 1.0, 1.0)
    names = [name for name, _, _ in shared.opening().first]
    chosen = [chosen_configuration(record.leaderboard, record.best_model)[0] for record in records]
    most = max(set(chosen), key=lambda name: (chosen.count(name), -chosen.index(name)))
    assert names[0] == most and len(names) == len(set(names)) <= 3
    assert shared.opening().tight and shared.opening().folds == 1


def test_an_ensemble_passes_on_its_best_single_model():
    leaderboard = [
        {"rank": 1, "model": "ensemble", "family": "ensemble", "params": {"members": {"lightgbm": 0.6}}},
        {"rank": 2, "model": "lightgbm (40% rows)", "family": "lightgbm", "params": {"num_leaves": 15}},
        {"rank": None, "model": "svm", "family": "svm", "params": {}},
    ]
    assert chosen_configuration(leaderboard, "ensemble") == ("lightgbm", "lightgbm", {"num_leaves": 15})
    assert chosen_configuration(leaderboard[2:], "svm") is None


def test_the_first_label_opens_with_a_quick_boosting_model():
    from manabu.models.zoo import portfolio

    model = fit_labels(_frame(), ["y1", "y2"], time_limit=10, models=["lightgbm", "linear"])
    record = model.predictors["y1"].record
    quick = [row for row in record.leaderboard if row["model"] == "lightgbm (quick)"]
    # LightGBM's first known-good configuration, with a larger learning rate (no molecules here:
    # no fingerprint to fold)
    assert quick and quick[0]["status"] == "ok" and quick[0]["origin"] == "portfolio"
    assert quick[0]["params"] == {**portfolio("lightgbm")[0], "learning_rate": 0.1}
    assert model.record["labels"][1]["opened_with"][0] == chosen_configuration(record.leaderboard,
                                                                                record.best_model)[0]
    assert model.mean_roc_auc > 0.8


@pytest.mark.skipif(not TOX21.exists(), reason=f"the shared tox21 file is not here ({TOX21})")
def test_on_molecules_the_quick_configurations_fold_the_fingerprint():
    pytest.importorskip("rdkit")
    from manabu.data.schema import infer_schema
    from manabu.features.molecules import SIZE_OPTION
    from manabu.models.feature_space import with_feature_space
    from manabu.models.zoo import get_entries, portfolio
    from manabu.search.opening import portfolio_candidates, quick_candidates

    sample = pd.read_parquet(TOX21).head(200)[["smiles", "SR-ARE"]]
    schema = infer_schema(sample, "SR-ARE")
    entries = with_feature_space(get_entries(["linear", "lightgbm"], "binary", molecules=True), schema)
    opening = SharedSearch(deadline=1e12, labels=2).opening()
    queue = portfolio_candidates(entries, frozenset({"molecules", "tight_budget"}))
    quick = {c.name: c.params for c in quick_candidates(queue, opening)}
    assert list(quick) == ["lightgbm (quick)", "linear (quick)"]  # the strong family first
    assert quick["lightgbm (quick)"] == {**portfolio("lightgbm", frozenset({"molecules"}))[0],
                                         "learning_rate": 0.1, SIZE_OPTION: 1024}
    assert quick["linear (quick)"] == {**portfolio("linear")[0], SIZE_OPTION: 1024}  # no learning rate to raise


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
    # less what each label was seen to take beyond its share
    assert label_seconds(30, 3, overrun=2) == 8
    assert label_seconds(6, 3, overrun=5) == MIN_LABEL_SECONDS


def test_the_overrun_expected_is_the_median_of_those_seen(fitted):
    model, _ = fitted
    record = model.predictors["y1"].record
    shared = SharedSearch(deadline=1e12, labels=4)
    assert shared.overrun() == 0
    for share, seconds in ((2.0, 9.0), (2.0, 2.5), (2.0, 3.0)):  # the first label paid for imports
        shared.learn(record, share, seconds)
    assert shared.overrun() == 1.0


def test_folds_of_each_label():
    assert label_folds(None) == label_folds("auto") == label_folds("scaffold") == label_folds("holdout") == 1
    assert label_folds("kfold") is None and label_folds("10") is None and label_folds("loo") is None


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
    # how the labels shared the time, the search and the validation, and what each search opened with
    assert "Search opened with" in page and "探索の最初に試した設定" in page
    assert model.record["labels"][1]["opened_with"][0] in page
    assert "the first fold of its cross-validation only" in page


def test_page_of_a_model_saved_before_the_labels_shared_their_search(fitted):
    model, _ = fitted
    record = {**model.record, "time_sharing": "equal_with_carry",
              "labels": [{k: v for k, v in e.items() if k != "opened_with"} for e in model.record["labels"]]}
    record.pop("label_folds")
    page = MultiLabelPredictor(model.predictors, record).report("en")
    assert "in equal shares" in page and "Search opened with" not in page and "first fold" not in page


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
    # 600 molecules' descriptors (about 2.4 s of two cores) cost more than a tenth of 12 s: every
    # label's models learnt from the fingerprint alone, and the page says so
    assert model.record["descriptors_left_out"] is True
    for label in labels:
        tried = [row for row in model.predictors[label].record.leaderboard if row["family"] != "ensemble"]
        assert tried and all(row["params"][DESCRIPTORS] is False for row in tried)
    assert "fingerprints alone" in model.report("en")


def test_descriptors_are_left_out_when_they_would_take_a_tenth_of_the_time():
    pytest.importorskip("rdkit")
    from manabu.features.molecules import DESCRIPTORS_OPTION
    from manabu.training.molecules import molecule_texts

    assert DESCRIPTORS == DESCRIPTORS_OPTION  # written out where the features are not imported
    molecules = pd.DataFrame({"smiles": [f"c1ccccc1{'C' * i}O" for i in range(500)]})  # 2 s of 2 cores
    assert not descriptors_affordable(molecule_texts(molecules), time_limit=10)
    assert descriptors_affordable(molecule_texts(molecules), time_limit=60)
    # no molecules, nothing to leave out
    assert descriptors_affordable(molecule_texts(pd.DataFrame({"x": range(500)})), time_limit=1)
    opening = SharedSearch(deadline=1e12, labels=2, descriptors=False).opening()
    assert opening.fixed == ((DESCRIPTORS, False),)
    assert SharedSearch(deadline=1e12, labels=2).opening().fixed == ()


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
