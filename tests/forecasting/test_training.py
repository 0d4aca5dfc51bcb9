"""A forecaster from end to end: the search's leaderboard, the forecast table, saving without
pickle, loading, forecasting from a new history, known covariates, and the refusals."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from manabu.base.errors import ArtifactError, ConfigError, DataError
from manabu.forecasting.training import forecast
from tests.forecasting.conftest import CHEAP, daily_stores, monthly


def test_the_leaderboard_ranks_the_families_by_backtest_mase(trained):
    board = trained.record["leaderboard"]
    done = [row for row in board if row["status"] == "ok"]
    assert {row["family"] for row in done} >= set(CHEAP)
    assert [row["mase"] for row in done] == sorted(row["mase"] for row in done)
    assert trained.record["windows"]["count"] == 3 and trained.record["windows"]["drops"] == [18, 12, 6]
    assert sum(trained.record["weights"].values()) == pytest.approx(1.0)
    # a trend with a season: the seasonal models beat the mean of the last season's repeats
    best = done[0]
    assert best["mase"] < next(row["mase"] for row in done if row["family"] == "naive")


def test_the_forecast_table_has_a_row_per_step_with_ordered_bounds(trained):
    table = trained.predict()
    assert list(table.columns) == ["month", "sales_forecast", "sales_lower_80", "sales_upper_80",
                                   "sales_lower_95", "sales_upper_95"]
    assert len(table) == 6 and table["month"].iloc[0] == pd.Timestamp("2021-01-01")
    assert (table.sales_lower_95 <= table.sales_lower_80).all() and (table.sales_lower_80 <= table.sales_forecast).all()
    assert (table.sales_forecast <= table.sales_upper_80).all() and (table.sales_upper_80 <= table.sales_upper_95).all()
    assert len(trained.predict(3)) == 3


def test_a_horizon_beyond_the_trained_one_is_refused(trained):
    with pytest.raises(DataError) as caught:
        trained.predict(7)
    assert caught.value.key == "forecast.predict_horizon" and caught.value.params["trained"] == 6


def test_saved_without_pickle_and_loaded_to_the_same_forecast(trained, tmp_path):
    import manabu

    folder = trained.save(tmp_path / "model", report=False)
    files = sorted(p.name for p in folder.iterdir())
    assert "forecast.safetensors" in files and not any(p.suffix in (".pkl", ".pickle", ".joblib") for p in folder.iterdir())
    assert json.loads((folder / "manifest.json").read_text())["kind"] == "forecast"
    loaded = manabu.load(folder)
    pd.testing.assert_frame_equal(loaded.predict(), trained.predict())
    assert loaded.record["leaderboard"] == trained.record["leaderboard"]


def test_a_new_history_moves_the_forecast_on(trained):
    later = monthly(points=78)
    table = trained.predict(history=later.tail(6))
    assert table["month"].iloc[0] == pd.Timestamp("2021-07-01")
    whole = trained.predict(history=later)
    pd.testing.assert_frame_equal(table, whole)


def test_many_series_with_a_known_covariate(tmp_path):
    data = daily_stores()
    model = forecast(data.iloc[:-0 or None], time="day", target="visits", id="store", known=["promo"], horizon=7,
                     time_limit=60, families=["seasonal_naive", "auto_ets", "lightgbm"], windows=2)
    future = pd.DataFrame({"store": np.repeat(["s0", "s1", "s2"], 7),
                           "day": np.tile(pd.date_range("2024-04-30", periods=7, freq="D"), 3),
                           "promo": np.tile([1.0, 0, 0, 0, 0, 0, 1.0], 3)})
    table = model.predict(future=future)
    assert list(table.columns[:3]) == ["store", "day", "visits_forecast"] and len(table) == 21
    assert table.groupby("store").size().tolist() == [7, 7, 7]
    with pytest.raises(DataError) as caught:
        model.predict()
    assert caught.value.key == "forecast.future_needed"
    with pytest.raises(DataError) as caught:
        model.predict(future=future.iloc[:-1])
    assert caught.value.key == "forecast.future_missing" and caught.value.params["series"] == "s2"


def test_refusals_before_any_work(tmp_path):
    (tmp_path / "there").mkdir()
    with pytest.raises(ArtifactError):
        forecast(monthly(), time="month", target="sales", horizon=6, output=tmp_path / "there")
    with pytest.raises(ConfigError) as caught:
        forecast(monthly(), time="month", target="sales", horizon=6, families=["prophet"])
    assert caught.value.key == "forecast.unknown_families"
    with pytest.raises(DataError) as caught:
        forecast(monthly(points=20), time="month", target="sales", horizon=24)
    assert caught.value.key == "forecast.horizon_too_long"
    with pytest.raises(ConfigError):
        forecast(monthly(), time="month", target="sales", horizon=6, time_limit=0)


def test_a_history_with_unknown_series_is_refused(trained):
    with pytest.raises(DataError):
        trained.predict(history=monthly().tail(3).drop(columns="sales"))
