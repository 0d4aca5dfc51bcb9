"""Task: what kind of prediction the target asks for (binary, multiclass or regression).

Detected from the target's values, overridable by the user. The rule for whole-number targets,
which could be either labels or counts:

* text, booleans and categories are classes (2 classes: binary, more: multiclass);
* numbers with a fractional part are a regression target;
* whole numbers with 2 distinct values are binary; with 3 to ``MAX_CLASSES`` (30) distinct
  values, each seen in at least ``MIN_ROWS_PER_CLASS`` (5) rows, they are multiclass (ratings,
  label-encoded classes such as letters or digits); otherwise they are a regression target.
  Counts and ages have thin tails (a few rows at the extremes), which is what tells them apart
  from labels: abalone's 26 ring counts are regression, letter's 26 coded letters are classes.
"""
from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from manabu.base.errors import TargetError
from manabu.base.i18n import Notice

MAX_CLASSES = 30
MIN_ROWS_PER_CLASS = 5
IMBALANCE_SHARE = 0.05


class Task(StrEnum):
    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"


def detect_task(y: pd.Series, override: str | None = None) -> Task:
    """The task for target ``y`` (missing values ignored), or ``override`` once it is checked."""
    name = str(y.name)
    values = y.dropna()
    if values.empty:
        raise TargetError("task.target_all_missing", name=name, n=len(y))
    numbers = _as_numbers(values)
    n_distinct = int(values.nunique())
    if n_distinct < 2:
        raise TargetError("task.single_class", name=name, value=str(values.iloc[0])[:40])
    if override is not None:
        return _checked_override(override, name, values, numbers, n_distinct)
    if numbers is None:
        return Task.BINARY if n_distinct == 2 else Task.MULTICLASS
    if not _whole(numbers):
        return Task.REGRESSION
    if n_distinct == 2:
        return Task.BINARY
    if n_distinct <= MAX_CLASSES and values.value_counts().min() >= MIN_ROWS_PER_CLASS:
        return Task.MULTICLASS
    return Task.REGRESSION


def target_notices(y: pd.Series, task: Task | None = None) -> list[Notice]:
    """Informative notices about the target: rows it leaves out, classes that are rare."""
    name = str(y.name)
    notices = []
    n_missing = int(y.isna().sum())
    if n_missing:
        notices.append(Notice("task.missing_target_rows", {"name": name, "n": n_missing, "total": len(y)}))
    if task is None:
        try:
            task = detect_task(y)
        except TargetError:
            return notices
    if task is not Task.REGRESSION:
        counts = y.dropna().value_counts()
        share = float(counts.iloc[-1] / counts.sum())
        if share < IMBALANCE_SHARE:
            notices.append(Notice("task.class_imbalance", {
                "name": name, "label": str(counts.index[-1]), "share": share, "n": int(counts.iloc[-1])}))
    return notices


def _as_numbers(values: pd.Series) -> np.ndarray | None:
    """Float values when the target is numeric (booleans and text are classes), else None."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return None
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=float)
    if values.dtype == object and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)) for v in values):
        return values.to_numpy(dtype=float)
    return None


def _whole(numbers: np.ndarray) -> bool:
    finite = numbers[np.isfinite(numbers)]
    return len(finite) == len(numbers) and bool(np.all(finite == np.round(finite)))


def _checked_override(override: str, name: str, values: pd.Series, numbers: np.ndarray | None,
                      n_distinct: int) -> Task:
    choices = ", ".join(t.value for t in Task)
    try:
        task = Task(str(override).strip().lower())
    except ValueError:
        raise TargetError("task.unknown", value=str(override), choices=choices) from None
    if task is Task.REGRESSION and numbers is None:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if pd.api.types.is_bool_dtype(values.dtype) or np.isnan(numbers).any():
            bad = values[np.isnan(numbers)] if np.isnan(numbers).any() else values
            raise TargetError("task.regression_needs_numbers", name=name, example=str(bad.iloc[0])[:40])
    if task is Task.BINARY and n_distinct != 2:
        raise TargetError("task.binary_needs_two_classes", name=name, n=n_distinct)
    if task is Task.MULTICLASS and n_distinct < 3:
        raise TargetError("task.multiclass_needs_three_classes", name=name)
    return task
