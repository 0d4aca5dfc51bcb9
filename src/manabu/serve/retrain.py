"""``manabu retrain``: a new version of a registered model, promoted only when it is better.

The settings are the production version's own (target, metric, families, validation, seed).
A fifth of the new rows is held out first (stratified for classes): the candidate never sees
them, and both it and the production model are scored on them with the production model's
metric; that is the comparison that decides. The candidate learns from the rest of the new rows
(``mode="new"``) or from them and the rows the production model was trained on
(``mode="combined"``, read again from the file its manifest names). It is registered either
way, so the comparison stays on record, and promoted to production only when it scores better
(or with ``force``). The reason, with both scores, goes into the registry's history.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from manabu.training.config import TrainConfig
from manabu.data.read import read
from manabu.base.errors import ConfigError, DataError
from manabu.evaluate.metrics import get_metric, signed
from manabu.training.predictor import Predictor
from manabu.serve.registry import Registry, Version
from manabu.training.run import train

HELD_OUT = 0.2
MODES = ("combined", "new")


@dataclass(frozen=True)
class Retrained:
    version: Version          # the candidate, as registered
    production: Version       # the version it was compared with
    metric: str
    candidate_score: float
    production_score: float
    better: bool              # the candidate scored better on the held-out new rows
    promoted: bool
    reason: str               # what went into the registry's history


def retrain(registry: Registry, name: str, new_data, *, mode: str = "combined", force: bool = False,
            time_limit: float | None = None, listener=None) -> Retrained:
    if mode not in MODES:
        raise ConfigError("retrain.bad_mode", mode=mode, modes=", ".join(MODES))
    production, folder = registry.resolve(f"registry://{name}@production")
    current = Predictor.load(folder)
    config = current.record.config
    if time_limit is not None:
        config = TrainConfig.from_dict({**config.to_dict(), "time_limit": time_limit})
    new = read(new_data)
    if config.target not in new.columns:
        raise DataError("retrain.no_target", target=config.target, path=str(new_data))
    new = new.loc[new[config.target].notna()].reset_index(drop=True)
    learn, held_out = _split(new, config.target, str(current.task), config.seed)
    if mode == "combined":
        learn = pd.concat([_training_rows(current), learn], ignore_index=True)
    candidate = train(learn, config, listener)
    metric = get_metric(current.metric, str(current.task))
    candidate_score = candidate.evaluate(held_out)[metric.name]
    production_score = current.evaluate(held_out)[metric.name]
    better = signed(metric, candidate_score) > signed(metric, production_score)
    promoted = better or force
    reason = _reason(metric.name, candidate_score, production_score, production.version, len(held_out), better, force)
    with tempfile.TemporaryDirectory() as scratch:
        saved = candidate.save(Path(scratch) / "model")
        version = registry.register(saved, name, reason)
    if promoted:
        version = registry.promote(name, version.version, "production", reason)
    return Retrained(version, production, metric.name, candidate_score, production_score, better, promoted, reason)


def _split(frame: pd.DataFrame, target: str, task: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A fifth of the new rows held out, stratified for classes where every class can be."""
    held = max(1, round(HELD_OUT * len(frame)))
    if len(frame) - held < 2:
        raise DataError("retrain.too_few_rows", n_rows=len(frame))
    stratify = None
    if task != "regression":
        counts = frame[target].value_counts()
        if counts.min() >= 2 and held >= len(counts):
            stratify = frame[target]
    learn, held_out = train_test_split(frame, test_size=held, random_state=seed, stratify=stratify)
    return learn.reset_index(drop=True), held_out.reset_index(drop=True)


def _training_rows(predictor: Predictor) -> pd.DataFrame:
    """The rows the production model learnt from, read again from the file its manifest names."""
    source = predictor.record.source
    path = (source or {}).get("path")
    if path is None or not Path(path).is_file():
        raise DataError("retrain.no_training_data", path=path or "-")
    return read(path, sheet=source.get("sheet"), encoding=source.get("encoding"), sep=source.get("sep"))


def _reason(metric: str, candidate: float, production: float, version: int, rows: int, better: bool,
            force: bool) -> str:
    comparison = f"{metric} {candidate:.4f} against {production:.4f} for version {version} on {rows} held-out new rows"
    if better:
        return f"retrained: better, {comparison}"
    return f"retrained: not better, {comparison}" + ("; promoted anyway (--force)" if force else "")
