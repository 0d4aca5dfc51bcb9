"""Rolling-origin windows, the metrics, the conformal intervals and the ensemble's choice."""
from __future__ import annotations

import numpy as np
import pytest

from manabu.base.errors import DataError
from manabu.evaluate.forecast import interval_scores, mase_scale, point_errors
from manabu.forecasting.backtest import plan_windows
from manabu.forecasting.intervals import bounds, calibrate, measured_coverage
from manabu.forecasting.panel import Columns, build_panel
from tests.forecasting.conftest import monthly


def test_windows_are_at_the_end_one_horizon_apart():
    panel, _ = build_panel(monthly(), Columns("month", "sales"))
    windows = plan_windows(panel, 6, 3)
    assert windows.drops == [18, 12, 6]
    assert np.array_equal(windows.truth[2, 0], panel.y[0][-6:])
    assert np.array_equal(windows.truth[0, 0], panel.y[0][-18:-12])


def test_fewer_windows_when_the_history_is_short_and_a_message_when_none_fits():
    panel, _ = build_panel(monthly(points=30), Columns("month", "sales"))
    windows = plan_windows(panel, 4, 3)
    assert windows.count == 1 and windows.notices[0].key == "forecast.fewer_windows"
    with pytest.raises(DataError) as caught:
        plan_windows(panel, 28, 3)
    assert caught.value.key == "forecast.horizon_too_long" and caught.value.params["most"] == 26


def test_by_default_long_histories_get_more_windows_up_to_ten_and_short_ones_quietly_fewer():
    assert plan_windows(build_panel(monthly(points=120), Columns("month", "sales"))[0], 6).count == 3
    assert plan_windows(build_panel(monthly(points=300), Columns("month", "sales"))[0], 6).count == 5
    assert plan_windows(build_panel(monthly(points=900), Columns("month", "sales"))[0], 6).count == 10
    short = plan_windows(build_panel(monthly(points=30), Columns("month", "sales"))[0], 4)
    assert short.count == 1 and short.notices == []


def test_mase_is_one_for_the_seasonal_naive_in_sample():
    y = np.array([1.0, 3, 2, 4, 3, 5, 4, 6])
    assert mase_scale(y, 2) == pytest.approx(1.0)
    assert point_errors(np.array([1.0, 2]), np.array([2.0, 4]), 1.0) == pytest.approx(
        {"mase": 1.5, "smape": 100 * np.mean([2 / 3, 2 / 3]), "mae": 1.5, "rmse": np.sqrt(2.5)})


def test_interval_scores_count_the_points_inside():
    truth = np.array([1.0, 2, 3, 4])
    scores = interval_scores(truth, truth - 1, truth + np.array([1, 1, -0.5, 1]), 0.8)
    assert scores["coverage"] == 0.75 and scores["wql"] > 0


def test_conformal_intervals_cover_about_their_level_on_new_errors():
    rng = np.random.default_rng(0)
    truth = rng.normal(0, 1, (40, 5, 8)) * np.linspace(1, 3, 8)
    forecasts = np.zeros_like(truth)
    scales = np.ones((40, 5))
    calibration = calibrate(forecasts[:20], truth[:20], scales[:20])
    assert np.all(np.diff(calibration.profile) >= 0)
    lower, upper = bounds(forecasts[20:].reshape(-1, 8), np.ones(100), calibration)[0.8]
    inside = (truth[20:].reshape(-1, 8) >= lower) & (truth[20:].reshape(-1, 8) <= upper)
    assert 0.72 <= inside.mean() <= 0.88
    measured = measured_coverage(forecasts, truth, scales)
    assert 0.72 <= measured["0.8"]["coverage"] <= 0.88 and measured["0.8"]["held_out"]
    assert measured["0.95"]["coverage"] > measured["0.8"]["coverage"]


def test_a_longer_horizon_than_calibrated_extends_the_last_spread():
    calibration = calibrate(np.zeros((2, 1, 3)), np.ones((2, 1, 3)), np.ones((2, 1)))
    lower, upper = bounds(np.zeros((1, 5)), np.ones(1), calibration)[0.95]
    assert upper.shape == (1, 5) and upper[0, 4] == upper[0, 2]


def test_a_family_too_slow_for_its_deadline_is_given_up_early():
    import time

    import pandas as pd

    from manabu.forecasting.families.base import OutOfTime
    from manabu.forecasting.families.statistical import StatsFamily
    from manabu.forecasting.panel import Panel

    rng = np.random.default_rng(0)
    y = [100 + np.cumsum(rng.normal(size=300)) for _ in range(400)]
    panel = Panel([f"s{i}" for i in range(400)], [pd.Timestamp("2024-01-01")] * 400, y, "D")
    StatsFamily("auto_ets", panel.seasons).fit(Panel(["w"], panel.start[:1], y[:1], "D"), 7)  # numba compiles
    started = time.monotonic()
    with pytest.raises(OutOfTime):
        StatsFamily("auto_ets", panel.seasons).fit(panel, 7, deadline=started + 3.0)
    assert time.monotonic() - started < 2.5  # judged from the pace, not at the deadline
    fast = StatsFamily("naive").fit(panel, 7, deadline=time.monotonic() + 60)  # a quick one is kept
    assert len(fast.models_) == 400


def test_many_series_try_the_global_families_before_one_model_per_series():
    from manabu.forecasting.search import ordered_families
    from tests.forecasting.conftest import daily_stores

    few, _ = build_panel(daily_stores(stores=3), Columns("day", "visits", "store"))
    many, _ = build_panel(daily_stores(stores=60, days=80), Columns("day", "visits", "store"))
    names = lambda panel: [s.name for s in ordered_families(panel, 7, None)]  # noqa: E731
    assert names(few).index("auto_ets") < names(few).index("lightgbm")
    assert names(many).index("lightgbm") < names(many).index("auto_theta") < names(many).index("auto_arima")
