"""The functional API: ``manabu.fit`` and ``manabu.load``, thin wrappers over the objects."""
from __future__ import annotations

from pathlib import Path

from manabu.training.config import DEFAULT_TIME_LIMIT, TrainConfig
from manabu.base.errors import ConfigError
from manabu.training.predictor import Predictor
from manabu.training.run import train


def fit(data, target: str, *, time_limit: float = DEFAULT_TIME_LIMIT, metric: str | None = None,
        task: str | None = None, models: list[str] | None = None, validation: str | None = None,
        group: str | None = None, time: str | None = None, seed: int = 0,
        max_trials: int | None = None, preset: str = "balanced", search: str = "bayes",
        max_latency_ms: float | None = None, tokenizer: str = "auto", text_model: str | Path | None = None,
        checkpoint: str | Path | None = None, resume: bool = False, verbose: bool = True) -> Predictor:
    """Train the best model found within ``time_limit`` seconds and return its Predictor.

    ``data`` is a path (CSV, TSV, Parquet, Excel, JSON lines), a pandas or polars DataFrame.
    ``tokenizer`` reads the words of Japanese text ("sudachi", "fugashi", "janome"; "auto" takes
    the first installed), and ``text_model`` is a local Transformer checkpoint to fine-tune on
    the text beside the other families.
    ``checkpoint`` is a folder where the search saves its progress; ``resume=True`` continues
    the search saved there (after Ctrl-C, say) instead of starting again.
    """
    config = TrainConfig(target=target, time_limit=time_limit, metric=metric, task=task,
                         models=tuple(models) if models else None, validation=validation,
                         group=group, time=time, seed=seed, max_trials=max_trials, preset=preset,
                         search=search, max_latency_ms=max_latency_ms, tokenizer=tokenizer,
                         text_model=text_model)
    saved_search = None
    if checkpoint is not None:
        from manabu.search.checkpoint import Checkpoint
        saved_search = Checkpoint(checkpoint, {})
    elif resume:
        raise ConfigError("search.resume_missing", path="-")
    listener = None
    if verbose:
        from manabu.training.progress import RichListener
        listener = RichListener()
    return train(data, config, listener, checkpoint=saved_search, resume=resume)


def load(path: str | Path):
    """A saved model (a ``Predictor``, a ``ClusterModel`` or an ``AnomalyModel``), after its files
    have been checked against the manifest."""
    from manabu.unsupervised.model import load_unsupervised
    return load_unsupervised(path) or Predictor.load(path)
