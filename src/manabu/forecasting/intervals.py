"""Prediction intervals from the backtests' errors (conformal), and their measured coverage.

Errors grow with the step ahead and with the series' scale. Each backtest error is divided by
its series' recent spread (``spread_scale``: the MASE scale of the last few seasons, since a
series that grows, as sales do, errs by more now than on average over its past); the mean of those per step, made non-decreasing, is the profile of how
the spread grows. The errors divided by the profile are then exchangeable across steps, series
and windows, and the interval's half-width at a level is their conformal quantile (the
``ceil((n + 1) level)``-th smallest) times the profile times the series' scale.

The coverage in the report is measured honestly: each window is covered by intervals calibrated
on the other windows only (with one window there is nothing else, and the report says so).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from manabu.evaluate.forecast import interval_scores, mase_scale

LEVELS = (0.8, 0.95)
RECENT_SEASONS = 5     # the spread is read from the last this many seasons
RECENT_POINTS = 50     # or points, whichever is more
_TINY = 1e-12


def spread_scale(history: np.ndarray, season: int) -> float:
    """How much the series moves lately: the MASE scale of its recent points."""
    return mase_scale(history[-max(RECENT_SEASONS * season, RECENT_POINTS):], season)


@dataclass
class Calibration:
    """The spread per step (``profile``, in MASE units) and the multiplier of each level."""

    profile: np.ndarray
    multipliers: dict[float, float]

    def to_dict(self) -> dict:
        return {"profile": self.profile.tolist(), "multipliers": {str(k): v for k, v in self.multipliers.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        return cls(np.asarray(data["profile"], dtype=float),
                   {float(k): float(v) for k, v in data["multipliers"].items()})


def calibrate(forecasts: np.ndarray, truth: np.ndarray, scales: np.ndarray) -> Calibration:
    """From backtest forecasts and truth (windows, series, horizon) and the series' spreads
    before each window (windows, series)."""
    scaled = np.abs(forecasts - truth) / np.maximum(scales, _TINY)[:, :, None]
    profile = np.maximum.accumulate(np.maximum(scaled.mean(axis=(0, 1)), _TINY))
    residuals = np.sort((scaled / profile).ravel())
    n = len(residuals)
    multipliers = {level: float(residuals[min(n - 1, math.ceil((n + 1) * level) - 1)]) for level in LEVELS}
    return Calibration(profile, multipliers)


def bounds(forecast: np.ndarray, scales: np.ndarray, calibration: Calibration) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """(lower, upper) of each level around ``forecast`` (series, horizon), given each series'
    spread (``spread_scale``); a horizon longer than the calibrated one extends the last step's spread."""
    steps = forecast.shape[-1]
    profile = calibration.profile
    if steps > len(profile):
        profile = np.concatenate([profile, np.full(steps - len(profile), profile[-1])])
    width = np.asarray(scales, dtype=float)[:, None] * profile[None, :steps]
    return {level: (forecast - m * width, forecast + m * width) for level, m in calibration.multipliers.items()}


def measured_coverage(forecasts: np.ndarray, truth: np.ndarray, scales: np.ndarray) -> dict[str, dict[str, float]]:
    """Coverage and weighted quantile loss of each level, every window's intervals calibrated
    on the other windows (on all of them when there is only one: then in-sample)."""
    count = forecasts.shape[0]
    found = {level: {"inside": [], "wql": []} for level in LEVELS}
    for w in range(count):
        others = [v for v in range(count) if v != w] or [w]
        calibration = calibrate(forecasts[others], truth[others], scales[others])
        for level, (lower, upper) in bounds(forecasts[w], scales[w], calibration).items():
            scores = interval_scores(truth[w], lower, upper, level)
            found[level]["inside"].append(scores["coverage"])
            found[level]["wql"].append(scores["wql"])
    return {f"{level:g}": {"coverage": float(np.mean(v["inside"])), "wql": float(np.mean(v["wql"])),
                           "held_out": count > 1} for level, v in found.items()}
