"""What the forecasting tests share: small tables of series made here (trend, seasons, noise),
and one forecaster trained on them with the cheap families."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("statsforecast")

CHEAP = ["naive", "seasonal_naive", "drift", "auto_ets", "auto_theta"]


def monthly(points: int = 72, seed: int = 0, level: float = 100.0) -> pd.DataFrame:
    """One monthly series with a trend and a yearly season."""
    rng = np.random.default_rng(seed)
    t = np.arange(points)
    y = level + 0.8 * t + 12 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, points)
    return pd.DataFrame({"month": pd.date_range("2015-01-01", periods=points, freq="MS"), "sales": y})


def daily_stores(stores: int = 3, days: int = 120, seed: int = 0) -> pd.DataFrame:
    """Several daily series in long format (store, day, visits), with a weekly season and a
    known covariate (promo) that adds to the visits."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(stores):
        t = np.arange(days)
        promo = (rng.uniform(size=days) < 0.2).astype(float)
        y = 50 * (i + 1) + 10 * np.sin(2 * np.pi * t / 7) + 30 * promo + rng.normal(0, 2, days)
        frames.append(pd.DataFrame({"store": f"s{i}", "day": pd.date_range("2024-01-01", periods=days, freq="D"),
                                    "visits": y, "promo": promo}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="session")
def trained():
    """A forecaster of the monthly series, from the cheap families, in a few seconds."""
    from manabu.forecasting.training import forecast

    return forecast(monthly(), time="month", target="sales", horizon=6, time_limit=60, families=CHEAP)
