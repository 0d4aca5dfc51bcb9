"""k-nearest neighbours: predicts from the most similar training rows."""
from __future__ import annotations

from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, ModelEntry, Params
from manabu.models.space import Choice, Integer


def make(task: str, params: Params, seed: int):
    cls = KNeighborsRegressor if task == "regression" else KNeighborsClassifier
    return cls(n_neighbors=params.get("n_neighbors", 15), weights=params.get("weights", "distance"),
               n_jobs=1)


SPACE = {"n_neighbors": Integer(3, 60, log=True), "weights": Choice(("uniform", "distance"))}


# prediction cost grows with the training size times the query size
ENTRY = ModelEntry("knn", ALL_TASKS, PreprocessKind.LINEAR, make, SPACE, max_rows=50_000, cost=0.5,
                   cost_exponent=2.0)
