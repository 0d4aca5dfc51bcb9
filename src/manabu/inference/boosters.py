"""The gradient-boosting libraries, each at its cheapest exact entry point.

LightGBM through its C API (the Python wrapper spends more time building the call than the
trees take), XGBoost as flat-array trees (``Booster.inplace_predict`` spends some 200 µs per
call before any tree is read), CatBoost given a ``Pool`` of the rows.
"""
from __future__ import annotations

import ctypes
import json
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from manabu.inference.errors import NotCovered, Unsupported
from manabu.inference.estimators import AsIs
from manabu.inference.trees import xgboost_trees


# ------------------------------------------------------------------------------------- LightGBM

class LightGBM:
    """LGBMClassifier/LGBMRegressor through their booster, as their predict does (one thread,
    the fastest for a few rows), calling LightGBM's C API directly where the Python package
    exposes it: its wrapper spends more time building the call than the trees take."""

    def __init__(self, booster: Any, classes: np.ndarray | None, label_of: Any) -> None:
        self.booster = booster
        self.classes_ = classes
        self.label_of = label_of
        self.outputs = booster.num_model_per_iteration()
        self.call = _LightGBMCall.of(booster, self.outputs)

    def _raw(self, X: np.ndarray) -> np.ndarray:
        if self.call is None:
            return self.booster.predict(X, num_threads=1)
        return self.call(X)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        result = self._raw(X)
        if len(self.classes_) > 2:
            return result
        return np.vstack((1.0 - result, result)).transpose()

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.classes_ is None:
            return self._raw(X)
        # the wrapper's label encoder's inverse_transform: a take, after checks argmax passes
        return np.take(self.label_of.classes_, np.argmax(self.predict_proba(X), axis=1), axis=0)


class _LightGBMCall:
    """``Booster.predict(X, num_threads=1)``: the same C functions with the same arguments
    (start 0, the booster's best iteration, normal predictions); one row goes through the
    single-row entry point, set up once."""

    def __init__(self, lib: Any, booster: Any, outputs: int) -> None:
        self.lib, self.booster, self.outputs = lib, booster, outputs
        self.n_features = booster.num_feature()
        self.iterations = ctypes.c_int(booster.best_iteration)
        self.parameter = ctypes.c_char_p(b"num_threads=1")
        self.lock = threading.Lock()
        self.fast = ctypes.c_void_p()
        # one row goes through buffers and pointers made once: building the pointers costs
        # more than copying a row in and an answer out
        self.row_in, self.row_out = np.empty(self.n_features), np.empty(outputs)
        self.written = ctypes.c_int64(0)
        self.row_args = (self.row_in.ctypes.data_as(ctypes.c_void_p), ctypes.byref(self.written),
                         self.row_out.ctypes.data_as(_DOUBLE_POINTER))
        self._check(lib.LGBM_BoosterPredictForMatSingleRowFastInit(
            booster._handle, ctypes.c_int(0), ctypes.c_int(0), self.iterations, ctypes.c_int(_FLOAT64),
            ctypes.c_int32(self.n_features), self.parameter, ctypes.byref(self.fast)))

    @classmethod
    def of(cls, booster: Any, outputs: int) -> "_LightGBMCall | None":
        try:
            from lightgbm import basic
            return cls(basic._LIB, booster, outputs)
        except Exception:  # another lightgbm: its public predict, a little slower, is used
            return None

    def __del__(self) -> None:
        try:
            if self.fast.value:
                self.lib.LGBM_FastConfigFree(self.fast)
        except Exception:  # at interpreter exit the library may be gone already
            pass

    def _check(self, code: int) -> None:
        if code != 0:
            raise NotCovered(self.lib.LGBM_GetLastError().decode("utf-8", "replace"))

    def __call__(self, X: np.ndarray) -> np.ndarray:
        n_rows = X.shape[0]
        if X.shape[1] != self.n_features:
            raise NotCovered("feature count")
        if n_rows == 1:
            with self.lock:
                np.copyto(self.row_in, X[0])
                self._check(self.lib.LGBM_BoosterPredictForMatSingleRowFast(self.fast, *self.row_args))
                if self.written.value != self.outputs:
                    raise NotCovered("prediction length")
                out = self.row_out.copy()
        else:
            X = np.ascontiguousarray(X, dtype=np.float64)
            out = np.empty(n_rows * self.outputs)
            written = ctypes.c_int64(0)
            self._check(self.lib.LGBM_BoosterPredictForMat(
                self.booster._handle, X.ctypes.data_as(ctypes.c_void_p), ctypes.c_int(_FLOAT64),
                ctypes.c_int32(n_rows), ctypes.c_int32(self.n_features), ctypes.c_int(_ROW_MAJOR), ctypes.c_int(0),
                ctypes.c_int(0), self.iterations, self.parameter, ctypes.byref(written),
                out.ctypes.data_as(_DOUBLE_POINTER)))
            if written.value != out.size:
                raise NotCovered("prediction length")
        return out if self.outputs == 1 else out.reshape(n_rows, self.outputs)


