"""``AutoClassifier`` and ``AutoRegressor``: the whole search as one scikit-learn estimator,
so it works inside ``cross_val_score``, ``Pipeline`` and ``GridSearchCV``."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from manabu.training.config import DEFAULT_TIME_LIMIT, TrainConfig
from manabu.training.run import train

_TARGET = "__manabu_target__"


class _AutoEstimator(BaseEstimator):
    _task: str

    def __init__(self, time_limit: float = DEFAULT_TIME_LIMIT, metric: str | None = None,
                 models: tuple[str, ...] | None = None, validation: str | None = None,
                 seed: int = 0, max_trials: int | None = None):
        self.time_limit = time_limit
        self.metric = metric
        self.models = models
        self.validation = validation
        self.seed = seed
        self.max_trials = max_trials

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=None, ensure_all_finite="allow-nan",
                             skip_check_array=isinstance(X, pd.DataFrame))
        frame = self._frame(X)
        frame[_TARGET] = np.asarray(y)
        config = TrainConfig(target=_TARGET, time_limit=self.time_limit, metric=self.metric,
                             task=self._task_for(y), models=self.models, validation=self.validation,
                             seed=self.seed, max_trials=self.max_trials)
        self.predictor_ = train(frame, config)
        return self

    def predict(self, X):
        check_is_fitted(self, "predictor_")
        return self.predictor_.predict(self._frame(self._check(X))).to_numpy()

    def _check(self, X):
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=False, skip_check_array=True)
            return X
        return validate_data(self, X, reset=False, dtype=None, ensure_all_finite="allow-nan")

    def _frame(self, X) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            frame = X.copy()
            frame.columns = [str(c) for c in frame.columns]
            return frame.reset_index(drop=True)
        return pd.DataFrame(np.asarray(X), columns=[f"x{i}" for i in range(np.asarray(X).shape[1])])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True        # text and categories are read as they are
        tags.input_tags.categorical = True
        tags.non_deterministic = False
        return tags


class AutoClassifier(ClassifierMixin, _AutoEstimator):
    """Searches classifiers; ``predict_proba`` columns follow ``classes_``."""

    def _task_for(self, y) -> str:
        return "binary" if len(np.unique(y)) == 2 else "multiclass"

    def fit(self, X, y):
        check_classification_targets(y)  # a continuous y is a mistake for a classifier
        super().fit(X, y)
        self.classes_ = np.asarray(self.predictor_.classes)
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "predictor_")
        return self.predictor_.predict_proba(self._frame(self._check(X))).to_numpy()


class AutoRegressor(RegressorMixin, _AutoEstimator):
    """Searches regressors."""

    def _task_for(self, y) -> str:
        return "regression"
