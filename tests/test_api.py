"""``manabu.fit`` on real public data: the leaderboard, the quality of the predictions on the
held-out test split, the metric the user asks for, and every kind of input the API accepts."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, mean_absolute_error, r2_score, roc_auc_score

import manabu
from manabu.base.errors import ConfigError
from tests.frames import SHARED_DATA

TABULAR = SHARED_DATA / "tabular"
LEADERBOARD_COLUMNS = {"model", "score", "score_std", "fit_seconds", "predict_seconds", "status"}


def public(name: str) -> tuple[object, pd.DataFrame]:
    """The train.parquet path and the test frame of a public set, or skip when it is absent."""
    folder = TABULAR / name
    if not (folder / "train.parquet").is_file():
        pytest.skip(f"public data set {name} not found in {TABULAR}")
    return folder / "train.parquet", pd.read_parquet(folder / "test.parquet")


def ranked(board: pd.DataFrame) -> pd.DataFrame:
    """The rows of candidates that finished, in leaderboard order."""
    return board[board["status"] == "ok"]


def assert_best_first(board: pd.DataFrame, higher_is_better: bool) -> None:
    scores = ranked(board)["score"].to_numpy(dtype=float)
    assert len(scores) >= 2, "the test needs at least two finished candidates"
    assert np.all(np.isfinite(scores))
    steps = np.diff(scores)
    assert np.all(steps <= 1e-12) if higher_is_better else np.all(steps >= -1e-12), scores


# --------------------------------------------------------------------------------- titanic, binary

@pytest.fixture(scope="module")
def titanic():
    train, test = public("titanic")
    predictor = manabu.fit(train, target="Survived", time_limit=40,
                           models=["linear", "decision_tree"], max_trials=2,
                           verbose=False)
    return predictor, test


def test_titanic_leaderboard_is_a_frame_best_first(titanic):
    predictor, _ = titanic
    board = predictor.leaderboard()
    assert isinstance(board, pd.DataFrame)
    assert LEADERBOARD_COLUMNS <= set(board.columns)
    assert predictor.metric == "roc_auc"
    assert_best_first(board, higher_is_better=True)
    best = ranked(board).iloc[0]
    assert best["model"] == predictor.record.best_model
    assert 0.75 < best["score"] <= 1.0, "out-of-fold ROC-AUC of the best model"
    assert best["score_std"] >= 0 and best["fit_seconds"] > 0 and best["predict_seconds"] > 0


def test_titanic_predictions_on_the_test_split(titanic):
    predictor, test = titanic
    proba = predictor.predict_proba(test)
    assert list(proba.columns) == [0, 1]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert roc_auc_score(test["Survived"], proba[1]) > 0.8
    predicted = predictor.predict(test)
    assert len(predicted) == len(test) and set(predicted.unique()) <= {0, 1}
    assert accuracy_score(test["Survived"], predicted) > 0.75


def test_titanic_evaluate_gives_the_binary_metrics(titanic):
    predictor, test = titanic
    scores = predictor.evaluate(test)
    assert {"accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"} <= set(scores)
    assert scores["roc_auc"] == pytest.approx(roc_auc_score(test["Survived"], predictor.predict_proba(test)[1]))
    assert scores["accuracy"] == pytest.approx(accuracy_score(test["Survived"], predictor.predict(test)))
    assert 0.8 < scores["roc_auc"] <= 1 and 0 < scores["log_loss"] < 0.6


# ---------------------------------------------------------------------------- penguins, multiclass

def test_penguins_multiclass_with_missing_values():
    train, test = public("penguins")
    assert pd.read_parquet(train).isna().any().any(), "the set is chosen for its missing values"
    predictor = manabu.fit(train, target="species", time_limit=30, models=["linear", "decision_tree"],
                           max_trials=2, verbose=False)
    assert str(predictor.task) == "multiclass"
    assert predictor.metric == "log_loss"
    assert_best_first(predictor.leaderboard(), higher_is_better=False)
    proba = predictor.predict_proba(test)
    assert sorted(proba.columns) == ["Adelie", "Chinstrap", "Gentoo"]
    assert accuracy_score(test["species"], predictor.predict(test)) > 0.9
    scores = predictor.evaluate(test)
    assert scores["accuracy"] > 0.9 and scores["log_loss"] < 0.3


# ------------------------------------------------------------------------------ abalone, regression

def test_abalone_regression_ranked_by_mae():
    train, test = public("abalone")
    predictor = manabu.fit(train, target="rings", time_limit=40, metric="mae",
                           models=["linear", "decision_tree"], max_trials=2,
                           verbose=False)
    assert str(predictor.task) == "regression" and predictor.metric == "mae"
    board = predictor.leaderboard()
    assert_best_first(board, higher_is_better=False)  # an error: smaller is better
    predicted = predictor.predict(test)
    assert predicted.dtype == float
    mae = mean_absolute_error(test["rings"], predicted)
    baseline = mean_absolute_error(test["rings"], np.full(len(test), pd.read_parquet(train)["rings"].median()))
    assert mae < 0.75 * baseline and r2_score(test["rings"], predicted) > 0.4
    scores = predictor.evaluate(test)
    assert {"mae", "mse", "rmse", "r2"} <= set(scores)
    assert scores["mae"] == pytest.approx(mae)
    assert scores["rmse"] == pytest.approx(math.sqrt(scores["mse"]))
    with pytest.raises(manabu.ManabuError):
        predictor.predict_proba(test)


# ------------------------------------------------------------------------------ the chosen metric

@pytest.mark.parametrize("metric", ["accuracy", "f1"])
@pytest.mark.usefixtures("without_report_numbers")  # the leaderboard and evaluate() are read
def test_classification_metric_is_honoured(metric):
    train, test = public("titanic")
    predictor = manabu.fit(train, target="Survived", time_limit=30, metric=metric,
                           models=["decision_tree", "linear"], max_trials=2, validation="holdout",
                           verbose=False)
    assert predictor.metric == metric
    board = predictor.leaderboard()
    assert_best_first(board, higher_is_better=True)
    assert ranked(board)["score"].between(0, 1).all()
    assert predictor.record.best_model == ranked(board).iloc[0]["model"]
    assert metric in predictor.evaluate(test)


def test_unknown_metric_is_a_config_error():
    train, _ = public("penguins")
    with pytest.raises(ConfigError):
        manabu.fit(train, target="species", time_limit=5, metric="mae", verbose=False)


# ------------------------------------------------------------------------------------- the inputs

@pytest.mark.usefixtures("without_report_numbers")  # the predictions alone are compared
def test_csv_parquet_pandas_and_polars_inputs_agree(tmp_path):
    pl = pytest.importorskip("polars")
    train, test = public("penguins")
    frame = pd.read_parquet(train)
    csv = tmp_path / "penguins.csv"
    frame.to_csv(csv, index=False)
    sources = {"csv": csv, "parquet": train, "pandas": frame, "polars": pl.from_pandas(frame)}
    results = {}
    for kind, source in sources.items():
        predictor = manabu.fit(source, target="species", time_limit=20, models=["linear"],
                               max_trials=1, verbose=False)
        results[kind] = predictor.predict_proba(test)
    for kind, proba in results.items():
        np.testing.assert_allclose(proba.to_numpy(), results["parquet"].to_numpy(), atol=1e-6, err_msg=kind)

    test_csv = tmp_path / "test.csv"
    test.to_csv(test_csv, index=False)
    test_parquet = tmp_path / "test.parquet"
    test.to_parquet(test_parquet)
    expected = predictor.predict(test)
    for source in (test_csv, str(test_csv), test_parquet, pl.from_pandas(test)):
        assert predictor.predict(source).tolist() == expected.tolist()


# ------------------------------------------------------------------- the model folder, as manabu train

def test_fit_with_output_saves_the_model_folder_with_its_report(tmp_path):
    from manabu.artifact import verify
    from tests.frames import mixed_frame

    folder = tmp_path / "models" / "m"
    predictor = manabu.fit(mixed_frame(120), target="y", output=folder, time_limit=5, models=["linear"],
                           max_trials=1, verbose=False)
    verify(folder)
    assert (folder / "report.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    assert manabu.load(folder).predict(mixed_frame(10)).tolist() == predictor.predict(mixed_frame(10)).tolist()
    assert sorted(p.name for p in folder.parent.iterdir()) == ["m"], "no checkpoint left beside the folder"
    from manabu.base.errors import ArtifactError
    with pytest.raises(ArtifactError, match="already exists"):
        manabu.fit(mixed_frame(120), target="y", output=folder, time_limit=5, verbose=False)
    manabu.fit(mixed_frame(120), target="y", output=folder, overwrite=True, report=False, time_limit=5,
               models=["linear"], max_trials=1, verbose=False)
    assert not (folder / "report.html").exists()


def test_fit_reads_a_database_table_and_needs_a_folder_to_track(tmp_path):
    from sqlalchemy import create_engine

    from tests.frames import mixed_frame

    url = f"sqlite:///{tmp_path / 'rows.db'}"
    mixed_frame(120).to_sql("rows", create_engine(url), index=False)
    predictor = manabu.fit(url, target="y", table="rows", time_limit=5, models=["linear"], max_trials=1,
                           verbose=False)
    assert predictor.record.n_rows == 120
    with pytest.raises(ConfigError, match="output="):
        manabu.fit(url, target="y", table="rows", track=True, verbose=False)


def test_predictor_save_writes_the_report_unless_told_not_to(tmp_path):
    from manabu.artifact import verify
    from tests.frames import mixed_frame

    predictor = manabu.fit(mixed_frame(120), target="y", time_limit=5, models=["linear"], max_trials=1,
                           verbose=False)
    with_report = predictor.save(tmp_path / "with", lang="ja")
    page = (with_report / "report.html").read_text("utf-8")
    assert '<html lang="ja"' in page
    without = predictor.save(tmp_path / "without", report=False)
    assert not (without / "report.html").exists()
    verify(with_report), verify(without)


@pytest.mark.parametrize("make", [manabu.cluster, manabu.anomalies, manabu.reduce])
def test_unsupervised_save_writes_the_report_unless_told_not_to(tmp_path, make):
    from tests.frames import mixed_frame

    model = make(mixed_frame(80).drop(columns=["y"]))
    assert (model.save(tmp_path / "with") / "report.html").is_file()
    assert not (model.save(tmp_path / "without", report=False) / "report.html").exists()


def test_a_missing_page_maker_is_one_clear_error(tmp_path, monkeypatch):
    from manabu.artifact import pages
    from manabu.base.errors import ArtifactError
    from tests.frames import mixed_frame

    monkeypatch.setattr(pages, "entry_points", lambda **selection: ())
    model = manabu.cluster(mixed_frame(80).drop(columns=["y"]))
    with pytest.raises(ArtifactError, match="manabu.pages") as raised:
        model.save(tmp_path / "m")
    assert "pip" in raised.value.render("en") and "pip" in raised.value.render("ja")
    assert not (tmp_path / "m").exists()
    model.save(tmp_path / "m", report=False)  # the model alone needs no page