_FLOAT64, _ROW_MAJOR = 1, 1  # LightGBM's C_API_DTYPE_FLOAT64 and C_API_IS_ROW_MAJOR
_DOUBLE_POINTER = ctypes.POINTER(ctypes.c_double)


def _lightgbm(estimator: Any) -> LightGBM | None:
    try:
        from lightgbm import LGBMClassifier, LGBMModel
    except ImportError:
        return None
    if not isinstance(estimator, LGBMModel):
        return None
    if callable(getattr(estimator, "_objective", None)) or callable(estimator.get_params().get("objective")):
        raise Unsupported("LightGBM with a custom objective")
    if isinstance(estimator, LGBMClassifier):
        return LightGBM(estimator.booster_, np.asarray(estimator.classes_), estimator._le)
    return LightGBM(estimator.booster_, None, None)


# -------------------------------------------------------------------------------------- XGBoost

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


def _xgboost(estimator: Any) -> Any:
    try:
        from xgboost import XGBModel
    except ImportError:
        return None
    if not isinstance(estimator, XGBModel):
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


# ------------------------------------------------------------------------------------- CatBoost

@dataclass
class CatBoost:
    """CatBoost given a ``Pool`` of the rows, which its own methods (and manabu's wrapper)
    take as it is: the wrapper's pandas frame of category codes costs more than the trees.
    The codes become integers, missing ones ``missing_code``, as the wrapper makes them."""

    estimator: Any
    categorical: list[int]
    missing_code: int

    @property
    def classes_(self):
        return getattr(self.estimator, "classes_", None)

    def _pool(self, X: np.ndarray) -> Any:
        from catboost import Pool
        if not self.categorical:
            return Pool(X)
        rows = X.tolist()
        for row in rows:
            for j in self.categorical:
                value = row[j]
                row[j] = self.missing_code if value != value else int(value)
        return Pool(rows, cat_features=self.categorical)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.estimator.predict_proba(self._pool(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.estimator.predict(self._pool(X))


def _catboost(estimator: Any) -> Any:
    try:
        from catboost import CatBoost as CatBoostModel
    except ImportError:
        return None
    if not isinstance(estimator, CatBoostModel):
        return None
    categorical = [int(i) for i in estimator.get_cat_feature_indices()]
    try:
        from manabu.models.catboost_entry import MISSING_CODE, category_frame
    except ImportError:
        return AsIs(estimator)
    if categorical and category_frame.__module__ != type(estimator).__module__:
        return AsIs(estimator)  # a CatBoost model manabu did not wrap: its own way of reading codes
    return CatBoost(estimator, categorical, MISSING_CODE)


BUILDERS = (_lightgbm, _xgboost, _catboost)
