"""The Predictor: saving and loading it, the data it accepts at predict time, the validation it
was scored with, its determinism, and what it tells the user (notices, repr)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import manabu
from manabu.data.schema import ColumnType, Role
from manabu.data.splits import ValidationPlan, make_folds
from manabu.base.errors import ArtifactError, SchemaError
from tests.frames import SHARED_DATA, mixed_frame

TABULAR = SHARED_DATA / "tabular"


def public(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = TABULAR / name
    if not (folder / "train.parquet").is_file():
        pytest.skip(f"public data set {name} not found in {TABULAR}")
    return pd.read_parquet(folder / "train.parquet"), pd.read_parquet(folder / "test.parquet")


def quick_fit(data, target: str, **options) -> manabu.Predictor:
    """A fit whose candidates are fixed in advance, so time does not decide what runs. (The
    tests of the validation, determinism and notices train ``without_report_numbers``: they read
    the schema, the validation, the leaderboard and the predictions.)"""
    options = {"time_limit": 30, "models": ["linear"], "max_trials": 1, "verbose": False, **options}
    return manabu.fit(data, target=target, **options)


@pytest.fixture(scope="module")
def titanic():
    train, test = public("titanic")
    predictor = quick_fit(train, "Survived", models=["linear", "decision_tree"], max_trials=2,
                          validation="holdout")
    return predictor, test


@pytest.fixture(scope="module")
def penguins():
    """A small model without text columns: quick to save and load many times."""
    train, test = public("penguins")
    return quick_fit(train, "species", validation="holdout"), test


# ---------------------------------------------------------------------------------- save and load

def test_save_and_load_give_identical_predictions(titanic, tmp_path):
    predictor, test = titanic
    folder = predictor.save(tmp_path / "titanic")
    loaded = manabu.load(folder)
    pd.testing.assert_frame_equal(loaded.predict_proba(test), predictor.predict_proba(test), check_exact=True)
    pd.testing.assert_series_equal(loaded.predict(test), predictor.predict(test))
    pd.testing.assert_frame_equal(loaded.leaderboard(), predictor.leaderboard())
    assert loaded.record.best_model == predictor.record.best_model
    assert loaded.record.validation == predictor.record.validation
    assert [n.key for n in loaded.notices] == [n.key for n in predictor.notices]
    assert loaded.evaluate(test) == pytest.approx(predictor.evaluate(test))


def test_lightgbm_multiclass_round_trip(tmp_path):
    """LightGBM is saved in its own text format, with native categoricals and string classes."""
    train, test = public("penguins")
    predictor = quick_fit(train, "species", models=["lightgbm"], validation="holdout")
    assert predictor.record.best_model == "lightgbm"
    loaded = manabu.load(predictor.save(tmp_path / "penguins"))
    pd.testing.assert_frame_equal(loaded.predict_proba(test), predictor.predict_proba(test), check_exact=True)
    assert loaded.predict(test).tolist() == predictor.predict(test).tolist()
    assert (loaded.predict(test) == test["species"]).mean() > 0.9


def test_tampered_folder_is_refused(penguins, tmp_path):
    predictor, _ = penguins
    folder = predictor.save(tmp_path / "model", report=False)  # report.html is not checksummed
    model_files = [p for p in folder.iterdir() if p.name != "manifest.json"]
    assert model_files
    data = bytearray(model_files[0].read_bytes())
    data[len(data) // 2] ^= 0x01
    model_files[0].write_bytes(bytes(data))
    with pytest.raises(ArtifactError) as caught:
        manabu.load(folder)
    assert model_files[0].name in str(caught.value)


def test_saving_twice_needs_overwrite(penguins, tmp_path):
    predictor, test = penguins
    folder = predictor.save(tmp_path / "model")
    with pytest.raises(ArtifactError) as caught:
        predictor.save(folder, report=False)  # the refusal does not depend on the page (seconds to draw)
    assert caught.value.key == "artifact.exists" and str(folder) in str(caught.value)
    predictor.save(folder, overwrite=True, report=False)
    assert manabu.load(folder).predict(test).tolist() == predictor.predict(test).tolist()


# ------------------------------------------------------------------------------- predict-time data

def test_extra_columns_are_ignored_and_order_does_not_matter(titanic):
    predictor, test = titanic
    expected = predictor.predict_proba(test)
    extra = test.assign(comment="walk-in", weight=np.arange(len(test)))
    pd.testing.assert_frame_equal(predictor.predict_proba(extra), expected)
    shuffled = test[list(np.random.default_rng(0).permutation(test.columns))]
    pd.testing.assert_frame_equal(predictor.predict_proba(shuffled), expected)
    moved = test.set_axis(test.index + 1000)  # predictions keep the rows' index, to join back
    assert predictor.predict(moved).index.equals(moved.index)


def test_target_column_may_be_absent(titanic):
    predictor, test = titanic
    pd.testing.assert_frame_equal(predictor.predict_proba(test.drop(columns="Survived")),
                                  predictor.predict_proba(test))
    with pytest.raises(SchemaError) as caught:
        predictor.evaluate(test.drop(columns="Survived"))
    assert "Survived" in str(caught.value)


def test_missing_columns_are_listed_in_one_error(titanic):
    predictor, test = titanic
    with pytest.raises(SchemaError) as caught:
        predictor.predict(test.drop(columns=["Age", "Sex", "Embarked"]))
    message = str(caught.value)
    assert all(f'"{name}"' in message for name in ("Age", "Sex", "Embarked")), message
    assert "Pclass" not in message


def test_missing_columns_error_names_the_file(titanic, tmp_path):
    predictor, test = titanic
    path = tmp_path / "new_passengers.csv"
    test.drop(columns=["Fare"]).to_csv(path, index=False)
    with pytest.raises(SchemaError) as caught:
        predictor.predict(path)
    assert '"Fare"' in str(caught.value) and "new_passengers.csv" in str(caught.value)


def test_unseen_categories_and_missing_values(titanic):
    predictor, test = titanic
    odd = test.head(6).copy()
    odd["Sex"] = "unknown"
    odd["Embarked"] = "Z"
    odd["Ticket"] = "NEW-0001"
    odd["Cabin"] = "Z99"
    odd.loc[odd.index[0], ["Age", "Fare", "Name", "Pclass"]] = np.nan
    odd.loc[odd.index[1], :] = np.nan
    proba = predictor.predict_proba(odd)
    assert proba.shape == (6, 2) and np.isfinite(proba.to_numpy()).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(predictor.predict(odd)) <= {0, 1}


def test_dtypes_that_differ_from_training(titanic):
    """A CSV may turn ints into floats, or every column into text: the predictions stay the same."""
    predictor, test = titanic
    expected = predictor.predict_proba(test)
    as_floats = test.astype({"Pclass": float, "SibSp": float, "Parch": float})
    pd.testing.assert_frame_equal(predictor.predict_proba(as_floats), expected)
    # Missing cells stay missing, as a CSV writes them; only the values become text.
    as_text = test.map(lambda value: np.nan if pd.isna(value) else str(value))
    np.testing.assert_allclose(predictor.predict_proba(as_text).to_numpy(), expected.to_numpy(), atol=1e-12)


def test_dates_read_as_text_at_predict_time():
    frame = mixed_frame(n=200, task="regression")
    predictor = quick_fit(frame, "y", models=["decision_tree"], validation="holdout")
    assert predictor.schema.column("when").type is ColumnType.DATETIME
    expected = predictor.predict(frame)
    as_text = frame.assign(when=frame["when"].dt.strftime("%Y-%m-%d"))
    assert as_text["when"].dtype != frame["when"].dtype
    np.testing.assert_array_equal(predictor.predict(as_text).to_numpy(), expected.to_numpy())


# -------------------------------------------------------------------------------------- validation

def grouped_frame(n_groups: int = 40, per_group: int = 10) -> pd.DataFrame:
    """Each patient has their own label and their own position in feature space: a model can
    memorise patients, which only a split that keeps each patient on one side will reveal."""
    rng = np.random.default_rng(1)
    group = np.repeat(np.arange(n_groups), per_group)
    centre = rng.normal(size=(n_groups, 3))
    label = rng.integers(0, 2, n_groups)
    frame = pd.DataFrame(centre[group] + rng.normal(scale=0.01, size=(len(group), 3)), columns=["a", "b", "c"])
    frame["patient"] = [f"P{g:03d}" for g in group]
    frame["y"] = np.where(label[group] == 1, "yes", "no")
    return frame


@pytest.mark.usefixtures("without_report_numbers")
def test_groups_stay_within_one_fold():
    frame = grouped_frame()
    grouped = quick_fit(frame, "y", models=["decision_tree"], group="patient")
    plain = quick_fit(frame, "y", models=["decision_tree"])
    plan = ValidationPlan.from_dict(grouped.record.validation)
    assert plan.kind == "group_kfold" and plan.n_groups == 40
    assert grouped.schema.column("patient").role is Role.GROUP
    y = (frame["y"] == "yes").to_numpy(dtype=int)
    for train, valid in make_folds(plan, len(frame), y, groups=frame["patient"]):
        assert not set(frame["patient"].iloc[train]) & set(frame["patient"].iloc[valid])
    # memorised patients look perfect with shuffled rows, and no better than chance with groups
    assert plain.leaderboard()["score"].iloc[0] > 0.95
    assert grouped.leaderboard()["score"].iloc[0] < 0.7


@pytest.mark.usefixtures("without_report_numbers")
def test_time_column_gives_a_time_ordered_split():
    """Labels come in long runs of days; rows are shuffled in the file. Validating on later days
    only (as time= must) cannot interpolate between neighbouring days as shuffled folds can."""
    rng = np.random.default_rng(2)
    days = pd.date_range("2023-01-01", periods=400, freq="D")
    regime = rng.integers(0, 2, 400 // 20).repeat(20)
    frame = pd.DataFrame({"day": days.strftime("%Y/%m/%d"), "day_number": np.arange(400),
                          "noise": rng.normal(size=400), "y": np.where(regime == 1, "up", "down")})
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    timed = quick_fit(frame, "y", models=["decision_tree"], time="day")
    plain = quick_fit(frame, "y", models=["decision_tree"])
    plan = ValidationPlan.from_dict(timed.record.validation)
    assert plan.kind == "time" and plan.n_splits == 5
    assert timed.schema.column("day").role is Role.TIME and "day" not in timed.schema.prepare(frame)
    when = pd.to_datetime(frame["day"], format="%Y/%m/%d")
    for train, valid in make_folds(plan, len(frame), time=when):
        assert when.iloc[train].max() < when.iloc[valid].min()
    assert plain.leaderboard()["score"].iloc[0] > 0.95
    assert timed.leaderboard()["score"].iloc[0] < 0.85


@pytest.mark.usefixtures("without_report_numbers")
def test_tiny_data_uses_leave_one_out():
    frame = mixed_frame(n=40, task="regression")
    predictor = quick_fit(frame, "y")
    assert predictor.record.validation["kind"] == "loo"
    assert predictor.record.validation["n_splits"] == 40
    assert np.isfinite(predictor.leaderboard()["score"].iloc[0])


@pytest.mark.usefixtures("without_report_numbers")
def test_validation_override_to_holdout():
    frame = mixed_frame(n=300, task="binary")
    auto = quick_fit(frame, "y")
    holdout = quick_fit(frame, "y", validation="holdout")
    assert auto.record.validation["kind"] == "stratified_kfold" and auto.record.validation["n_splits"] == 5
    assert holdout.record.validation["kind"] == "holdout" and holdout.record.validation["n_splits"] == 1
    assert holdout.record.validation["test_size"] == pytest.approx(0.2)


# ------------------------------------------------------------------------------------- determinism

@pytest.mark.usefixtures("without_report_numbers")
def test_same_data_and_seed_give_the_same_result():
    train, test = public("penguins")
    runs = [quick_fit(train, "species", models=["linear", "decision_tree", "knn"], max_trials=6, seed=7)
            for _ in range(2)]
    boards = [run.leaderboard() for run in runs]
    assert len(boards[0]) == 6, "portfolio defaults, then random configurations"
    assert boards[0]["model"].tolist() == boards[1]["model"].tolist()
    np.testing.assert_array_equal(boards[0]["score"].to_numpy(), boards[1]["score"].to_numpy())
    assert boards[0]["params"].tolist() == boards[1]["params"].tolist()
    pd.testing.assert_frame_equal(runs[0].predict_proba(test), runs[1].predict_proba(test), check_exact=True)


# ----------------------------------------------------------------------------------------- notices

@pytest.mark.usefixtures("without_report_numbers")
def test_id_column_is_dropped_with_a_notice():
    frame = mixed_frame(n=300, task="binary")
    frame.insert(0, "customer_id", [f"C-{i:05d}" for i in range(len(frame))])
    predictor = quick_fit(frame, "y")
    assert predictor.schema.column("customer_id").role is Role.DROPPED
    notice = next(n for n in predictor.notices if n.key == "schema.id_dropped")
    assert notice.params["name"] == "customer_id"
    assert "customer_id" in notice.render("en")
    # an id column the model never used is not required at predict time
    predictor.predict(frame.drop(columns="customer_id"))


@pytest.mark.usefixtures("without_report_numbers")
def test_leaky_column_is_flagged():
    frame = mixed_frame(n=300, task="regression")
    frame["y_copy"] = frame["y"] * 2.0 + 1.0 + np.random.default_rng(0).normal(scale=1e-3, size=len(frame))
    predictor = quick_fit(frame, "y")
    assert predictor.schema.column("y_copy").leakage
    assert [n.params["name"] for n in predictor.notices if n.key == "schema.leakage"] == ["y_copy"]


def test_repr_says_what_the_predictor_is(titanic):
    predictor, _ = titanic
    text = repr(predictor)
    best = predictor.leaderboard().iloc[0]
    for part in ("binary", "Survived", predictor.record.best_model, "roc_auc", f"{best['score']:.4f}", "712"):
        assert part in text, text
