"""Linear models: logistic regression for classes, Ridge/Lasso/ElasticNet for numbers."""
from __future__ import annotations

from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, ModelEntry, Params, log_uniform


def make(task: str, params: Params, seed: int):
    penalty = params.get("penalty", "l2")
    strength = params.get("strength", 1.0)  # larger means more regularisation, for both tasks
    if task == "regression":
        if penalty == "l2":
            return Ridge(alpha=strength)
        l1_ratio = 1.0 if penalty == "l1" else params.get("l1_ratio", 0.5)
        return ElasticNet(alpha=strength * 1e-3, l1_ratio=l1_ratio, max_iter=5000, random_state=seed)
    if penalty == "l2":
        return LogisticRegression(C=1.0 / strength, max_iter=2000)
    l1_ratio = 1.0 if penalty == "l1" else params.get("l1_ratio", 0.5)
    return LogisticRegression(C=1.0 / strength, l1_ratio=l1_ratio, solver="saga",
                              max_iter=2000, random_state=seed)


def sample(rng, task: str) -> Params:
    penalty = str(rng.choice(["l2", "l1", "elasticnet"]))
    params: Params = {"penalty": penalty, "strength": log_uniform(rng, 1e-3, 1e2)}
    if penalty == "elasticnet":
        params["l1_ratio"] = float(rng.uniform(0.1, 0.9))
    return params


ENTRY = ModelEntry("linear", ALL_TASKS, PreprocessKind.LINEAR, make, sample, cost=0.2)
