"""XGBoost with native categoricals, early-stopped on held-out rows like LightGBM."""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from xgboost import XGBClassifier, XGBRegressor
from xgboost.callback import TrainingCallback

from manabu.base.interrupts import INTERRUPTED, interrupts_deferred
from manabu.base.trust import register_trusted
from manabu.models.early_stopping import PATIENCE, SMALL_DATA_TREES, holdout_split, rows_at
from manabu.models.entry import Params
from manabu.models.space import Integer, Real

MAX_ROUNDS = 2000


class _StopAfter(TrainingCallback):
    """Stops after a fixed number of rounds (data too small to hold rows out)."""

    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.rounds = rounds

    def after_iteration(self, model, epoch: int, evals_log) -> bool:
        return epoch + 1 >= self.rounds


class _Deadline(TrainingCallback):
    """Ends training after the round during which time.monotonic() passed ``deadline``, keeping
    the rounds built."""

    def __init__(self, deadline: float) -> None:
        super().__init__()
        self.deadline = deadline
        self.passed = False

    def after_iteration(self, model, epoch: int, evals_log) -> bool:
        self.passed = time.monotonic() > self.deadline
        return self.passed


class _StopOnInterrupt(TrainingCallback):
    """Ends training once a Ctrl-C was noted (``interrupts_deferred``)."""

    def after_iteration(self, model, epoch: int, evals_log) -> bool:
        return INTERRUPTED.is_set()


class _EarlyStopping:
    """XGBoost that picks its own number of rounds: it holds out 10% of the rows it is given
    and stops when they stop improving (at most ``n_estimators`` rounds); on data too small to
    hold rows out, it stops after a small fixed number of rounds.

    ``categorical_features`` (a fit parameter, as LightGBM's) names the columns that hold
    category codes; ``callbacks`` adds training callbacks for this fit only. XGBoost takes both
    as constructor parameters, so they are set for the duration of ``fit`` and put back after,
    leaving ``get_params`` as the caller set it (the booster remembers the feature types and the
    objective).
    """

    def fit(self, X, y, *, categorical_features: Sequence[int] = (), callbacks=None,
            deadline: float | None = None, **kwargs):
        """``deadline`` (time.monotonic()): end there with the rounds built so far."""
        y = np.asarray(y)
        stop = _Deadline(deadline) if deadline is not None else None
        callbacks = [*(callbacks or []), _StopOnInterrupt(), *([stop] if stop else [])]
        # XGBoost's fit also rewrites ``objective`` (binary to multiclass): a refit on other
        # classes would then fail, so it is put back too
        settings: dict[str, Any] = {"callbacks": [*(self.callbacks or []), *(callbacks or [])],
                                    "objective": self.objective}
        if len(categorical_features):
            settings["feature_types"] = _feature_types(np.shape(X)[1], categorical_features)
            settings["enable_categorical"] = True
        split = holdout_split(y, isinstance(self, XGBClassifier), self.random_state)
        if split is None:
            settings["callbacks"].append(_StopAfter(SMALL_DATA_TREES))
            with _temporarily(self, settings), interrupts_deferred():
                super().fit(X, y, verbose=False, **kwargs)
        else:
            train, valid = split
            settings["early_stopping_rounds"] = PATIENCE
            with _temporarily(self, settings), interrupts_deferred():
                super().fit(rows_at(X, train), y[train], eval_set=[(rows_at(X, valid), y[valid])],
                            verbose=False, **kwargs)
        self.stopped_at_deadline_ = bool(stop and stop.passed)
        return self


def _feature_types(n_features: int, categorical: Sequence[int]) -> list[str]:
    chosen = {int(i) for i in categorical}
    return ["c" if i in chosen else "q" for i in range(n_features)]


@contextmanager
def _temporarily(estimator: Any, settings: dict[str, Any]) -> Iterator[None]:
    # plain attributes, not set_params: on a fitted model set_params also rewrites the booster's
    saved = {name: getattr(estimator, name) for name in settings}
    for name, value in settings.items():
        setattr(estimator, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(estimator, name, value)


class EarlyStoppingXGBClassifier(_EarlyStopping, XGBClassifier):
    """XGBClassifier takes only the labels 0..k-1; this one takes any labels (a fold may lack a
    class, and labels may be text), learns on their positions, and answers in the labels."""

    def fit(self, X, y, **kwargs):
        labels, codes = np.unique(np.asarray(y), return_inverse=True)
        self.__dict__.pop("labels_", None)  # XGBClassifier.fit checks classes_ against 0..k-1
        super().fit(X, codes, **kwargs)
        self.labels_ = labels
        return self

    def predict(self, X, **kwargs):
        predicted = super().predict(X, **kwargs)
        return predicted if kwargs.get("output_margin") else self.classes_[predicted]

    @property
    def classes_(self) -> np.ndarray:
        labels = getattr(self, "labels_", None)
        return np.arange(self.n_classes_) if labels is None else labels


class EarlyStoppingXGBRegressor(_EarlyStopping, XGBRegressor):
    pass


# rebuilt only from their native files and a sidecar: a sidecar may name them, a skops file may not
register_trusted(f"{__name__}.EarlyStoppingXGBClassifier", f"{__name__}.EarlyStoppingXGBRegressor", native=True)


def make(task: str, params: Params, seed: int):
    cls = EarlyStoppingXGBRegressor if task == "regression" else EarlyStoppingXGBClassifier
    return cls(n_estimators=params.get("n_estimators", MAX_ROUNDS),
               learning_rate=params.get("learning_rate", 0.05),
               max_depth=params.get("max_depth", 6),
               min_child_weight=params.get("min_child_weight", 1.0),
               subsample=params.get("subsample", 1.0),
               colsample_bytree=params.get("colsample_bytree", 1.0),
               reg_lambda=params.get("reg_lambda", 1.0),
               reg_alpha=params.get("reg_alpha", 0.0),
               tree_method="hist", random_state=seed, verbosity=0)


SPACE = {"learning_rate": Real(0.01, 0.3, log=True), "max_depth": Integer(2, 10),
         "min_child_weight": Real(0.5, 30.0, log=True), "subsample": Real(0.5, 1.0),
         "colsample_bytree": Real(0.4, 1.0), "reg_lambda": Real(1e-3, 10.0, log=True),
         "reg_alpha": Real(1e-3, 1.0, log=True)}


def categorical_params(estimator, n_categorical: int) -> Params:
    return {"categorical_features": list(range(n_categorical))} if n_categorical else {}


def deadline_params(deadline: float) -> Params:
    return {"deadline": deadline}
