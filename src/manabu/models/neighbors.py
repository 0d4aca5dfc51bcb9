"""k-nearest neighbours: predicts from the most similar training rows."""
from __future__ import annotations

from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, ModelEntry, Params


def make(task: str, params: Params, seed: int):
    cls = KNeighborsRegressor if task == "regression" else KNeighborsClassifier
    return cls(n_neighbors=params.get("n_neighbors", 15), weights=params.get("weights", "distance"),
               n_jobs=1)


def sample(rng, task: str) -> Params:
    return {"n_neighbors": int(rng.integers(3, 60)), "weights": str(rng.choice(["uniform", "distance"]))}


# prediction cost grows with the training size times the query size
ENTRY = ModelEntry("knn", ALL_TASKS, PreprocessKind.LINEAR, make, sample, max_rows=50_000, cost=0.5,
                   cost_exponent=2.0)
