"""What the engine needs to know about one model family, and nothing more.

A family is added by writing one ``ModelEntry`` (in a folder of its own when it brings a storage
codec or a row path) and listing it in ``manabu.models.zoo``: the zoo registers its codec with
storage and its row path with inference, and the search and the tests pick it up from there.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from manabu.artifact.codecs import ModelCodec, register_codec
from manabu.features.preprocess import PreprocessKind
from manabu.inference.models import register_row_model
from manabu.models.script import ScriptFit
from manabu.models.space import Space, sample_space

Params = dict[str, Any]


# Tree ensembles cost less than proportionally more between a 1,000-row probe and a fold: a
# fixed cost per tree, and early stopping that needs about as many rounds. Measured from 1,000 to
# 10,666 rows of letter: LightGBM 0.70, random forest 0.64, XGBoost 0.48 (bench note, issue 3).
TREE_ENSEMBLE_COST_EXPONENT = 0.75


@dataclass(frozen=True)
class ModelEntry:
    name: str                     # "lightgbm": the name users type in --models
    tasks: frozenset[str]         # the tasks it can learn
    preprocess: PreprocessKind    # which preprocessing it gets
    make: Callable[[str, Params, int], Any]             # (task, params, seed) -> unfitted estimator
    space: Space                   # the hyperparameters the search may tune, and their ranges
    max_rows: int | None = None   # skipped above this many rows (kernel SVM, say)
    cost: float = 1.0             # rough relative cost, to order the first tries cheap-first
    threads_param: str | None = None  # the estimator parameter for its threads ("n_jobs"), set by threads_for
    device_param: str | None = None   # the estimator parameter for its torch device (--device), where it has one
    cost_exponent: float = 1.0    # a fold's time grows as rows ** cost_exponent
    # its first default is often the best single model of a search (gradient boosting): the
    # search lets that one run take a larger share of the budget than any other candidate
    strong_start: bool = False
    memory_factor: float = 4.0    # peak memory of one fit, as a multiple of the prepared data's size
    # takes a sparse matrix: its one-hot columns stay sparse, which on 390k rows of adult-like data
    # kept a logistic regression's fit at 150 MB instead of 615 MB
    sparse_input: bool = False
    # (params) -> how much more work than the family's default configuration, beyond its trees,
    # so that the cost learnt from cheap configurations does not let a costly one start late
    work: Callable[[Params], float] = field(default=lambda params: 1.0)
    # (params, training rows, values per leaf: classes or 1) -> bytes of the fitted model itself,
    # for families whose models grow with the rows (a forest keeps every node of every tree)
    model_bytes: Callable[[Params, int, int], float] = field(default=lambda params, rows, values: 0.0)
    # tells a fresh estimator that the first n inputs are category codes; returns its fit params
    use_categoricals: Callable[[Any, int], Params] = field(default=lambda estimator, n: {})
    # fit params that stop training at a deadline (time.monotonic()): by raising DeadlineExceeded,
    # or, for a family that ``keeps_partial``, by ending with what it built so far
    stop_at: Callable[[float], Params] = field(default=lambda deadline: {})
    # stopped at its deadline, the model is still whole (a booster with the trees built so far)
    # and says so in its ``stopped_at_deadline_`` attribute: the search scores it, and its refit
    # on all rows may be given a deadline too
    keeps_partial: bool = False
    needs_text: bool = False      # learns from free-text columns only: tried when the data has one
    needs_images: bool = False    # learns from images only (a column of files, or a grid of pixels)
    needs_molecules: bool = False  # learns from SMILES columns only: tried when the data has one
    extra: str | None = None      # the pip extra it needs (manabu[deep]), when that is not installed
    available: Callable[[], bool] = field(default=lambda: True)  # its libraries can be imported
    # imports its libraries before the clock of its first fold starts (the search calls it once):
    # torch, with the compiler modules its optimisers import, took 6 to 12 s on a busy machine
    warm_up: Callable[[], None] = field(default=lambda: None)
    languages: frozenset[str] | None = None  # text languages it is offered for (None: any)
    # stored in its library's own format rather than skops (manabu.artifact.codecs)
    codec: ModelCodec | None = None
    # (fitted estimator) -> its exact stand-in on a float matrix, or None when it is not one of
    # this family's (manabu.inference.models); families without one are called as they are
    row_model: Callable[[Any], Any] | None = None
    # (task, category columns) -> how a script of ``manabu export-code`` trains it, when that is
    # more than ``model.fit(features, y)`` (manabu.models.script)
    script_fit: Callable[[str, int], ScriptFit] | None = None

    def supports(self, task: str) -> bool:
        return str(task) in self.tasks

    def sample(self, rng: np.random.Generator) -> Params:
        """A random configuration (random search, and the start of the others)."""
        return sample_space(self.space, rng)


def register_family(entry: ModelEntry) -> None:
    """Make storage and the row path know what ``entry`` brings (the zoo calls it once per family)."""
    register_storage(entry.codec, entry.row_model)


def register_storage(codec: ModelCodec | None, row_model: Callable[[Any], Any] | None) -> None:
    """Make storage and the row path know a family's format and row model: its package calls
    this on import, so that a saved model loads without the zoo."""
    if codec is not None:
        register_codec(codec)
    if row_model is not None:
        register_row_model(row_model)


class DeadlineExceeded(Exception):
    """Raised from inside a model's training loop when the search's time is up."""


STOPPED_AT_DEADLINE = "stopped_at_deadline_"  # set by the fit of a family that keeps_partial


def stopped_at_deadline(model: Any) -> bool:
    """Whether a fitted model (or a pipeline ending in one) ended at its deadline with what it
    had built, rather than when its own stopping rule said."""
    last = model.steps[-1][1] if hasattr(model, "steps") else model
    return bool(getattr(last, STOPPED_AT_DEADLINE, False))


def threads_for(n_rows: int) -> int:
    """Threads for one model: both cores pay off only on larger data; on small data the
    threads mostly wait for each other (and spin, with OpenMP), so one is faster."""
    return 1 if n_rows < 20_000 else 2


def fit_with_threads(pipeline, X, y, **fit_params):
    """``pipeline.fit``, its linear algebra (BLAS: the MLP, linear models, SVMs) on
    ``threads_for`` threads as the families' own threads are: an MLP on 1,000 rows took 0.75 s
    with two BLAS threads and 0.49 s with one, and with another process on the second core
    1.29 s and 0.46 s."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(threads_for(len(y)), user_api="blas"):
        return pipeline.fit(X, y, **fit_params)


CLASSIFICATION = frozenset({"binary", "multiclass"})
ALL_TASKS = frozenset({"binary", "multiclass", "regression"})
