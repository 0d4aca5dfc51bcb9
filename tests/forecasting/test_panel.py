"""The series as the forecasters see them: times read, frequency found, gaps and repeats refused
(or filled when asked), and every bad input refused in one message."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from manabu.base.errors import ConfigError, DataError
from manabu.forecasting.frequency import infer_freq, seasons_for
from manabu.forecasting.panel import Columns, build_panel
from tests.forecasting.conftest import daily_stores, monthly

COLUMNS = Columns("month", "sales")


def test_one_monthly_series_is_read_with_its_frequency_and_season():
    panel, notices = build_panel(monthly(), COLUMNS)
    assert panel.freq == "MS" and panel.season == 12 and panel.n_series == 1 and panel.lengths == [72]
    assert notices == []


def test_many_series_in_long_format_and_their_covariates():
    panel, _ = build_panel(daily_stores(), Columns("day", "visits", "store", ("promo",)))
    assert panel.ids == ["s0", "s1", "s2"] and panel.freq == "D" and panel.seasons == (7,)
    assert panel.known == ("promo",) and len(panel.covariates["promo"][1]) == 120


@pytest.mark.parametrize("freq, seasons", [("h", (24, 168)), ("D", (7, 365)), ("B", (5, 260)), ("W-SUN", (52,)),
                                           ("MS", (12,)), ("QS-JAN", (4,)), ("YS-JAN", ()), ("30min", (48, 336))])
def test_the_seasons_of_each_frequency(freq, seasons):
    assert seasons_for(freq, 100_000) == seasons


def test_a_season_the_history_does_not_hold_twice_is_not_modelled():
    assert seasons_for("D", 400) == (7,)


def test_the_frequency_is_read_despite_a_gap():
    times = pd.DatetimeIndex(pd.date_range("2024-01-01", periods=50, freq="D").delete(10))
    assert infer_freq([times], "data") == "D"
    weeks = pd.date_range("2024-01-07", periods=20, freq="W-SUN")
    assert infer_freq([weeks.delete(5)], "data") == "W-SUN"


def test_japanese_dates_in_text_are_read():
    frame = pd.DataFrame({"日付": [f"2024年{m}月1日" for m in range(1, 13)] * 1, "売上": np.arange(12.0)})
    panel, _ = build_panel(frame, Columns("日付", "売上"))
    assert panel.freq == "MS" and panel.start[0] == pd.Timestamp("2024-01-01")


def test_whole_years_are_read_as_times():
    frame = pd.DataFrame({"year": range(1871, 1971), "flow": np.random.default_rng(0).normal(900, 100, 100)})
    panel, _ = build_panel(frame, Columns("year", "flow"))
    assert panel.freq.startswith("YS") and panel.season == 1


def test_gaps_are_refused_with_where_they_are_then_filled_when_asked():
    frame = monthly().drop(index=[10, 11, 30])
    with pytest.raises(DataError) as caught:
        build_panel(frame, COLUMNS)
    assert caught.value.key == "forecast.gaps" and caught.value.params["count"] == 3
    assert "2015-11-01" in caught.value.params["examples"]
    panel, notices = build_panel(frame, COLUMNS, fill="linear")
    assert panel.lengths == [72] and notices[0].key == "forecast.gaps_filled"
    assert np.isfinite(panel.y[0]).all()


def test_missing_target_values_are_gaps_too():
    frame = monthly()
    frame.loc[5, "sales"] = np.nan
    with pytest.raises(DataError) as caught:
        build_panel(frame, COLUMNS)
    assert caught.value.key == "forecast.gaps"
    panel, _ = build_panel(frame, COLUMNS, fill="previous")
    assert panel.y[0][5] == panel.y[0][4]


def test_repeated_times_are_refused_then_averaged_when_asked():
    frame = pd.concat([monthly(), monthly().iloc[[3]].assign(sales=0.0)], ignore_index=True)
    with pytest.raises(DataError) as caught:
        build_panel(frame, COLUMNS)
    assert caught.value.key == "forecast.duplicate_times" and "2015-04-01" in caught.value.params["time"]
    panel, notices = build_panel(frame, COLUMNS, fill="linear")
    assert panel.y[0][3] == pytest.approx(monthly().sales[3] / 2)
    assert notices[0].key == "forecast.duplicates_averaged"


@pytest.mark.parametrize("frame, columns, key", [
    (monthly().assign(month=range(72)), COLUMNS, "forecast.not_time"),
    (monthly().assign(month=["2024-01-01"] * 70 + ["soon", "later"]), COLUMNS, "forecast.bad_dates"),
    (monthly().assign(sales=np.nan), COLUMNS, "forecast.target_all_missing"),
    (monthly().assign(sales=["many"] * 72), COLUMNS, "forecast.target_not_numeric"),
    (monthly().head(3), COLUMNS, "forecast.too_short"),
    (monthly().assign(sales=5.0), COLUMNS, "forecast.constant"),
    (monthly().iloc[:0], COLUMNS, "forecast.empty"),
    (monthly(), Columns("month", "price"), "forecast.no_column"),
    (monthly(), Columns("month", "sales", known=("promo",)), "forecast.no_column"),
])
def test_bad_input_gets_one_message(frame, columns, key):
    with pytest.raises((DataError, ConfigError)) as caught:
        build_panel(frame, columns)
    assert caught.value.key == key
    assert "{" not in str(caught.value)


def test_a_bad_fill_or_freq_is_refused():
    with pytest.raises(ConfigError, match="linear"):
        build_panel(monthly(), COLUMNS, fill="spline")
    with pytest.raises(ConfigError) as caught:
        build_panel(monthly(), COLUMNS, freq="fortnightly")
    assert caught.value.key == "forecast.bad_freq"


def test_timestamps_off_the_given_grid_are_refused():
    frame = monthly()
    frame.loc[7, "month"] = pd.Timestamp("2015-08-15")
    with pytest.raises(DataError) as caught:
        build_panel(frame, COLUMNS, freq="MS")
    assert caught.value.key == "forecast.off_grid" and "2015-08-15" in caught.value.params["examples"]


def test_text_covariates_are_left_out_with_a_notice():
    panel, notices = build_panel(monthly().assign(note="x"), COLUMNS)
    assert panel.covariates == {} and notices[0].key == "forecast.covariates_left_out"


def test_a_constant_series_among_others_is_said():
    frame = daily_stores()
    frame.loc[frame.store == "s1", "visits"] = 3.0
    _, notices = build_panel(frame, Columns("day", "visits", "store"))
    assert [n.key for n in notices] == ["forecast.some_constant"] and notices[0].params["series"] == "s1"
