"""CatBoost with native categoricals, early-stopped on held-out rows like LightGBM."""
from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier, CatBoostRegressor, Pool

from manabu.base.trust import register_trusted
from manabu.base.interrupts import INTERRUPTED, interrupts_deferred
from manabu.models.early_stopping import PATIENCE, SMALL_DATA_TREES, holdout_split, rows_at
from manabu.models.entry import Params
from manabu.models.space import Choice, Integer, Real

MAX_ROUNDS = 2000
# Categories with at most this many values are one-hot encoded rather than turned into target
# statistics (CTRs) and their combinations. CTRs cost a lot with many categorical columns or
# many classes: on soybean (35 categoricals, 19 classes) one fit took 148 s against 4.7 s
# one-hot, and better (log loss 0.145 against 0.225); on adult 14.1 s against 2.5 s, the
# same ROC-AUC. CatBoost's own default (2) stays in the space and in one portfolio start.
ONE_HOT_MAX_SIZE = 255
MISSING_CODE = -1  # category codes are 0, 1, ...; missing and unseen categories become this one


class _StopAfter:
    """Stops after a fixed number of rounds (data too small to hold rows out)."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds

    def after_iteration(self, info) -> bool:  # False stops training
        return info.iteration < self.rounds


class _Deadline:
    """Stops training once time.monotonic() passes ``deadline``, keeping the trees built (the best
    round among them, with ``use_best_model``)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.passed = False

    def after_iteration(self, info) -> bool:
        self.passed = time.monotonic() > self.deadline
        return not self.passed


class _StopOnInterrupt:
    """Ends the loop once a Ctrl-C was noted (``interrupts_deferred``)."""

    def after_iteration(self, info) -> bool:
        return not INTERRUPTED.is_set()


def category_frame(X, cat_features: Sequence[int] | None):
    """CatBoost reads categories only as integers or text, never as floats or NaN: the code
    columns become integers (missing ones ``MISSING_CODE``), the others stay floats."""
    if not cat_features or isinstance(X, Pool):
        return X
    values = np.asarray(X, dtype=float)
    chosen = {int(i) for i in cat_features}
    columns = {}
    for i in range(values.shape[1]):
        column = values[:, i]
        if i in chosen:
            column = np.where(np.isnan(column), MISSING_CODE, column).astype(np.int64)
        columns[f"f{i}"] = column
    return pd.DataFrame(columns)


class _EarlyStopping:
    """CatBoost that picks its own number of trees: it holds out 10% of the rows it is given
    and keeps the best round once 50 more bring no improvement (at most ``iterations``); on
    data too small to hold rows out, it stops after a small fixed number of trees.

    ``cat_features`` (indices) marks the columns of category codes; they are converted to
    integers here, in ``fit`` and in every prediction, so callers pass the float matrix as is.
    """

    def get_params(self, deep: bool = True) -> dict:
        # CatBoost returns a deep copy, which scikit-learn's clone() refuses for list parameters
        return dict(self._init_params)

    def fit(self, X, y=None, callbacks=None, deadline: float | None = None, **kwargs):
        """``deadline`` (time.monotonic()): end there with the trees built so far."""
        stop = _Deadline(deadline) if deadline is not None else None
        callbacks = [*(callbacks or []), _StopOnInterrupt(), *([stop] if stop else [])]
        y = np.asarray(y)
        X = category_frame(X, self._init_params.get("cat_features"))
        split = holdout_split(y, isinstance(self, CatBoostClassifier), self._init_params.get("random_seed"))
        with interrupts_deferred():  # CatBoost calls the callbacks from C++ and swallows their errors
            if split is None:
                super().fit(X, y, callbacks=[*callbacks, _StopAfter(SMALL_DATA_TREES)], **kwargs)
            else:
                train, valid = split
                super().fit(rows_at(X, train), y[train], eval_set=(rows_at(X, valid), y[valid]),
                            early_stopping_rounds=PATIENCE, use_best_model=True, callbacks=callbacks, **kwargs)
        self.stopped_at_deadline_ = bool(stop and stop.passed)
        return self

    def predict(self, data, *args, **kwargs):
        predicted = super().predict(category_frame(data, self._init_params.get("cat_features")), *args, **kwargs)
        # the classifier answers a column for multiclass tasks, a vector for binary ones
        return predicted.ravel() if predicted.ndim == 2 and predicted.shape[1] == 1 else predicted


class EarlyStoppingCatBoostClassifier(_EarlyStopping, CatBoostClassifier):
    def predict_proba(self, X, *args, **kwargs):
        return super().predict_proba(category_frame(X, self._init_params.get("cat_features")), *args, **kwargs)

    def predict_log_proba(self, data, *args, **kwargs):
        return super().predict_log_proba(category_frame(data, self._init_params.get("cat_features")),
                                         *args, **kwargs)


class EarlyStoppingCatBoostRegressor(_EarlyStopping, CatBoostRegressor):
    pass


# rebuilt only from their native files and a sidecar: a sidecar may name them, a skops file may not
register_trusted(f"{__name__}.EarlyStoppingCatBoostClassifier", f"{__name__}.EarlyStoppingCatBoostRegressor",
                 native=True)


def make(task: str, params: Params, seed: int):
    cls = EarlyStoppingCatBoostRegressor if task == "regression" else EarlyStoppingCatBoostClassifier
    return cls(iterations=params.get("iterations", MAX_ROUNDS),
               learning_rate=params.get("learning_rate", 0.05),
               depth=params.get("depth", 6),
               l2_leaf_reg=params.get("l2_leaf_reg", 3.0),
               random_strength=params.get("random_strength", 1.0),
               bagging_temperature=params.get("bagging_temperature", 1.0),
               one_hot_max_size=params.get("one_hot_max_size", ONE_HOT_MAX_SIZE),
               random_seed=seed, verbose=0, allow_writing_files=False)


SPACE = {"learning_rate": Real(0.01, 0.2, log=True), "depth": Integer(3, 8),
         "l2_leaf_reg": Real(0.5, 30.0, log=True), "random_strength": Real(0.1, 10.0, log=True),
         "bagging_temperature": Real(0.0, 1.0), "one_hot_max_size": Choice((2, 16, ONE_HOT_MAX_SIZE))}


def categorical_params(estimator, n_categorical: int) -> Params:
    if n_categorical:
        estimator.set_params(cat_features=tuple(range(n_categorical)))
    return {}


def deadline_params(deadline: float) -> Params:
    return {"deadline": deadline}
