"""The last step of a pipeline, called at the lowest level that still gives its exact answers.

Each compiled model offers what the fitted estimator offers: ``predict`` (labels for
classifiers, values for regressors), ``predict_proba`` for classifiers, and ``classes_``;
all take the float matrix the preprocessing makes. Families with a cheaper exact route register
one (``register_row_model``: LightGBM's C API, XGBoost as flat-array trees, CatBoost given a
Pool, each in its family's folder under ``manabu.models``); scikit-learn's trees, forests,
gradient boosting, linear models and SVMs have theirs here (``estimators``); any other estimator
is called as it is, on the same matrix, which is exact by construction and still skips the
ColumnTransformer.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from manabu.inference import estimators
from manabu.inference.estimators import AsIs

RowModelBuilder = Callable[[Any], Any]
_registered: list[RowModelBuilder] = []


def register_row_model(build: RowModelBuilder) -> None:
    """``build(estimator)`` gives an exact stand-in for the estimators it knows, None for the
    others, or raises ``Unsupported`` when it knows the estimator but cannot stand in for it."""
    if build not in _registered:
        _registered.append(build)


def compile_model(estimator: Any) -> Any:
    """The fastest exact stand-in for a fitted estimator."""
    for build in (*_registered, *estimators.BUILDERS):
        model = build(estimator)
        if model is not None:
            return model
    return AsIs(estimator)
