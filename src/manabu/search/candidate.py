"""One candidate: a model family with one configuration, turned into a full Pipeline."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from manabu.data.schema import Schema
from manabu.features.preprocess import build_preprocessor
from manabu.models.entry import ModelEntry, Params, threads_for
from manabu.models.feature_space import split_feature_params


@dataclass(frozen=True)
class Candidate:
    name: str          # shown in the leaderboard: "lightgbm", "lightgbm #2"
    entry: ModelEntry
    params: Params
    origin: str        # "portfolio" (known-good default) or "random" (random search)
    # the share of the rows it is fitted on, in each fold and in the refit: a strong family that
    # cannot finish on all of them in its time is fitted on a sample (``manabu.search.loop``)
    row_fraction: float = 1.0

    @property
    def family(self) -> str:
        return self.entry.name

    @property
    def size_scale(self) -> float:
        """How much more work than a default configuration: more trees cost more time, and some
        settings more than others (``ModelEntry.work``)."""
        trees = self.params.get("n_estimators")
        return (1.0 if trees is None else trees / 300.0) * self.entry.work(self.params)

    def rows_of(self, rows: np.ndarray, seed: int) -> np.ndarray:
        """``rows`` (positions), or a seeded sample of ``row_fraction`` of them, in order."""
        if self.row_fraction >= 1.0:
            return rows
        size = max(1, int(round(len(rows) * self.row_fraction)))
        return np.sort(np.random.default_rng(seed).choice(rows, size=size, replace=False))

    def build(self, schema: Schema, task: str, seed: int, *, n_rows: int = 0,
              deadline: float | None = None) -> tuple[Pipeline, dict[str, Any]]:
        """A fresh, unfitted pipeline and the fit parameters it needs.

        ``n_rows`` sets the threads of models that have them; ``deadline`` (time.monotonic())
        stops models that can stop mid-training when it passes: with what they built
        (``ModelEntry.keeps_partial``), or by raising ``DeadlineExceeded``.
        """
        options, params = split_feature_params(self.params)
        preprocessor = build_preprocessor(schema, self.entry.preprocess, task, seed,
                                          sparse=self.entry.sparse_input, options=options)
        estimator = self.entry.make(str(task), params, seed)
        if self.entry.threads_param:
            estimator.set_params(**{self.entry.threads_param: threads_for(n_rows)})
        fit_params = self.entry.use_categoricals(estimator, preprocessor.n_categorical)
        if deadline is not None:
            fit_params.update(self.entry.stop_at(deadline))
        pipeline = Pipeline([("preprocess", preprocessor.transformer), ("model", estimator)])
        return pipeline, {f"model__{key}": value for key, value in fit_params.items()}
