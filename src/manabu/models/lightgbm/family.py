"""LightGBM with native categoricals, early-stopped on held-out rows."""
from __future__ import annotations

import time

import lightgbm
import numpy as np
from lightgbm import LGBMClassifier, LGBMRegressor
from lightgbm.callback import EarlyStopException

from manabu.base.trust import register_trusted
from manabu.models.early_stopping import PATIENCE, SMALL_DATA_TREES, holdout_split, rows_at
from manabu.models.entry import Params
from manabu.models.space import Integer, Real


class _EarlyStopping:
    """LightGBM that picks its own number of trees: it holds out 10% of the rows it is given
    and stops when they stop improving (at most ``n_estimators`` trees). On data too small to
    hold rows out, it stops after a small fixed number of trees instead of overfitting."""

    def fit(self, X, y, callbacks=None, deadline: float | None = None, **kwargs):
        """``deadline`` (time.monotonic()): end there with the trees built so far."""
        callbacks = list(callbacks or [])
        self.stopped_at_deadline_ = False
        if deadline is not None:
            callbacks.append(self._stop_at(deadline))
        split = holdout_split(np.asarray(y), isinstance(self, LGBMClassifier), self.random_state)
        if split is None:
            callbacks.append(_stop_after(SMALL_DATA_TREES))
            return super().fit(X, y, callbacks=callbacks, **kwargs)
        train, valid = split
        callbacks.append(lightgbm.early_stopping(PATIENCE, verbose=False))
        y = np.asarray(y)
        return super().fit(rows_at(X, train), y[train], eval_X=(rows_at(X, valid),), eval_y=(y[valid],),
                           callbacks=callbacks, **kwargs)

    def _stop_at(self, deadline: float):
        def stop_when_time_is_up(env) -> None:
            if time.monotonic() > deadline:
                self.stopped_at_deadline_ = True
                raise EarlyStopException(env.iteration, env.evaluation_result_list)  # keeps every tree built
        return stop_when_time_is_up


class EarlyStoppingLGBMClassifier(_EarlyStopping, LGBMClassifier):
    pass


class EarlyStoppingLGBMRegressor(_EarlyStopping, LGBMRegressor):
    pass


register_trusted(f"{__name__}.EarlyStoppingLGBMClassifier", f"{__name__}.EarlyStoppingLGBMRegressor")


def _stop_after(n_trees: int):
    def stop(env) -> None:
        if env.iteration + 1 >= n_trees:
            raise EarlyStopException(env.iteration, [])
    return stop


def make(task: str, params: Params, seed: int):
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


SPACE = {"learning_rate": Real(0.01, 0.2, log=True), "num_leaves": Integer(4, 128, log=True),
              "min_child_samples": Integer(2, 60, log=True), "subsample": Real(0.5, 1.0),
              "colsample_bytree": Real(0.4, 1.0), "reg_lambda": Real(1e-3, 10.0, log=True)}


def categorical_params(estimator, n_categorical: int) -> Params:
    return {"categorical_feature": list(range(n_categorical))} if n_categorical else {}


def deadline_params(deadline: float) -> Params:
    return {"deadline": deadline}
