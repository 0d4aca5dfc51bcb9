"""Gradient boosting: scikit-learn's HistGradientBoosting and LightGBM, both with native categoricals."""
from __future__ import annotations

import time

import lightgbm
import numpy as np
from lightgbm import LGBMClassifier, LGBMRegressor
from lightgbm.callback import EarlyStopException
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from manabu.base.trust import register_trusted

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import (ALL_TASKS, TREE_ENSEMBLE_COST_EXPONENT, DeadlineExceeded, ModelEntry, Params,
                                 threads_for)
from manabu.models.space import Integer, Real


class _ThreadsFromData:
    """HistGradientBoosting has no n_jobs: it takes every core through OpenMP. Its threads are
    set from the data size like the other families' (``threads_for``), because on small data
    they spin waiting for each other, and on a busy machine (``pytest -n 2`` on two cores) a
    fit of 1,000 rows then takes tens of seconds instead of one, past any time limit."""

    def fit(self, X, y, sample_weight=None):
        with threadpool_limits(threads_for(len(y)), user_api="openmp"):
            return super().fit(X, y, sample_weight=sample_weight)


class ThreadedHGBClassifier(_ThreadsFromData, HistGradientBoostingClassifier):
    pass


class ThreadedHGBRegressor(_ThreadsFromData, HistGradientBoostingRegressor):
    pass


register_trusted("manabu.models.boosting.ThreadedHGBClassifier",
                 "manabu.models.boosting.ThreadedHGBRegressor")


def make_hgb(task: str, params: Params, seed: int):
    cls = ThreadedHGBRegressor if task == "regression" else ThreadedHGBClassifier
    return cls(learning_rate=params.get("learning_rate", 0.1),
               max_leaf_nodes=params.get("max_leaf_nodes", 31),
               min_samples_leaf=params.get("min_samples_leaf", 20),
               l2_regularization=params.get("l2_regularization", 0.0),
               max_iter=params.get("max_iter", 300),
               early_stopping=True, validation_fraction=0.1, n_iter_no_change=20,
               random_state=seed)


HGB_SPACE = {"learning_rate": Real(0.02, 0.3, log=True), "max_leaf_nodes": Integer(8, 128, log=True),
             "min_samples_leaf": Integer(5, 100, log=True), "l2_regularization": Real(1e-4, 10.0, log=True)}


PATIENCE = 50           # rounds without improvement on the held-out rows before stopping
HOLDOUT = 0.1           # share of the training rows held out to decide when to stop
MIN_HOLDOUT_ROWS = 30   # below this, a fixed small number of trees is safer than early stopping
SMALL_DATA_TREES = 100


class _EarlyStopping:
    """LightGBM that picks its own number of trees: it holds out 10% of the rows it is given
    and stops when they stop improving (at most ``n_estimators`` trees). On data too small to
    hold rows out, it stops after a small fixed number of trees instead of overfitting."""

    def fit(self, X, y, callbacks=None, **kwargs):
        callbacks = list(callbacks or [])
        split = _holdout_split(np.asarray(y), isinstance(self, LGBMClassifier), self.random_state)
        if split is None:
            callbacks.append(_stop_after(SMALL_DATA_TREES))
            return super().fit(X, y, callbacks=callbacks, **kwargs)
        train, valid = split
        callbacks.append(lightgbm.early_stopping(PATIENCE, verbose=False))
        y = np.asarray(y)
        return super().fit(_rows(X, train), y[train], eval_X=(_rows(X, valid),), eval_y=(y[valid],),
                           callbacks=callbacks, **kwargs)


class EarlyStoppingLGBMClassifier(_EarlyStopping, LGBMClassifier):
    pass


class EarlyStoppingLGBMRegressor(_EarlyStopping, LGBMRegressor):
    pass


register_trusted("manabu.models.boosting.EarlyStoppingLGBMClassifier",
                 "manabu.models.boosting.EarlyStoppingLGBMRegressor")


def _holdout_split(y: np.ndarray, classification: bool, seed) -> tuple[np.ndarray, np.ndarray] | None:
    n_valid = int(len(y) * HOLDOUT)
    if n_valid < MIN_HOLDOUT_ROWS:
        return None
    stratify = None
    if classification:
        _, counts = np.unique(y, return_counts=True)
        if counts.min() < 2 or n_valid < len(counts):
            return None  # a class could vanish from one side
        stratify = y
    return train_test_split(np.arange(len(y)), test_size=n_valid, random_state=seed, stratify=stratify)


def _rows(X, index: np.ndarray):
    return X.iloc[index] if hasattr(X, "iloc") else X[index]


def _stop_after(n_trees: int):
    def stop(env) -> None:
        if env.iteration + 1 >= n_trees:
            raise EarlyStopException(env.iteration, [])
    return stop


def make_lgbm(task: str, params: Params, seed: int):
    cls = EarlyStoppingLGBMRegressor if task == "regression" else EarlyStoppingLGBMClassifier
    return cls(n_estimators=params.get("n_estimators", 2000),
               learning_rate=params.get("learning_rate", 0.05),
               num_leaves=params.get("num_leaves", 31),
               min_child_samples=params.get("min_child_samples", 20),
               subsample=params.get("subsample", 1.0), subsample_freq=1 if params.get("subsample", 1.0) < 1 else 0,
               colsample_bytree=params.get("colsample_bytree", 1.0),
               reg_lambda=params.get("reg_lambda", 0.0),
               objective=params.get("objective"),  # None: LightGBM's own for the task
               random_state=seed, verbose=-1)


LGBM_SPACE = {"learning_rate": Real(0.01, 0.2, log=True), "num_leaves": Integer(4, 128, log=True),
              "min_child_samples": Integer(2, 60, log=True), "subsample": Real(0.5, 1.0),
              "colsample_bytree": Real(0.4, 1.0), "reg_lambda": Real(1e-3, 10.0, log=True)}


def _hgb_categoricals(estimator, n_categorical: int) -> Params:
    estimator.set_params(categorical_features=list(range(n_categorical)) or None)
    return {}


def _lgbm_categoricals(estimator, n_categorical: int) -> Params:
    return {"categorical_feature": list(range(n_categorical))} if n_categorical else {}


def _lgbm_deadline(deadline: float) -> Params:
    def stop_when_time_is_up(env) -> None:
        if time.monotonic() > deadline:
            raise DeadlineExceeded
    return {"callbacks": [stop_when_time_is_up]}


HIST_GRADIENT_BOOSTING = ModelEntry("hist_gradient_boosting", ALL_TASKS, PreprocessKind.TREE,
                                    make_hgb, HGB_SPACE, cost=1.0, cost_exponent=TREE_ENSEMBLE_COST_EXPONENT,
                                    use_categoricals=_hgb_categoricals, strong_start=True)
LIGHTGBM = ModelEntry("lightgbm", ALL_TASKS, PreprocessKind.TREE, make_lgbm, LGBM_SPACE, cost=1.0,
                      cost_exponent=TREE_ENSEMBLE_COST_EXPONENT, use_categoricals=_lgbm_categoricals,
                      stop_at=_lgbm_deadline, threads_param="n_jobs", strong_start=True)
