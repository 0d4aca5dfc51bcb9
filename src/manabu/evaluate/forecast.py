"""How good a forecast is: the point metrics and the interval metrics of forecasting.

MASE (the default) divides the error by the error of the seasonal naive forecast within the
history, so that series of any scale can be averaged and 1.0 means "no better than repeating
the last season". sMAPE is the symmetric percentage error (0–200), MAE and RMSE are in the
target's units. For intervals: the weighted quantile loss (the pinball loss of the interval
bounds, divided by the total of |y|, as the M5 and GluonTS report it) and the coverage, the share
of true values inside the interval.
"""
from __future__ import annotations

import numpy as np

METRICS = ("mase", "smape", "mae", "rmse")
LOWER_IS_BETTER = True


def mase_scale(history: np.ndarray, season: int) -> float:
    """The in-sample mean absolute error of the seasonal naive forecast (naive when the history
    is shorter than two seasons); a constant history gives the naive scale, else 1."""
    m = season if len(history) > season > 1 else 1
    if len(history) <= m:
        return 1.0
    scale = float(np.mean(np.abs(history[m:] - history[:-m])))
    if scale == 0.0 and m > 1:
        scale = float(np.mean(np.abs(np.diff(history))))
    return scale if scale > 0 else 1.0


def point_errors(truth: np.ndarray, forecast: np.ndarray, scale: float) -> dict[str, float]:
    """The four point metrics of one forecast against the truth (same length)."""
    error = forecast - truth
    denominator = np.abs(truth) + np.abs(forecast)
    ratio = np.divide(2 * np.abs(error), denominator, out=np.zeros_like(error), where=denominator > 0)
    return {"mase": float(np.mean(np.abs(error)) / scale), "smape": float(100 * np.mean(ratio)),
            "mae": float(np.mean(np.abs(error))), "rmse": float(np.sqrt(np.mean(error ** 2)))}


def pinball(truth: np.ndarray, quantile_forecast: np.ndarray, q: float) -> float:
    """The summed pinball (quantile) loss of a forecast of the ``q`` quantile."""
    diff = truth - quantile_forecast
    return float(np.sum(np.maximum(q * diff, (q - 1) * diff)))


def interval_scores(truth: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: float) -> dict[str, float]:
    """Coverage and weighted quantile loss of a central ``level`` interval (0.8: the 10% and
    90% quantiles), over all the points given."""
    alpha = (1 - level) / 2
    total = float(np.sum(np.abs(truth))) or 1.0
    loss = (pinball(truth, lower, alpha) + pinball(truth, upper, 1 - alpha)) / total
    inside = (truth >= lower) & (truth <= upper)
    return {"coverage": float(np.mean(inside)), "wql": float(loss)}
