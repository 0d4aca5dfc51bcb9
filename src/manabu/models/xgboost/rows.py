"""XGBoost's row path: flat-array trees (``Booster.inplace_predict`` spends some 200 µs per call
before any tree is read)."""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from manabu.base.loaded import instance_of
from manabu.inference.errors import Unsupported
from manabu.inference.estimators import AsIs
from manabu.inference.trees import xgboost_trees


_XGB_OBJECTIVES = ("binary:logistic", "multi:softprob", "reg:squarederror")


class XGBoost:
    """XGBClassifier/XGBRegressor as flat-array trees: float32 margins summed tree after tree
    from the base score, as XGBoost sums them, then its logistic or softmax transform.
    (``Booster.inplace_predict`` spends some 200 µs per call before any tree is read.)"""

    def __init__(self, estimator: Any, model: dict, objective: str, base: np.ndarray, n_trees: int) -> None:
        trees = model["trees"][:n_trees]
        self.groups = np.asarray(model["tree_info"][:n_trees], dtype=np.intp)
        self.forest, self.values = xgboost_trees(model, n_trees)
        self.objective = objective
        self.base = base.astype(np.float32)
        self.estimator = estimator
        self.classes_ = np.asarray(estimator.classes_) if objective != "reg:squarederror" else None
        if len(trees) != len(self.groups) or self.groups.max(initial=0) >= len(self.base):
            raise Unsupported("XGBoost trees and groups disagree")

    def margins(self, X: np.ndarray) -> np.ndarray:
        leaves = self.values[self.forest.leaves(X)]  # (rows, trees), float32
        out = np.empty((len(X), len(self.base)), dtype=np.float32)
        for group in range(len(self.base)):
            terms = np.concatenate([np.broadcast_to(self.base[group], (len(X), 1)),
                                    leaves[:, self.groups == group]], axis=1)
            out[:, group] = np.add.accumulate(terms, axis=1, dtype=np.float32)[:, -1]
        return out

    def _values(self, X: np.ndarray) -> np.ndarray:
        margin = self.margins(X)
        if self.objective == "reg:squarederror":
            return margin[:, 0]
        if self.objective == "binary:logistic":
            return _sigmoid32(margin[:, 0])
        top = margin.max(axis=1, keepdims=True)
        e = np.exp((margin - top).astype(np.float64)).astype(np.float32)
        return e / e.sum(axis=1, keepdims=True, dtype=np.float32)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = self._values(X)
        if p.ndim == 2:
            return p
        return np.vstack((1.0 - p, p)).transpose()

    def predict(self, X: np.ndarray) -> np.ndarray:
        p = self._values(X)
        if self.classes_ is None:
            return p
        codes = np.argmax(p, axis=1) if p.ndim == 2 else (p > 0.5).astype(np.intp)
        return np.asarray(self.estimator.classes_)[codes]


def _sigmoid32(x: np.ndarray) -> np.ndarray:
    one = np.float32(1.0)
    return one / (one + np.exp(-x.astype(np.float64)).astype(np.float32))


def compile_xgboost(estimator: Any) -> Any:
    if not instance_of(estimator, "xgboost", "XGBModel"):
        return None
    missing = estimator.missing
    if not (isinstance(missing, float) and np.isnan(missing)):
        raise Unsupported("XGBoost with a missing value other than NaN")
    booster = estimator.get_booster()
    learner = json.loads(booster.save_raw(raw_format="json"))["learner"]
    objective = learner["objective"]["name"]
    gbm = learner["gradient_booster"]
    if objective not in _XGB_OBJECTIVES or gbm.get("name") != "gbtree":
        return AsIs(estimator)
    try:
        begin, end = estimator._get_iteration_range(None)  # the trees its predict uses
    except Exception:
        return AsIs(estimator)
    model = gbm["model"]
    bounds = model["iteration_indptr"]
    if begin != 0 or int(model["gbtree_model_param"].get("num_parallel_tree", "1")) != 1:
        return AsIs(estimator)
    n_trees = bounds[end] if 0 < end < len(bounds) else bounds[-1]
    base = np.asarray(json.loads(learner["learner_model_param"]["base_score"]), dtype=np.float32).ravel()
    if objective == "binary:logistic":
        base = -np.log(np.float32(1.0) / base - np.float32(1.0))
    return XGBoost(estimator, model, objective, base, n_trees)
