"""The model zoo: every family the engine may try, in the order it tries their defaults."""
from __future__ import annotations

import json
from importlib import resources

from manabu.errors import ConfigError
from manabu.models import boosting, catboost_entry, linear, neighbors, neural, svm, trees, xgboost_entry
from manabu.models.entry import ModelEntry, Params

ZOO: dict[str, ModelEntry] = {entry.name: entry for entry in (
    linear.ENTRY,
    trees.TREE,
    boosting.LIGHTGBM,
    xgboost_entry.ENTRY,
    catboost_entry.ENTRY,
    boosting.HIST_GRADIENT_BOOSTING,
    neighbors.ENTRY,
    trees.EXTRA_TREES,
    trees.RANDOM_FOREST,
    svm.ENTRY,
    neural.ENTRY,
)}


def get_entries(names: list[str] | None, task: str) -> list[ModelEntry]:
    """The families to try for this task: all of them, or the ones named (``--models``)."""
    if names:
        unknown = [n for n in names if n not in ZOO]
        if unknown:
            raise ConfigError("models.unknown", names=", ".join(unknown), choices=", ".join(ZOO))
        chosen = [ZOO[n] for n in names]
    else:
        chosen = list(ZOO.values())
    usable = [entry for entry in chosen if entry.supports(task)]
    if not usable:
        raise ConfigError("models.none_for_task", task=str(task), names=", ".join(e.name for e in chosen))
    return usable


def portfolio(name: str, facts: frozenset[str] = frozenset()) -> list[Params]:
    """Known-good configurations of one family, tried before any random search. A configuration
    marked ``"when": FACT`` is for data with that fact only (``facts`` of the search problem:
    "positive_target", a regression target above zero, which a log link needs)."""
    text = resources.files("manabu.models").joinpath("portfolios", f"{name}.json").read_text("utf-8")
    return [{k: v for k, v in config.items() if k != "when"} for config in json.loads(text)["configs"]
            if config.get("when") is None or config["when"] in facts]
