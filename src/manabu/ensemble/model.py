"""The fitted ensemble: several trained pipelines whose predictions are combined into one.

Members are full pipelines (each family keeps its own preprocessing), so the ensemble takes
the same prepared frame as a single model and plugs into ``Predictor`` unchanged.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from manabu.models.outputs import predict_scores


class Ensemble:
    """Weighted average of the members' probabilities (classes) or values (regression), or,
    with a ``stacker``, a small linear model fitted on the members' out-of-fold predictions."""

    def __init__(self, members: list[tuple[str, Pipeline]], weights: list[float], task: str,
                 n_classes: int = 0, stacker: Any = None) -> None:
        if len(members) != len(weights) or not members:
            raise ValueError("an ensemble needs one weight per member, and at least one member")
        self.members = list(members)
        self.weights = np.asarray(weights, dtype=float)
        self.task = str(task)
        self.n_classes = int(n_classes)
        self.stacker = stacker
        if self.task != "regression":
            self.classes_ = np.arange(self.n_classes)

    def member_outputs(self, X) -> list[np.ndarray]:
        """Each member's prediction: probabilities on every class, or values."""
        return [predict_scores(pipeline, X, self.task, self.n_classes) for _, pipeline in self.members]

    def combine(self, outputs: list[np.ndarray]) -> np.ndarray:
        if self.stacker is not None:
            return predict_scores(self.stacker, stack_features(outputs, self.task), self.task, self.n_classes)
        return sum(w * out for w, out in zip(self.weights, outputs)) / self.weights.sum()

    def predict_proba(self, X) -> np.ndarray:
        if self.task == "regression":
            raise AttributeError("a regression ensemble has no predict_proba")
        return self.combine(self.member_outputs(X))

    def predict(self, X) -> np.ndarray:
        combined = self.combine(self.member_outputs(X))
        return combined if self.task == "regression" else combined.argmax(axis=1)


def stack_features(outputs: list[np.ndarray], task: str) -> np.ndarray:
    """The stacker's inputs: members' values, or their class log-odds (linear in what a
    logistic stacker needs; one column per class except a binary task's redundant one)."""
    if task == "regression":
        return np.column_stack(outputs)
    columns = []
    for proba in outputs:
        clipped = np.clip(proba, 1e-6, 1 - 1e-6)
        logits = np.log(clipped / (1 - clipped))
        columns.append(logits[:, 1:] if proba.shape[1] == 2 else logits)
    return np.hstack(columns)
