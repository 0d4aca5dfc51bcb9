"""What the engine needs to know about one model family, and nothing more.

A family is added by writing one ``ModelEntry`` and registering it in ``manabu.models.zoo``:
the search, the artifact and the tests pick it up from there.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from manabu.features.preprocess import PreprocessKind

Params = dict[str, Any]


@dataclass(frozen=True)
class ModelEntry:
    name: str                     # "lightgbm": the name users type in --models
    tasks: frozenset[str]         # the tasks it can learn
    preprocess: PreprocessKind    # which preprocessing it gets
    make: Callable[[str, Params, int], Any]             # (task, params, seed) -> unfitted estimator
    sample: Callable[[np.random.Generator, str], Params]  # a random configuration (random search)
    max_rows: int | None = None   # skipped above this many rows (kernel SVM, say)
    cost: float = 1.0             # rough relative cost, to order the first tries cheap-first
    threaded: bool = False        # takes n_jobs: set from the data size (threads_for)
    cost_exponent: float = 1.0    # a fold's time grows as rows ** cost_exponent
    # tells a fresh estimator that the first n inputs are category codes; returns its fit params
    use_categoricals: Callable[[Any, int], Params] = field(default=lambda estimator, n: {})
    # fit params that stop training at a deadline (time.monotonic()) by raising DeadlineExceeded
    stop_at: Callable[[float], Params] = field(default=lambda deadline: {})

    def supports(self, task: str) -> bool:
        return str(task) in self.tasks


class DeadlineExceeded(Exception):
    """Raised from inside a model's training loop when the search's time is up."""


def threads_for(n_rows: int) -> int:
    """Threads for one model: both cores pay off only on larger data; on small data the
    threads mostly wait for each other (and spin, with OpenMP), so one is faster."""
    return 1 if n_rows < 20_000 else 2


CLASSIFICATION = frozenset({"binary", "multiclass"})
ALL_TASKS = frozenset({"binary", "multiclass", "regression"})


def log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))
