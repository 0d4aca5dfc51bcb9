"""What a forecasting family is, and the catalogue the search draws them from.

A family learns from a ``Panel`` (one or many series) and forecasts ``horizon`` steps after the
end of a panel's series: the one it learnt from, a backtest's shorter history, or a history with
new points appended. It stores itself as JSON settings and numpy arrays (``state``/``restore``),
which the model folder keeps as safetensors: never a pickle.

A new family is a module that calls ``register_family`` with a ``FamilySpec``; the search and the
model folder find it by name.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from manabu.base.errors import ArtifactError
from manabu.forecasting.panel import Panel

Future = dict[str, list[np.ndarray]]   # a known covariate's values over the horizon, per series


class OutOfTime(Exception):
    """A family's fit passed its deadline; the search leaves the family out."""


class ForecastFamily:
    """The contract of a family: ``fit`` learns, ``forecast`` answers ``horizon`` values per
    series (in ``panel.ids``' order) after the end of ``panel``'s series."""

    name: str = ""

    def fit(self, panel: Panel, horizon: int, deadline: float | None = None) -> ForecastFamily:
        raise NotImplementedError

    def forecast(self, panel: Panel, horizon: int, future: Future | None = None) -> list[np.ndarray]:
        raise NotImplementedError

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """(JSON settings, named arrays): all that ``restore`` needs to forecast again."""
        raise NotImplementedError

    @classmethod
    def restore(cls, settings: dict[str, Any], arrays: dict[str, np.ndarray]) -> ForecastFamily:
        raise NotImplementedError


@dataclass(frozen=True)
class FamilySpec:
    """A family in the catalogue: ``make(panel, horizon, seed)`` gives a new unfitted family,
    ``usable(panel, horizon)`` says whether it applies; ``kind`` groups it in the report
    ("baseline", "statistical", "boosting", "deep"); ``restore`` builds a saved one back."""

    name: str
    kind: str
    make: Callable[[Panel, int, int], ForecastFamily]
    restore: Callable[[dict[str, Any], dict[str, np.ndarray]], ForecastFamily]
    usable: Callable[[Panel, int], bool] = lambda panel, horizon: True
    uses_covariates: bool = False


_CATALOGUE: dict[str, FamilySpec] = {}
_BUILT_IN = ("manabu.forecasting.families.statistical", "manabu.forecasting.families.boosting",
             "manabu.forecasting.families.windows")


def register_family(spec: FamilySpec) -> None:
    _CATALOGUE[spec.name] = spec


def catalogue() -> dict[str, FamilySpec]:
    """Every registered family, in the order the search tries them (cheap first)."""
    import importlib

    for module in _BUILT_IN:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:  # a family whose extra is missing (torch) stays out
            if not (error.name or "").startswith(("torch", module)):
                raise
    return dict(_CATALOGUE)


def family_spec(name: str, where: str) -> FamilySpec:
    spec = catalogue().get(name)
    if spec is None:
        raise ArtifactError("forecast.unknown_family", path=where, family=name)
    return spec


def check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise OutOfTime()
