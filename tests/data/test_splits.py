"""Choosing and making validation folds: each rule, and the guarantees the folds must keep."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from manabu.data.splits import ValidationPlan, choose_validation, make_folds
from manabu.base.errors import ConfigError, DataError

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _check_partition(folds: list[tuple[np.ndarray, np.ndarray]], n_rows: int) -> None:
    """Train and valid never overlap, and every index is a row."""
    assert folds
    for train, valid in folds:
        assert len(train) and len(valid)
        assert not set(train) & set(valid)
        assert train.max() < n_rows and valid.max() < n_rows


# ---- the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n_rows, kind, n_splits",
    [(2, "loo", 2), (50, "loo", 50), (51, "kfold", 5), (10_000, "kfold", 5),
     (10_001, "kfold", 3), (100_000, "kfold", 3), (100_001, "holdout", 1)],
)
def test_size_rules_for_regression(n_rows: int, kind: str, n_splits: int) -> None:
    plan = choose_validation(n_rows, "regression")
    assert (plan.kind, plan.n_splits) == (kind, n_splits)
    assert plan.test_size == (0.2 if kind == "holdout" else None)


def test_classification_is_stratified() -> None:
    y = np.repeat([0, 1, 2], [300, 200, 100])
    plan = choose_validation(len(y), "multiclass", y)
    assert (plan.kind, plan.n_splits, plan.stratified) == ("stratified_kfold", 5, True)
    folds = make_folds(plan, len(y), y)
    _check_partition(folds, len(y))
    for _, valid in folds:
        assert np.bincount(y[valid]).tolist() == [60, 40, 20]  # proportions kept exactly
    # every row is validated exactly once
    assert sorted(np.concatenate([v for _, v in folds]).tolist()) == list(range(len(y)))


def test_large_classification_holdout_is_stratified() -> None:
    y = np.tile([0, 0, 0, 1], 25_001)
    plan = choose_validation(len(y), "binary", y)
    assert (plan.kind, plan.stratified, plan.test_size) == ("holdout", True, 0.2)
    [(train, valid)] = make_folds(plan, len(y), y)
    assert len(valid) == 20_001
    assert y[valid].mean() == pytest.approx(0.25, abs=1e-3)


def test_tiny_data_is_leave_one_out() -> None:
    y = np.array([0, 1] * 10)
    plan = choose_validation(20, "binary", y)
    folds = make_folds(plan, 20, y)
    assert plan.kind == "loo" and len(folds) == 20
    assert all(len(valid) == 1 and len(train) == 19 for train, valid in folds)


def test_small_class_reduces_the_number_of_folds() -> None:
    y = np.array([0] * 97 + [1] * 3)
    plan = choose_validation(100, "binary", y)
    assert (plan.kind, plan.n_splits) == ("stratified_kfold", 3)
    assert [n.key for n in plan.notes] == ["validation.note_fewer_folds"]
    folds = make_folds(plan, 100, y)
    assert all((y[valid] == 1).sum() == 1 for _, valid in folds)


def test_single_member_class_still_gives_folds() -> None:
    y = np.array([0] * 60 + [1] * 39 + [2])
    plan = choose_validation(100, "multiclass", y)
    assert (plan.kind, plan.n_splits, plan.stratified) == ("kfold", 5, False)
    assert plan.notes[0].key == "validation.note_unstratified"
    folds = make_folds(plan, 100, y)
    _check_partition(folds, 100)
    assert len(folds) == 5


def test_single_member_class_in_a_large_holdout() -> None:
    y = np.zeros(100_010, dtype=int)
    y[7] = 1
    plan = choose_validation(len(y), "binary", y, override="holdout")
    assert plan.kind == "holdout" and not plan.stratified
    [(train, valid)] = make_folds(plan, len(y), y)
    assert len(train) + len(valid) == len(y)


# ---- groups ---------------------------------------------------------------------------------


def test_groups_never_split_across_train_and_valid() -> None:
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 40, 600)
    y = rng.integers(0, 2, 600)
    plan = choose_validation(600, "binary", y, groups=groups)
    assert (plan.kind, plan.n_splits, plan.n_groups, plan.stratified) == ("group_kfold", 5, 40, True)
    folds = make_folds(plan, 600, y, groups=groups)
    _check_partition(folds, 600)
    for train, valid in folds:
        assert not set(groups[train]) & set(groups[valid])


def test_group_folds_never_empty_on_awkward_data() -> None:
    rng = np.random.default_rng(1)
    for _ in range(40):
        n = int(rng.integers(4, 60))
        groups = rng.integers(0, int(rng.integers(2, 9)), n)
        if len(np.unique(groups)) < 2:
            continue
        y = rng.integers(0, 3, n)
        plan = choose_validation(n, "multiclass", y, groups=groups)
        folds = make_folds(plan, n, y, groups=groups)
        assert len(folds) == plan.n_splits <= plan.n_groups
        _check_partition(folds, n)
        for train, valid in folds:
            assert not set(groups[train]) & set(groups[valid])


def test_regression_groups_use_string_ids_and_cap_folds() -> None:
    groups = pd.Series(["a", "b", "c"] * 40, dtype="str")
    plan = choose_validation(120, "regression", np.arange(120.0), groups=groups)
    assert (plan.kind, plan.n_splits, plan.stratified) == ("group_kfold", 3, False)
    assert plan.notes[0].key == "validation.note_few_groups"
    folds = make_folds(plan, 120, groups=groups)
    assert sorted(set(groups.iloc[v].unique()[0] for _, v in folds)) == ["a", "b", "c"]


def test_large_data_with_groups_is_a_group_holdout() -> None:
    n = 100_001
    groups = np.arange(n) // 10
    plan = choose_validation(n, "regression", groups=groups)
    assert plan.kind == "holdout" and plan.n_groups == len(np.unique(groups))
    [(train, valid)] = make_folds(plan, n, groups=groups)
    assert not set(groups[train]) & set(groups[valid])


def test_too_few_groups() -> None:
    with pytest.raises(ConfigError) as err:
        choose_validation(100, "binary", np.arange(100) % 2, groups=np.ones(100))
    assert err.value.key == "validation.too_few_groups"
    assert "1" in err.value.render("en") and "1" in err.value.render("ja")


# ---- time -----------------------------------------------------------------------------------


def test_time_order_is_respected() -> None:
    rng = np.random.default_rng(2)
    time = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.permutation(500), unit="D"))
    plan = choose_validation(500, "regression", time=time)
    assert (plan.kind, plan.n_splits) == ("time", 5)
    folds = make_folds(plan, 500, time=time)
    assert len(folds) == 5
    _check_partition(folds, 500)
    for train, valid in folds:
        assert time.iloc[train].max() <= time.iloc[valid].min()
    # expanding window: each split trains on more rows than the one before
    sizes = [len(train) for train, _ in folds]
    assert sizes == sorted(sizes) and len(set(sizes)) == 5


def test_time_with_ties_and_numbers() -> None:
    time = np.array([3, 1, 2, 2, 5, 4, 4, 1, 3, 5, 6, 6] * 5)
    plan = choose_validation(len(time), "binary", np.arange(len(time)) % 2, time=time)
    for train, valid in make_folds(plan, len(time), time=time):
        assert time[train].max() <= time[valid].min()


def test_huge_time_data_holds_out_the_latest_rows() -> None:
    n = 100_001
    time = np.arange(n)[::-1]  # latest first
    plan = choose_validation(n, "regression", time=time)
    assert (plan.kind, plan.n_splits, plan.test_size) == ("time", 1, 0.2)
    [(train, valid)] = make_folds(plan, n, time=time)
    assert len(valid) == 20_001
    assert time[train].max() < time[valid].min()
    assert set(valid) == set(range(20_001))  # the first rows are the latest


def test_short_series_uses_fewer_splits() -> None:
    plan = choose_validation(4, "regression", time=[4, 3, 2, 1])
    assert (plan.kind, plan.n_splits) == ("time", 3)
    assert plan.notes[0].key == "validation.note_short_series"
    assert len(make_folds(plan, 4, time=[4, 3, 2, 1])) == 3


def test_missing_time_values_are_an_error() -> None:
    with pytest.raises(DataError) as err:
        choose_validation(3, "regression", time=[1.0, np.nan, 2.0])
    assert err.value.key == "validation.time_missing"


def test_group_and_time_together_is_an_error() -> None:
    with pytest.raises(ConfigError) as err:
        choose_validation(10, "regression", groups=[1, 2] * 5, time=range(10))
    assert err.value.key == "validation.group_and_time"


# ---- overrides ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "override, kind, n_splits",
    [("holdout", "holdout", 1), ("Hold-out", "holdout", 1), ("kfold", "stratified_kfold", 5),
     ("loo", "loo", 300), ("10", "stratified_kfold", 10), (7, "stratified_kfold", 7),
     ("CV3", "stratified_kfold", 3), ("auto", "stratified_kfold", 5), ("", "stratified_kfold", 5),
     (None, "stratified_kfold", 5)],
)
def test_overrides(override: object, kind: str, n_splits: int) -> None:
    y = np.arange(300) % 2
    plan = choose_validation(300, "binary", y, override=override)
    assert (plan.kind, plan.n_splits, plan.stratified) == (kind, n_splits, kind != "loo")
    assert len(make_folds(plan, 300, y)) == plan.n_splits


@pytest.mark.parametrize("override", ["bootstrap", "1", "0", "k-fold-ish", "-3"])
def test_invalid_override_lists_choices(override: str) -> None:
    with pytest.raises(ConfigError) as err:
        choose_validation(100, "regression", override=override)
    assert err.value.key == "validation.bad_override"
    assert "holdout" in err.value.render("en") and "loo" in err.value.render("ja")


def test_loo_with_groups_leaves_one_group_out() -> None:
    groups = np.arange(90) % 6
    plan = choose_validation(90, "regression", groups=groups, override="loo")
    folds = make_folds(plan, 90, groups=groups)
    assert (plan.kind, plan.n_splits) == ("group_kfold", 6)
    assert sorted(len(set(groups[v])) for _, v in folds) == [1] * 6


def test_too_many_splits_is_refused_before_any_fold_is_made() -> None:
    with pytest.raises(ConfigError) as err:
        choose_validation(1_000_000, "regression", override="loo")
    assert err.value.key == "validation.too_many_splits"
    assert "1,000,000" in err.value.render("en")


def test_more_folds_than_rows_is_an_error() -> None:
    with pytest.raises(ConfigError) as err:
        choose_validation(8, "regression", override="10")
    assert err.value.key == "validation.too_many_folds"


def test_loo_with_time_is_an_error() -> None:
    with pytest.raises(ConfigError) as err:
        choose_validation(30, "regression", time=range(30), override="loo")
    assert err.value.key == "validation.loo_with_time"


def test_too_few_rows() -> None:
    with pytest.raises(DataError) as err:
        choose_validation(1, "regression")
    assert err.value.key == "validation.too_few_rows"


# ---- determinism, descriptions, real data ---------------------------------------------------


def test_same_seed_same_folds_other_seed_other_folds() -> None:
    y = np.arange(1000) % 3
    plan = choose_validation(1000, "multiclass", y, seed=7)
    a = make_folds(plan, 1000, y)
    b = make_folds(plan, 1000, y)
    c = make_folds(plan, 1000, y, seed=8)
    assert all(np.array_equal(x[1], z[1]) for x, z in zip(a, b))
    assert not all(np.array_equal(x[1], z[1]) for x, z in zip(a, c))


def test_describe_and_round_trip() -> None:
    plan = choose_validation(2000, "binary", np.arange(2000) % 2)
    assert plan.describe().render("en") == "5-fold stratified cross-validation (2,000 rows)"
    assert "2,000" in plan.describe().render("ja")
    data = plan.to_dict()
    assert data["description"]["en"] == "5-fold stratified cross-validation (2,000 rows)"
    assert ValidationPlan.from_dict(data) == plan


@pytest.mark.parametrize(
    "plan",
    [
        ValidationPlan("holdout", 1, 0.2, 500),
        ValidationPlan("holdout", 1, 0.2, 500, True),
        ValidationPlan("holdout", 1, 0.2, 500, n_groups=9),
        ValidationPlan("kfold", 3, None, 500),
        ValidationPlan("stratified_kfold", 3, None, 500, True),
        ValidationPlan("group_kfold", 3, None, 500, True, 9),
        ValidationPlan("group_kfold", 3, None, 500, False, 9),
        ValidationPlan("time", 5, None, 500),
        ValidationPlan("time", 1, 0.2, 500),
        ValidationPlan("loo", 500, None, 500),
    ],
)
def test_every_plan_describes_itself_in_both_languages(plan: ValidationPlan) -> None:
    en, ja = plan.describe().render("en"), plan.describe().render("ja")
    assert "500" in en and "500" in ja and en != ja


def test_on_a_real_data_set() -> None:
    path = DATA / "tabular" / "credit_g" / "train.parquet"
    if not path.exists():
        pytest.skip(f"shared data not found at {path}")
    y = pd.read_parquet(path)["class"]
    plan = choose_validation(len(y), "binary", y)
    assert plan.kind == "stratified_kfold" and plan.n_splits == 5
    folds = make_folds(plan, len(y), y)
    overall = (y == y.iloc[0]).mean()
    for _, valid in folds:
        assert (y.iloc[valid] == y.iloc[0]).mean() == pytest.approx(overall, abs=0.01)


def test_the_first_folds_of_a_kfold_plan_are_its_own_first_folds() -> None:
    """When the search had time for the first folds only (``search.loop``), the plan says so,
    keeps it through the manifest, and makes those folds and no others."""
    y = np.tile([0, 1], 100)
    plan = choose_validation(200, "binary", y, seed=2)
    assert plan.can_use_first_folds
    first = plan.first_folds(1)
    (train, valid), = make_folds(first, 200, y)
    want_train, want_valid = make_folds(plan, 200, y)[0]
    assert np.array_equal(train, want_train) and np.array_equal(valid, want_valid)
    assert ValidationPlan.from_dict(first.to_dict()) == first
    description = first.describe()
    assert description.key == "validation.describe_first_folds"
    assert description.params == {"used": 1, "n_splits": 5, "n_rows": 200, "pct": 20}
    assert plan.first_folds(5).folds_used is None  # all of them: the plan as it was
    times = pd.Series(np.arange(200.0))
    assert not choose_validation(200, "regression", time=times).can_use_first_folds
