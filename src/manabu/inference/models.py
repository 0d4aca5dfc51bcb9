"""The last step of a pipeline, called at the lowest level that still gives its exact answers.

Each compiled model offers what the fitted estimator offers: ``predict`` (labels for
classifiers, values for regressors), ``predict_proba`` for classifiers, and ``classes_``;
all take the float matrix the preprocessing makes. Families with a cheaper exact route get
one (``boosters``: LightGBM's C API, XGBoost as flat-array trees, CatBoost given a Pool;
``estimators``: scikit-learn's trees, forests, gradient boosting, linear models and SVMs);
any other estimator is called as it is, on the same matrix, which is exact by construction
and still skips the ColumnTransformer.
"""
from __future__ import annotations

from typing import Any

from manabu.inference import boosters, estimators
from manabu.inference.estimators import AsIs


def compile_model(estimator: Any) -> Any:
    """The fastest exact stand-in for a fitted estimator."""
    for build in (*boosters.BUILDERS, *estimators.BUILDERS):
        model = build(estimator)
        if model is not None:
            return model
    return AsIs(estimator)
