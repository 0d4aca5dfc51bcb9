"""The part of a forecaster that its model folder stores (``codec``): the history, the fitted
families with their weights, the intervals' calibration; it answers the forecast table."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from manabu.forecasting.families.base import ForecastFamily, Future
from manabu.forecasting.intervals import Calibration, bounds, spread_scale
from manabu.forecasting.panel import Columns, Panel


@dataclass
class ForecastModel:
    """What a forecast needs: the history, the fitted families with their weights, the
    intervals' calibration, and the horizon the families were fitted for."""

    panel: Panel
    columns: Columns
    members: dict[str, ForecastFamily]
    weights: dict[str, float]
    calibration: Calibration
    horizon: int

    def point_forecast(self, panel: Panel, horizon: int, future: Future | None) -> np.ndarray:
        """The weighted forecasts of the members (series, horizon)."""
        total = np.zeros((panel.n_series, horizon))
        for name, weight in self.weights.items():
            answers = self.members[name].forecast(panel, horizon, future)
            total += weight * np.array([np.asarray(a, dtype=float)[:horizon] for a in answers])
        return total

    def forecast_table(self, panel: Panel, horizon: int, future: Future | None) -> pd.DataFrame:
        """One row per series and step: time, series, forecast and the bounds of each level."""
        point = self.point_forecast(panel, horizon, future)
        scales = np.array([spread_scale(values, panel.season) for values in panel.y])
        limits = bounds(point, scales, self.calibration)
        target = self.columns.target
        parts = []
        for i, sid in enumerate(panel.ids):
            part = {self.columns.time: panel.future_times(i, horizon)}
            if self.columns.id is not None:
                part = {self.columns.id: sid, **part}
            part[f"{target}_forecast"] = point[i]
            for level, (lower, upper) in sorted(limits.items()):
                part[f"{target}_lower_{round(level * 100)}"] = lower[i]
                part[f"{target}_upper_{round(level * 100)}"] = upper[i]
            parts.append(pd.DataFrame(part))
        return pd.concat(parts, ignore_index=True)
