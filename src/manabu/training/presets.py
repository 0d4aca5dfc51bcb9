"""Presets: one word that trades accuracy against training time and prediction latency.

- ``fast``: one small model from the quick families, no ensemble; of the models within one
  standard error of the best score, the quickest to predict a row (well under a millisecond).
- ``balanced`` (the default): every family, and a greedy ensemble when it scores at least as
  well out of fold as the best single model chosen the same cross-fitted way.
- ``best``: every family, the greedy ensemble and a stacked ensemble; the most accurate, and the
  slowest to predict.
"""
from __future__ import annotations

from dataclasses import dataclass

from manabu.base.errors import ConfigError


@dataclass(frozen=True)
class Preset:
    name: str
    families: tuple[str, ...] | None  # None: the whole zoo
    ensemble: bool
    stacking: bool
    refit_reserve_models: int         # the best models whose refit time the search sets aside
    quickest_within_noise: bool = False  # keep the quickest model within one standard error of the best


PRESETS = {
    "fast": Preset("fast", ("linear", "decision_tree", "lightgbm"), ensemble=False, stacking=False,
                   refit_reserve_models=1, quickest_within_noise=True),
    "balanced": Preset("balanced", None, ensemble=True, stacking=False, refit_reserve_models=3),
    "best": Preset("best", None, ensemble=True, stacking=True, refit_reserve_models=4),
}
DEFAULT_PRESET = "balanced"


def get_preset(name: str | None) -> Preset:
    name = name or DEFAULT_PRESET
    if name not in PRESETS:
        raise ConfigError("search.bad_preset", value=name, choices=", ".join(PRESETS))
    return PRESETS[name]
