"""The functional API: ``manabu.fit`` and ``manabu.load``, thin wrappers over the objects."""
from __future__ import annotations

from pathlib import Path

from manabu.config import DEFAULT_TIME_LIMIT, TrainConfig
from manabu.predictor import Predictor
from manabu.train import train


def fit(data, target: str, *, time_limit: float = DEFAULT_TIME_LIMIT, metric: str | None = None,
        task: str | None = None, models: list[str] | None = None, validation: str | None = None,
        group: str | None = None, time: str | None = None, seed: int = 0,
        max_trials: int | None = None, verbose: bool = True) -> Predictor:
    """Train the best model found within ``time_limit`` seconds and return its Predictor.

    ``data`` is a path (CSV, TSV, Parquet, Excel, JSON lines), a pandas or polars DataFrame.
    """
    config = TrainConfig(target=target, time_limit=time_limit, metric=metric, task=task,
                         models=tuple(models) if models else None, validation=validation,
                         group=group, time=time, seed=seed, max_trials=max_trials)
    listener = None
    if verbose:
        from manabu.progress import RichListener
        listener = RichListener()
    return train(data, config, listener)


def load(path: str | Path) -> Predictor:
    """A saved model, after its files have been checked against the manifest."""
    return Predictor.load(path)
