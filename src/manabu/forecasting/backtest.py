"""Rolling-origin backtests: the only honest way to score a forecast.

A forecaster is fitted on the history up to an origin and scored on the ``horizon`` points after
it, at several origins at the end of the history, one horizon apart ("windows"), never on a
random split: a model that saw the future would look better than it can be. The earliest origin
comes first; every series of a panel is cut at the same distance from its own end.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from manabu.base.errors import DataError
from manabu.base.i18n import Notice
from manabu.evaluate.forecast import METRICS, mase_scale, point_errors
from manabu.forecasting.families.base import FamilySpec, check_deadline
from manabu.forecasting.intervals import spread_scale
from manabu.forecasting.panel import MIN_POINTS, Panel

DEFAULT_WINDOWS = 3
MOST_AUTO_WINDOWS = 10
HORIZONS_PER_WINDOW = 10


@dataclass
class Windows:
    """The backtest's origins and what each one hides: ``drops[w]`` points are cut from the end
    of every series; ``truth[w, s]`` are the next ``horizon`` values, ``scales[w, s]`` the MASE
    scale of the history before the origin, ``spreads[w, s]`` its recent spread (the
    intervals' unit)."""

    horizon: int
    drops: list[int]
    truth: np.ndarray
    scales: np.ndarray
    spreads: np.ndarray
    notices: list[Notice] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.drops)


def window_count(panel: Panel, horizon: int, wanted: int | None = None) -> int:
    """``wanted``, or by default one window per ``HORIZONS_PER_WINDOW`` horizons of the shortest
    series, from 3 to 10: on a long, noisy history, a choice made on three windows is mostly luck,
    and the extra windows cost only time, which the search's pace rule keeps in bounds."""
    if wanted is not None:
        return wanted
    return int(np.clip(min(panel.lengths) // (HORIZONS_PER_WINDOW * horizon), DEFAULT_WINDOWS, MOST_AUTO_WINDOWS))


def plan_windows(panel: Panel, horizon: int, windows: int | None = None, where: str = "data") -> Windows:
    """As many of the ``windows`` origins (``window_count``'s by default) as the shortest series
    allows (at least one), keeping at least two seasons (or ``MIN_POINTS`` points) of history
    before the earliest."""
    if not isinstance(horizon, int) or horizon < 1:
        raise DataError("forecast.bad_horizon", horizon=horizon)
    shortest = min(panel.lengths)
    keep = max(MIN_POINTS, 2 * panel.season if shortest - horizon >= 2 * panel.season else MIN_POINTS)
    fits = (shortest - keep) // horizon
    if fits < 1:
        raise DataError("forecast.horizon_too_long", where=where, horizon=horizon, points=shortest,
                        most=max(0, shortest - MIN_POINTS))
    notices = []
    if windows is None:
        windows = min(window_count(panel, horizon), fits)
    elif fits < windows:
        notices.append(Notice("forecast.fewer_windows", {"wanted": windows, "count": fits, "points": shortest,
                                                         "horizon": horizon}))
    drops = [horizon * k for k in range(min(windows, fits), 0, -1)]
    truth = np.array([[values[len(values) - d:len(values) - d + horizon] for values in panel.y] for d in drops])
    scales = np.array([[mase_scale(values[:len(values) - d], panel.season) for values in panel.y] for d in drops])
    spreads = np.array([[spread_scale(values[:len(values) - d], panel.season) for values in panel.y] for d in drops])
    return Windows(horizon, drops, truth, scales, spreads, notices)


@dataclass
class Backtest:
    """One family's forecasts at every origin: ``forecasts[w, s]`` has ``horizon`` values."""

    family: str
    kind: str
    forecasts: np.ndarray
    seconds: float


def run_backtest(spec: FamilySpec, panel: Panel, windows: Windows, seed: int,
                 deadline: float | None) -> Backtest:
    """Fit ``spec``'s family at each origin and forecast the horizon after it. ``OutOfTime``
    when the deadline comes first (the family says so), or as soon as the windows done so far
    show that the others cannot be done by then: a fit is not stopped halfway, so a slow family
    is given up before it overruns."""
    started = time.monotonic()
    forecasts = []
    for done, drop in enumerate(windows.drops):
        if done and deadline is not None:
            elapsed = time.monotonic() - started
            check_deadline(deadline - elapsed / done * (windows.count - done))
        history = panel.head(drop)
        _, future = panel.tail(drop, windows.horizon)
        family = spec.make(history, windows.horizon, seed).fit(history, windows.horizon, deadline)
        forecasts.append(np.array(family.forecast(history, windows.horizon, future or None), dtype=float))
    return Backtest(spec.name, spec.kind, np.array(forecasts), time.monotonic() - started)


def score(forecasts: np.ndarray, windows: Windows) -> dict:
    """The metrics averaged over windows and series (MASE and sMAPE scale-free; MAE and RMSE in
    the target's units, meaningful for one series), with MASE per series and per window."""
    per = np.array([[[point_errors(windows.truth[w, s], forecasts[w, s], windows.scales[w, s])[m]
                      for m in METRICS] for s in range(forecasts.shape[1])] for w in range(forecasts.shape[0])])
    mase = per[:, :, 0]
    return {**{m: float(np.mean(per[:, :, i])) for i, m in enumerate(METRICS)},
            "mase_per_series": mase.mean(axis=0).tolist(), "mase_per_window": mase.mean(axis=1).tolist()}
