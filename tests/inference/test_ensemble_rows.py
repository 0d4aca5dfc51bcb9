"""An ensemble's row path: each member compiled, combined by the ensemble's own code."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge

from manabu.ensemble.model import Ensemble, stack_features
from manabu.inference import build_row_path
from tests.inference.conftest import new_rows

MEMBERS = ("lightgbm", "random_forest", "linear")


@pytest.mark.parametrize("task", ["binary", "regression"])
@pytest.mark.parametrize("stacked", [False, True])
def test_ensemble_row_path_answers_as_the_ensemble(fitted, task, stacked):
    members = [(family, fitted(family, task)[0]) for family in MEMBERS]
    schema = fitted(MEMBERS[0], task)[1]
    ensemble = Ensemble(members, [0.5, 0.3, 0.2], task, n_classes=2 if task == "binary" else 0)
    rows = new_rows(task)
    X = schema.prepare(rows)
    if stacked:  # a stacker fitted on the members' answers (here on the new rows themselves)
        features = stack_features(ensemble.member_outputs(X), task)
        target = (features[:, 0] > np.median(features[:, 0])).astype(int) if task == "binary" else features.sum(axis=1)
        ensemble.stacker = (LogisticRegression() if task == "binary" else Ridge()).fit(features, target)
    path = build_row_path(ensemble, schema)
    assert [type(m.model).__name__ for _, m in path.compiled.members] == ["LightGBM", "Trees", "Linear"]
    assert path.compiled.members is not ensemble.members  # the ensemble itself is left as it was
    values, n = schema.prepare_values(rows), len(rows)
    if task == "binary":
        np.testing.assert_allclose(path.predict_proba(values, n), ensemble.predict_proba(X), rtol=0, atol=1e-6)
        np.testing.assert_array_equal(path.predict(values, n), ensemble.predict(X))
    else:
        np.testing.assert_allclose(path.predict(values, n), ensemble.predict(X), rtol=0, atol=1e-6)
    one = schema.prepare_values(rows.iloc[[3]])
    np.testing.assert_allclose(np.asarray(path.predict(one, 1), dtype=float),
                               np.asarray(ensemble.predict(X.iloc[[3]]), dtype=float), rtol=0, atol=1e-6)
