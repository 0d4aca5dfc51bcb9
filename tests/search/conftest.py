"""Failure injection for the search: a model family whose training raises, registered only for
the test that asks for it (``inject_family``), as a user's own broken family would behave."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from manabu.features.preprocess import PreprocessKind
from manabu.models import zoo
from manabu.models.entry import ALL_TASKS, ModelEntry
from manabu.search import opening


class Raising(ClassifierMixin, BaseEstimator):
    """An estimator whose ``fit`` raises ``error``: the failure the search must survive."""

    def __init__(self, error: type[BaseException] = RuntimeError):
        self.error = error

    def fit(self, X, y, **fit_params):
        raise self.error("injected failure in fit")

    def predict(self, X):  # never reached: fit always raises
        return np.zeros(len(X))


class RaisingRegressor(RegressorMixin, Raising):
    pass


@pytest.fixture
def inject_family(monkeypatch):
    """``inject_family(name, error)`` adds a family whose fit raises ``error`` to the zoo."""
    original_portfolio = opening.portfolio

    def inject(name: str, error: type[BaseException]) -> ModelEntry:
        def make(task, params, seed):
            return (RaisingRegressor if task == "regression" else Raising)(error)

        entry = ModelEntry(name, ALL_TASKS, PreprocessKind.TREE, make, {})
        monkeypatch.setitem(zoo.ZOO, name, entry)
        def only_default(family, facts=frozenset()):
            return [{}] if family == name else original_portfolio(family, facts)

        monkeypatch.setattr(opening, "portfolio", only_default)
        return entry

    return inject


def small_problem(n: int = 300, seed: int = 0):
    """A binary SearchProblem of ``n`` mixed rows and 3 folds, for tests of the search itself."""
    from sklearn.model_selection import StratifiedKFold

    from manabu.data.schema import infer_schema
    from manabu.evaluate.metrics import get_metric
    from manabu.search.loop import SearchProblem
    from tests.frames import mixed_frame

    frame = mixed_frame(n, "binary", seed=seed)
    schema = infer_schema(frame, "y")
    y = (frame["y"] == sorted(frame["y"].unique())[0]).to_numpy(int)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=seed).split(np.zeros(n), y))
    return SearchProblem(schema.prepare(frame), y, schema, "binary", get_metric("roc_auc", "binary"), folds, 2, seed)
