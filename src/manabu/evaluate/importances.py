"""A fitted model's own weight for each of its input columns, where it has one: a tree ensemble's
importances, a linear model's coefficients (their size, averaged over the classes). The report
uses them to rank what a model leans on without the cost of SHAP on thousands of columns
(fingerprint bits, genes)."""
from __future__ import annotations

from typing import Any

import numpy as np


def model_importances(estimator: Any, width: int) -> np.ndarray | None:
    """One non-negative weight per input column, or None when the model has none of its own
    (kNN, an SVM with a kernel) or its weights do not match ``width`` columns."""
    values = getattr(estimator, "feature_importances_", None)
    if values is None and getattr(estimator, "coef_", None) is not None:
        values = np.abs(np.asarray(estimator.coef_, dtype=float)).reshape(-1, width).mean(axis=0) \
            if np.size(estimator.coef_) % width == 0 else None
    if values is None:
        return None
    values = np.abs(np.asarray(values, dtype=float)).ravel()
    return values if len(values) == width and np.isfinite(values).all() else None
