"""One candidate: a model family with one configuration, turned into a full Pipeline."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sklearn.pipeline import Pipeline

from manabu.data.schema import Schema
from manabu.features.preprocess import build_preprocessor
from manabu.models.entry import ModelEntry, Params


@dataclass(frozen=True)
class Candidate:
    name: str          # shown in the leaderboard: "lightgbm", "lightgbm #2"
    entry: ModelEntry
    params: Params
    origin: str        # "portfolio" (known-good default) or "random" (random search)

    @property
    def family(self) -> str:
        return self.entry.name

    @property
    def size_scale(self) -> float:
        """How much more work than a default configuration: more trees cost more time."""
        trees = self.params.get("n_estimators")
        return 1.0 if trees is None else trees / 300.0

    def build(self, schema: Schema, task: str, seed: int) -> tuple[Pipeline, dict[str, Any]]:
        """A fresh, unfitted pipeline and the fit parameters it needs."""
        preprocessor = build_preprocessor(schema, self.entry.preprocess, task, seed)
        estimator = self.entry.make(str(task), self.params, seed)
        fit_params = self.entry.use_categoricals(estimator, preprocessor.n_categorical)
        pipeline = Pipeline([("preprocess", preprocessor.transformer), ("model", estimator)])
        return pipeline, {f"model__{key}": value for key, value in fit_params.items()}
