"""The baselines and statistical models, from statsforecast: one model fitted per series.

The baselines are the yardsticks every forecast must beat (naive: the last value; seasonal
naive: the value one season ago; mean; drift: the line from the first point to the last). The
statistical models choose their own form per series: AutoETS (exponential smoothing), AutoARIMA,
AutoTheta, and MSTL when a series has several seasons (a day and a week in hourly data).

A fitted model forecasts a history it did not learn from (a backtest's, or one with new points)
through statsforecast's ``forward``: the same parameters, run over the new history.
"""
from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from manabu.forecasting import state as stored
from manabu.forecasting.families.base import FamilySpec, ForecastFamily, check_deadline, register_family
from manabu.forecasting.panel import Panel

# the last points a statistical model learns from: the far past adds time, seldom accuracy
HISTORY = {"auto_arima": 1000, "mstl": 3000}
DEFAULT_HISTORY = 2000
ETS_LONGEST_SEASON = 24    # statsforecast's ETS takes no longer season
# A seasonal ARIMA of a long season is a state space of that many states: minutes to fit (a
# season of 24 hours: a minute on 1,000 points; of 52 weeks: more than five). Past this season
# ARIMA models the season with Fourier terms as regressors instead, as Hyndman advises.
ARIMA_LONGEST_SEASON = 12
FOURIER_PAIRS = 3
PACE_SERIES = 5          # the pace of a family is judged after this many series,
PACE_SECONDS = 1.0       # or this many seconds, whichever comes first


def _models(name: str, seasons: tuple[int, ...]) -> Any:
    from statsforecast import models

    season = seasons[0] if seasons else 1
    return {
        "naive": lambda: models.Naive(),
        "seasonal_naive": lambda: models.SeasonalNaive(season_length=season),
        "mean": lambda: models.HistoricAverage(),
        "drift": lambda: models.RandomWalkWithDrift(),
        "auto_ets": lambda: models.AutoETS(season_length=season if season <= ETS_LONGEST_SEASON else 1),
        "auto_theta": lambda: models.AutoTheta(season_length=season),
        "auto_arima": lambda: models.AutoARIMA(season_length=season if season <= ARIMA_LONGEST_SEASON else 1),
        "mstl": lambda: models.MSTL(season_length=list(seasons),
                                    trend_forecaster=models.AutoETS(model="ZZN")),
    }[name]()


class StatsFamily(ForecastFamily):
    """One statsforecast model per series, chosen by ``name``."""

    def __init__(self, name: str, seasons: tuple[int, ...] = ()) -> None:
        self.name = name
        self.seasons = tuple(int(s) for s in seasons)
        self.models_: list[Any] = []

    @property
    def history(self) -> int:
        return HISTORY.get(self.name, DEFAULT_HISTORY)

    @property
    def fourier_season(self) -> int | None:
        """The season ARIMA meets through Fourier terms (None: no such season)."""
        season = self.seasons[0] if self.seasons else 1
        return season if self.name == "auto_arima" and season > ARIMA_LONGEST_SEASON else None

    def fit(self, panel: Panel, horizon: int, deadline: float | None = None) -> StatsFamily:
        """One model per series; given up (``OutOfTime``) as soon as the pace of the series done
        so far says the rest cannot be done by the deadline."""
        self.models_ = []
        paced_from = time.monotonic()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for done, values in enumerate(panel.y):
                check_deadline(deadline)
                if done == 1:  # the first series also paid numba's compilation: not the pace
                    paced_from = time.monotonic()
                elapsed = time.monotonic() - paced_from
                if deadline is not None and done > 1 and (done > PACE_SERIES or elapsed >= PACE_SECONDS):
                    check_deadline(deadline - elapsed / (done - 1) * (panel.n_series - done))
                model = _models(self.name, self.seasons)
                tail = values[-self.history:]
                if self.fourier_season:
                    self.models_.append(model.fit(tail, X=fourier(len(values) - len(tail), len(values),
                                                                  self.fourier_season)))
                else:
                    self.models_.append(model.fit(tail))
        return self

    def forecast(self, panel: Panel, horizon: int, future=None) -> list[np.ndarray]:
        answers = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for model, values in zip(self.models_, panel.y):
                tail = values[-self.history:]
                if self.fourier_season:
                    n, season = len(values), self.fourier_season
                    found = model.forward(tail, horizon, X=fourier(n - len(tail), n, season),
                                          X_future=fourier(n, n + horizon, season))
                else:
                    found = _forward(model, tail, horizon)
                answers.append(np.asarray(found["mean"], dtype=float))
        return answers

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {}
        models = [stored.encode(model, arrays, f"m{i}") for i, model in enumerate(self.models_)]
        return {"name": self.name, "seasons": list(self.seasons), "models": models}, arrays

    @classmethod
    def restore(cls, settings: dict[str, Any], arrays: dict[str, np.ndarray]) -> StatsFamily:
        family = cls(settings["name"], tuple(settings["seasons"]))
        family.models_ = [stored.decode(node, arrays, settings["name"]) for node in settings["models"]]
        return family


def fourier(start: int, stop: int, season: int) -> np.ndarray:
    """Sines and cosines of the season at the positions ``start`` to ``stop`` of a series
    (counted from its first point, so that a longer history keeps the phase)."""
    t = np.arange(start, stop, dtype=float)[:, None]
    k = np.arange(1, FOURIER_PAIRS + 1, dtype=float)[None, :]
    angle = 2 * np.pi * t * k / season
    return np.hstack([np.sin(angle), np.cos(angle)])


def _forward(model: Any, values: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    """The fitted model run over ``values``; a baseline, which has no parameters to keep, is
    simply fitted to them."""
    if hasattr(model, "forward"):
        return model.forward(values, horizon)
    return model.forecast(y=values, h=horizon)


def _spec(name: str, kind: str, usable=None) -> FamilySpec:
    return FamilySpec(name, kind, make=lambda panel, horizon, seed: StatsFamily(name, panel.seasons),
                      restore=StatsFamily.restore, usable=usable or (lambda panel, horizon: True))


def _seasonal(panel: Panel, horizon: int) -> bool:
    return panel.season > 1


for _name, _kind, _usable in (("naive", "baseline", None), ("seasonal_naive", "baseline", _seasonal),
                              ("mean", "baseline", None), ("drift", "baseline", None),
                              ("auto_ets", "statistical", None), ("auto_theta", "statistical", None),
                              ("auto_arima", "statistical", None),
                              ("mstl", "statistical", lambda panel, horizon: len(panel.seasons) >= 2)):
    register_family(_spec(_name, _kind, _usable))
