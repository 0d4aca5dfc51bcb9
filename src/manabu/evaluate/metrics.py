"""Metrics: one small registry over ``sklearn.metrics``, so every score in manabu is computed
the same way (the leaderboard, the report, the benchmark) and named the same way everywhere.

Conventions, shown to learners in the report:

- Classification labels are integer-encoded ``0..k-1`` by the caller; ``proba`` is an ``(n, k)``
  array whose columns follow ``classes`` (``range(k)`` unless told otherwise). Pass ``classes``
  (every class of the training target) when scoring one fold, so that a class missing from that
  fold still counts.
- ``precision``, ``recall`` and ``f1`` are those of the positive class for a binary task (the
  second of the sorted classes) and the macro average over classes for a multiclass task.
  Precision of a model that predicts no positive is 0, as in scikit-learn.
- ``roc_auc`` uses the probability of the positive class (binary), or is the one-vs-rest macro
  average over the classes present in ``y_true`` (multiclass).
- ``log_loss`` clips probabilities to ``[1e-15, 1 - 1e-15]`` and renormalises each row before
  scoring, as the reference benchmark does.
- A metric that is undefined on the data given (ROC-AUC with a single class in ``y_true``, any
  metric on no rows) is NaN rather than an error.
- Class predictions, when only probabilities are given, are their argmax.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn import metrics as skm

from manabu.base.errors import ConfigError

BINARY, MULTICLASS, REGRESSION = "binary", "multiclass", "regression"
TASKS = (BINARY, MULTICLASS, REGRESSION)

_EPS = 1e-15


@dataclass(frozen=True)
class _Scoring:
    """What a scoring function receives, already checked and aligned."""

    y_true: np.ndarray
    y_pred: np.ndarray
    proba: np.ndarray | None  # (n, k) for classification, columns follow classes
    classes: np.ndarray | None
    multiclass: bool

    @property
    def positive(self) -> Any:
        return self.classes[1]


@dataclass(frozen=True)
class Metric:
    """One metric: its name, direction, what it is computed from, and the tasks it fits."""

    name: str
    greater_is_better: bool
    needs_proba: bool
    tasks: frozenset[str]
    _fn: Callable[[_Scoring], float] = field(repr=False, compare=False)

    def score(
        self,
        y_true: Any,
        y_pred: Any = None,
        proba: Any = None,
        classes: Sequence[Any] | None = None,
        *,
        task: str | None = None,
    ) -> float:
        """The metric on these predictions; NaN where it is undefined.

        For classification, binary versus multiclass follows ``task`` when given, else the number
        of classes (from ``classes``, the columns of ``proba``, or the labels seen).
        """
        y_true = np.asarray(y_true)
        if y_true.shape[0] == 0:
            return math.nan
        if self.needs_proba and proba is None:
            raise ValueError(f"metric {self.name!r} needs predicted probabilities")
        if self.tasks == {REGRESSION}:
            if y_pred is None:
                raise ValueError(f"metric {self.name!r} needs predictions")
            data = _Scoring(y_true, np.asarray(y_pred), None, None, False)
        else:
            data = _classification(y_true, y_pred, proba, classes, task)
        with warnings.catch_warnings():
            # edge cases (one class present, no predicted positive) are documented above
            warnings.simplefilter("ignore", UserWarning)
            return float(self._fn(data))


def _classification(y_true: np.ndarray, y_pred: Any, proba: Any, classes: Any, task: str | None) -> _Scoring:
    if proba is not None:
        proba = np.asarray(proba, dtype=float)
        if proba.ndim == 1:  # binary: the probability of the positive class
            proba = np.column_stack([1.0 - proba, proba])
    if classes is not None:
        classes = np.asarray(classes)
    elif proba is not None:
        classes = np.arange(proba.shape[1])
    else:
        seen = np.unique(np.concatenate([y_true, np.asarray(y_pred)]))
        classes = seen if len(seen) >= 2 or task == MULTICLASS else np.array([0, 1])
    if proba is not None and proba.shape[1] != len(classes):
        raise ValueError(f"proba has {proba.shape[1]} columns but there are {len(classes)} classes")
    if y_pred is None:
        if proba is None:
            raise ValueError("give y_pred or proba")
        y_pred = classes[np.argmax(proba, axis=1)]
    multiclass = task == MULTICLASS if task is not None else len(classes) > 2
    return _Scoring(y_true, np.asarray(y_pred), proba, classes, multiclass)


def _clipped(proba: np.ndarray) -> np.ndarray:
    clipped = np.clip(proba, _EPS, 1.0 - _EPS)
    return clipped / clipped.sum(axis=1, keepdims=True)


def _prf(fn: Callable[..., float]) -> Callable[[_Scoring], float]:
    def score(d: _Scoring) -> float:
        if d.multiclass:
            return fn(d.y_true, d.y_pred, average="macro", zero_division=0.0)
        return fn(d.y_true, d.y_pred, pos_label=d.positive, average="binary", zero_division=0.0)

    return score


def _roc_auc(d: _Scoring) -> float:
    if not d.multiclass:
        return skm.roc_auc_score(d.y_true == d.positive, d.proba[:, 1])
    # one-vs-rest per class; a class absent from this fold has no AUC and is left out of the mean
    sums = d.proba.sum(axis=1, keepdims=True)
    proba = d.proba if np.allclose(sums, 1.0) else d.proba / sums  # scikit-learn wants rows of 1
    per_class = skm.roc_auc_score(d.y_true, proba, multi_class="ovr", average=None, labels=d.classes)
    present = np.asarray(per_class, dtype=float)
    present = present[~np.isnan(present)]
    return float(present.mean()) if present.size else math.nan


def _log_loss(d: _Scoring) -> float:
    return skm.log_loss(d.y_true, _clipped(d.proba), labels=d.classes)


def _labels(fn: Callable[..., float]) -> Callable[[_Scoring], float]:
    """A scikit-learn metric of ``(y_true, y_pred)`` alone."""
    return lambda d: fn(d.y_true, d.y_pred)


_CLS = frozenset({BINARY, MULTICLASS})
_REG = frozenset({REGRESSION})

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", True, False, _CLS, _labels(skm.accuracy_score)),
        Metric("balanced_accuracy", True, False, _CLS, _labels(skm.balanced_accuracy_score)),
        Metric("precision", True, False, _CLS, _prf(skm.precision_score)),
        Metric("recall", True, False, _CLS, _prf(skm.recall_score)),
        Metric("f1", True, False, _CLS, _prf(skm.f1_score)),
        Metric("roc_auc", True, True, _CLS, _roc_auc),
        Metric("log_loss", False, True, _CLS, _log_loss),
        Metric("mae", False, False, _REG, _labels(skm.mean_absolute_error)),
        Metric("mse", False, False, _REG, _labels(skm.mean_squared_error)),
        Metric("rmse", False, False, _REG, _labels(skm.root_mean_squared_error)),
        Metric("r2", True, False, _REG, _labels(skm.r2_score)),
    )
}

ALIASES: dict[str, str] = {
    "acc": "accuracy",
    "balanced_acc": "balanced_accuracy",
    "f1_score": "f1",
    "auc": "roc_auc",
    "rocauc": "roc_auc",
    "auroc": "roc_auc",
    "logloss": "log_loss",
    "cross_entropy": "log_loss",
    "mean_absolute_error": "mae",
    "mean_squared_error": "mse",
    "root_mean_squared_error": "rmse",
    "r_squared": "r2",
    "r²": "r2",
}

_DEFAULTS = {BINARY: "roc_auc", MULTICLASS: "log_loss", REGRESSION: "rmse"}


def _check_task(task: str) -> str:
    task = str(task)
    if task not in _DEFAULTS:
        raise ConfigError("metrics.unknown_task", task=task, tasks=", ".join(TASKS))
    return task


def metrics_for(task: str) -> list[Metric]:
    """Every metric that applies to ``task``, in registry order."""
    task = _check_task(task)
    return [m for m in METRICS.values() if task in m.tasks]


def _canonical(name: str) -> str:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    return ALIASES.get(key, key)


def default_metric(task: str) -> Metric:
    """The metric a search optimises when none is asked for: ROC-AUC (binary), log loss
    (multiclass), RMSE (regression), the same as the reference benchmark."""
    return METRICS[_DEFAULTS[_check_task(task)]]


def get_metric(name: str | None, task: str) -> Metric:
    """The metric called ``name`` (case-insensitive; a few aliases such as "auc", "logloss"),
    checked against ``task``; ``None`` gives the task's default."""
    if name is None:
        return default_metric(task)
    task = _check_task(task)
    choices = ", ".join(m.name for m in metrics_for(task))
    metric = METRICS.get(_canonical(name))
    if metric is None:
        raise ConfigError("metrics.unknown", name=name, task=task, choices=choices)
    if task not in metric.tasks:
        raise ConfigError("metrics.wrong_task", name=metric.name, task=task, choices=choices)
    return metric


def compute_all(
    task: str,
    y_true: Any,
    y_pred: Any,
    proba: Any = None,
    classes: Sequence[Any] | None = None,
) -> dict[str, float]:
    """Every metric that applies to ``task``; the probability-based ones only when ``proba``
    is given."""
    return {
        m.name: m.score(y_true, y_pred, proba, classes, task=str(task))
        for m in metrics_for(task)
        if proba is not None or not m.needs_proba
    }


def signed(metric: Metric | str, value: float) -> float:
    """``value`` turned into a number to maximise: negated when lower is better."""
    if isinstance(metric, str):
        metric = METRICS[_canonical(metric)]
    return float(value) if metric.greater_is_better else -float(value)

