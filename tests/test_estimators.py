"""AutoClassifier / AutoRegressor are scikit-learn estimators: the library's own conformance
checks, and use inside cross_val_score and Pipeline."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from manabu import AutoClassifier, AutoRegressor

# one cheap family keeps the ~40 conformance checks fast; the search itself is tested elsewhere
FAST = dict(time_limit=30, models=("linear",), max_trials=1)

# checks that do not apply to an AutoML search, each with the reason
EXPECTED_FAILURES = {
    # the search picks among families by validation score: with a one-family, one-trial search
    # this holds, but sample-weight semantics are not offered by the search
    "check_sample_weight_equivalence_on_dense_data": "fit does not take sample_weight",
}


@parametrize_with_checks([AutoClassifier(**FAST), AutoRegressor(**FAST)],
                         expected_failed_checks=lambda est: EXPECTED_FAILURES)
@pytest.mark.usefixtures("without_report_numbers")  # no check reads them; 2.0 s of a 2.2 s fit
def test_sklearn_conformance(estimator, check):
    check(estimator)


def test_works_in_cross_val_score_and_pipeline():
    X, y = load_iris(return_X_y=True)
    scores = cross_val_score(make_pipeline(StandardScaler(), AutoClassifier(time_limit=10, max_trials=2)),
                             X, y, cv=3)
    assert scores.mean() > 0.85


def test_classifier_predict_proba_follows_classes():
    X, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = AutoClassifier(time_limit=10, max_trials=2).fit(X, labels)
    assert list(model.classes_) == ["setosa", "versicolor", "virginica"]
    proba = model.predict_proba(X[:5])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(X)) <= set(labels)


def test_regressor_learns():
    X, y = load_diabetes(return_X_y=True)
    assert AutoRegressor(time_limit=10, max_trials=2).fit(X[:300], y[:300]).score(X[300:], y[300:]) > 0.3
