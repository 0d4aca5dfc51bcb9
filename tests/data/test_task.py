"""Task detection from the target's values, overrides, and notices about the target."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from manabu.data.task import Task, detect_task, target_notices
from manabu.base.errors import TargetError

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "tabular"


@pytest.mark.parametrize(("values", "task"), [
    (["yes", "no"] * 10, Task.BINARY),
    (["cat", "dog", "fox"] * 10, Task.MULTICLASS),
    ([True, False] * 10, Task.BINARY),
    (pd.Categorical(["a", "b", "c", "d"] * 5), Task.MULTICLASS),
    ([0, 1] * 10, Task.BINARY),
    ([0.0, 1.0, np.nan] * 10, Task.BINARY),
    ([1, 2, 3, 4, 5] * 20, Task.MULTICLASS),        # ratings: few whole numbers, many rows each
    (list(range(200)), Task.REGRESSION),              # whole numbers but mostly distinct
    ([1, 2, 3, 4, 5, 6, 7], Task.REGRESSION),         # too few rows per value to be classes
    ([0] * 30 + [1] * 30 + [2] * 20 + [3] * 10 + [4] * 3 + [6], Task.REGRESSION),  # a count's thin tail
    (list(np.linspace(0, 1, 50)), Task.REGRESSION),
    ([1.5, 2.5] * 10, Task.REGRESSION),               # two values, but not whole numbers
])
def test_detect(values, task):
    assert detect_task(pd.Series(values, name="target")) is task


def test_a_class_with_a_single_example_is_fine():
    assert detect_task(pd.Series(["a"] * 10 + ["b"] * 10 + ["c"])) is Task.MULTICLASS


def test_all_missing_target():
    with pytest.raises(TargetError) as e:
        detect_task(pd.Series([None, np.nan], name="price", dtype=object))
    assert e.value.key == "task.target_all_missing" and e.value.params["n"] == 2
    assert "price" in e.value.render("ja")


def test_single_class_says_what_to_do():
    with pytest.raises(TargetError) as e:
        detect_task(pd.Series(["ok"] * 5 + [None], name="status"))
    assert e.value.key == "task.single_class" and e.value.params["value"] == "ok"


def test_override_is_checked():
    labels = pd.Series(["a", "b", "c"] * 10, name="label")
    assert detect_task(labels, "multiclass") is Task.MULTICLASS
    assert detect_task(pd.Series([1, 2, 3] * 10), " Regression ") is Task.REGRESSION
    assert detect_task(pd.Series(["1.5", "2", "3"] * 10), "regression") is Task.REGRESSION
    with pytest.raises(TargetError) as e:
        detect_task(labels, "classify")
    assert e.value.key == "task.unknown" and e.value.params["choices"] == "binary, multiclass, regression"
    with pytest.raises(TargetError) as e:
        detect_task(labels, "regression")
    assert e.value.key == "task.regression_needs_numbers" and e.value.params["example"] == "a"
    with pytest.raises(TargetError) as e:
        detect_task(labels, "binary")
    assert e.value.key == "task.binary_needs_two_classes" and e.value.params["n"] == 3
    with pytest.raises(TargetError) as e:
        detect_task(pd.Series(["a", "b"] * 5), "multiclass")
    assert e.value.key == "task.multiclass_needs_three_classes"


def test_notices_for_missing_rows_and_imbalance():
    y = pd.Series(["ok"] * 97 + ["fraud"] * 2 + [None], name="label")
    notices = {n.key: n for n in target_notices(y)}
    assert notices["task.missing_target_rows"].params == {"name": "label", "n": 1, "total": 100}
    imbalance = notices["task.class_imbalance"]
    assert imbalance.params["label"] == "fraud" and imbalance.params["n"] == 2
    assert "2.0%" in imbalance.render("en") and "2.0%" in imbalance.render("ja")


def test_no_notices_for_a_clean_balanced_or_regression_target():
    assert target_notices(pd.Series(["a", "b"] * 50)) == []
    assert target_notices(pd.Series(np.linspace(0, 1, 100))) == []
    assert [n.key for n in target_notices(pd.Series([np.nan] * 3))] == ["task.missing_target_rows"]


@pytest.mark.parametrize(("name", "target", "task"), [
    ("titanic", "Survived", Task.BINARY), ("adult", "class", Task.BINARY),
    ("penguins", "species", Task.MULTICLASS), ("letter", "target", Task.MULTICLASS),
    ("house_prices", "SalePrice", Task.REGRESSION), ("abalone", "rings", Task.REGRESSION),
    ("bike_sharing_hourly", "cnt", Task.REGRESSION),
])
def test_public_data_sets(name, target, task):
    path = DATA / name / "train.parquet"
    if not path.exists():
        pytest.skip(f"public data set {name} is not in {DATA}")
    assert detect_task(pd.read_parquet(path, columns=[target])[target]) is task
