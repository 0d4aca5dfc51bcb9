"""CatBoost's row path: CatBoost given a ``Pool`` of the rows."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from manabu.base.loaded import instance_of
from manabu.inference.estimators import AsIs


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


def compile_catboost(estimator: Any) -> Any:
    if not instance_of(estimator, "catboost", "CatBoost"):
        return None
    categorical = [int(i) for i in estimator.get_cat_feature_indices()]
    from manabu.models.catboost.family import MISSING_CODE, category_frame
    if categorical and category_frame.__module__ != type(estimator).__module__:
        return AsIs(estimator)  # a CatBoost model manabu did not wrap: its own way of reading codes
    return CatBoost(estimator, categorical, MISSING_CODE)
