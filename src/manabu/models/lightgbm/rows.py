"""LightGBM's row path: its C API, called as its predict calls it (the Python wrapper spends more
time building the call than the trees take)."""
from __future__ import annotations

import ctypes
import threading
from typing import Any

import numpy as np

from manabu.base.loaded import instance_of
from manabu.inference.errors import NotCovered, Unsupported


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


def compile_lightgbm(estimator: Any) -> LightGBM | None:
    if not instance_of(estimator, "lightgbm", "LGBMModel"):
        return None
    from lightgbm import LGBMClassifier

    if callable(getattr(estimator, "_objective", None)) or callable(estimator.get_params().get("objective")):
        raise Unsupported("LightGBM with a custom objective")
    if isinstance(estimator, LGBMClassifier):
        return LightGBM(estimator.booster_, np.asarray(estimator.classes_), estimator._le)
    return LightGBM(estimator.booster_, None, None)
