"""Gradient boosting: scikit-learn's HistGradientBoosting and LightGBM, both with native categoricals."""
from __future__ import annotations

import time

from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, DeadlineExceeded, ModelEntry, Params, log_uniform


def make_hgb(task: str, params: Params, seed: int):
    cls = HistGradientBoostingRegressor if task == "regression" else HistGradientBoostingClassifier
    return cls(learning_rate=params.get("learning_rate", 0.1),
               max_leaf_nodes=params.get("max_leaf_nodes", 31),
               min_samples_leaf=params.get("min_samples_leaf", 20),
               l2_regularization=params.get("l2_regularization", 0.0),
               max_iter=params.get("max_iter", 300),
               early_stopping=True, validation_fraction=0.1, n_iter_no_change=20,
               random_state=seed)


def sample_hgb(rng, task: str) -> Params:
    return {"learning_rate": log_uniform(rng, 0.02, 0.3), "max_leaf_nodes": int(rng.integers(8, 128)),
            "min_samples_leaf": int(rng.integers(5, 100)),
            "l2_regularization": log_uniform(rng, 1e-4, 10.0)}


def make_lgbm(task: str, params: Params, seed: int):
    cls = LGBMRegressor if task == "regression" else LGBMClassifier
    return cls(n_estimators=params.get("n_estimators", 300),
               learning_rate=params.get("learning_rate", 0.05),
               num_leaves=params.get("num_leaves", 31),
               min_child_samples=params.get("min_child_samples", 20),
               subsample=params.get("subsample", 1.0), subsample_freq=1 if params.get("subsample", 1.0) < 1 else 0,
               colsample_bytree=params.get("colsample_bytree", 1.0),
               reg_lambda=params.get("reg_lambda", 0.0),
               random_state=seed, verbose=-1)


def sample_lgbm(rng, task: str) -> Params:
    return {"n_estimators": int(rng.choice([100, 200, 400, 800])),
            "learning_rate": log_uniform(rng, 0.01, 0.2),
            "num_leaves": int(rng.integers(4, 128)),
            "min_child_samples": int(rng.integers(2, 60)),
            "subsample": float(rng.uniform(0.5, 1.0)),
            "colsample_bytree": float(rng.uniform(0.4, 1.0)),
            "reg_lambda": log_uniform(rng, 1e-3, 10.0)}


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
                                    make_hgb, sample_hgb, cost=1.0, use_categoricals=_hgb_categoricals)
LIGHTGBM = ModelEntry("lightgbm", ALL_TASKS, PreprocessKind.TREE, make_lgbm, sample_lgbm, cost=1.0,
                      use_categoricals=_lgbm_categoricals, stop_at=_lgbm_deadline, threaded=True)
