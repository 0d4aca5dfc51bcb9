"""scikit-learn's HistGradientBoosting, with native categoricals."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from manabu.base.trust import HGB_PREPROCESSOR_TYPES, register_nested_trust
from manabu.features.preprocess import PreprocessKind
from manabu.models.early_stopping import holdout_split, rows_at
from manabu.models.entry import ALL_TASKS, TREE_ENSEMBLE_COST_EXPONENT, ModelEntry, Params, threads_for
from manabu.models.script import PLAIN, ScriptFit
from manabu.models.space import Integer, Real


class _ThreadsFromData:
    """HistGradientBoosting has no n_jobs: it takes every core through OpenMP. Its threads are
    set from the data size like the other families' (``threads_for``), because on small data
    they spin waiting for each other, and on a busy machine (``pytest -n 2`` on two cores) a
    fit of 1,000 rows then takes tens of seconds instead of one, past any time limit."""

    def fit(self, X, y, sample_weight=None):
        with threadpool_limits(threads_for(len(y)), user_api="openmp"):
            held_out = self._held_out_rows(np.asarray(y)) if sample_weight is None else None
            if held_out is None:
                return super().fit(X, y, sample_weight=sample_weight)
            train, valid = held_out
            y = np.asarray(y)
            return super().fit(rows_at(X, train), y[train], X_val=rows_at(X, valid), y_val=y[valid])

    def _held_out_rows(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Its own early stopping holds out a stratified share, which fails on a class of one
        row (3,772 rows with a class of 2: every configuration failed alike): such data is split
        as the other boosting families split it, the lone rows kept for training."""
        if not (self.early_stopping and isinstance(self, HistGradientBoostingClassifier)):
            return None
        if np.unique(y, return_counts=True)[1].min() >= 2:
            return None
        return holdout_split(y, True, self.random_state)


class ThreadedHGBClassifier(_ThreadsFromData, HistGradientBoostingClassifier):
    pass


class ThreadedHGBRegressor(_ThreadsFromData, HistGradientBoostingRegressor):
    pass


# HistGradientBoosting keeps a FunctionTransformer below ``_preprocessor`` (manabu.base.trust)
register_nested_trust(f"{__name__}.ThreadedHGBClassifier", "_preprocessor", HGB_PREPROCESSOR_TYPES)
register_nested_trust(f"{__name__}.ThreadedHGBRegressor", "_preprocessor", HGB_PREPROCESSOR_TYPES)


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


def _hgb_categoricals(estimator, n_categorical: int) -> Params:
    estimator.set_params(categorical_features=list(range(n_categorical)) or None)
    return {}


def _hgb_script(task: str, n_categorical: int) -> ScriptFit:
    """Its categorical columns are a constructor argument: the script names them, then fits plainly."""
    return replace(PLAIN, category_codes=n_categorical > 0)


ENTRY = ModelEntry("hist_gradient_boosting", ALL_TASKS, PreprocessKind.TREE,
                   make_hgb, HGB_SPACE, cost=1.0, cost_exponent=TREE_ENSEMBLE_COST_EXPONENT,
                   use_categoricals=_hgb_categoricals, strong_start=True, script_fit=_hgb_script)
