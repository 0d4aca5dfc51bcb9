"""The forecaster's page: every section with its charts and the record's numbers, in both
languages, for one series, many series, yearly data without a season, hourly data with two
seasons, a forecaster loaded from disk, covariates known in advance, and a leaderboard with
models that failed or ran out of time."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("statsforecast", reason="forecasting needs statsforecast (pip install 'manabu[forecast]')")

from manabu.base.i18n import catalogue  # noqa: E402
from manabu.forecasting.model import Forecaster  # noqa: E402
from manabu.forecasting.training import forecast  # noqa: E402
from manabu.report.forecast import forecast_report  # noqa: E402
from manabu.report.markup import number  # noqa: E402

SECTIONS = ("summary", "forecast", "backtest", "leaderboard", "intervals", "seasonality")


def _text(key: str, lang: str = "en") -> str:
    """The fixed start of a catalogue text (before its first parameter)."""
    return catalogue(lang)[f"forecast_report.{key}"].split("{")[0]


def _monthly(series: int = 1, length: int = 72, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = pd.date_range("2015-01-01", periods=length, freq="MS")
    frames = []
    for s in range(series):
        level = 100 + 20 * s
        values = level + 0.5 * np.arange(length) + 10 * np.sin(2 * np.pi * np.arange(length) / 12)
        frames.append(pd.DataFrame({"店舗": f"s{s:02d}", "月": months, "売上": values + rng.normal(0, 2, length)}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def one() -> Forecaster:
    return forecast(_monthly(), time="月", target="売上", horizon=6, time_limit=20,
                    families=["naive", "seasonal_naive", "auto_ets"])


@pytest.fixture(scope="module")
def many() -> Forecaster:
    frame = _monthly(series=50, length=48)
    frame.loc[frame["店舗"] == "s07", "売上"] = 5.0  # a constant series: a notice, and the best MASE
    return forecast(frame, time="月", target="売上", id="店舗", horizon=6, time_limit=20,
                    families=["naive", "seasonal_naive"])


def test_one_series_has_every_section_with_its_charts_and_numbers(one):
    page = forecast_report(one, "en")
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in page
    assert 'id="series"' not in page  # one series: no best-and-worst table
    # forecast, backtest, leaderboard bars, decomposition, autocorrelation
    assert page.count("<svg") == 5
    record = one.record
    assert number(record["scores"]["mase"], 3) in page
    assert all(number(m, 3) in page for m in record["mase_per_window"])
    assert all(o[:10] in page for o in record["windows"]["origins"])
    for level in ("0.8", "0.95"):
        assert f"{record['coverage'][level]['coverage']:.1%}" in page
    assert _text("explain_plan") in page and _text("explain_mase") in page and _text("explain_wql") in page
    assert _text("coverage_held_out") in page and "STL" in page and _text("acf_summary") in page
    predicted = one.predict()
    assert number(float(predicted["売上_forecast"].iloc[0])) in page  # the forecast's numbers, step by step
    assert _text("freq_M") in page and "(MS)" in page


def test_both_languages_render_and_the_page_opens_in_the_one_asked_for(one):
    ja, en = forecast_report(one, "ja"), forecast_report(one, "en")
    assert '<html lang="ja">' in ja and '<html lang="en">' in en
    for page in (ja, en):  # every text is there in both languages, the switch shows one
        assert _text("title_leaderboard", "ja") in page and _text("title_leaderboard", "en") in page
        assert _text("explain_acf", "ja") in page
    assert "履歴 / history" in ja  # chart labels carry both languages


def test_many_series_show_the_best_and_worst_and_their_spread(many):
    page = forecast_report(many, "en")
    record = many.record
    shown = record["shown"]
    assert len(shown) == 6
    assert '<section id="series">' in page
    for entry in shown:
        assert f">{entry['series']} <small>" in page  # a forecast chart per shown series
    # 6 forecasts, 2 backtests (best and worst), bars, decomposition, autocorrelation, MASE histogram
    assert page.count("<svg") == 6 + 2 + 1 + 2 + 1
    # the best series is constant: the seasons are those of the next one, which has some
    assert shown[0]["series"] == "s07" and _text("constant_series") not in page
    assert catalogue("en")["forecast_report.explain_seasonality"].format(series=shown[1]["series"], points=48) in page
    assert _text("best") in page and _text("worst") in page and ">50<" in page
    assert record["notices"] and record["notices"][0]["en"].split(":")[0] in page


def test_yearly_data_has_no_season_to_decompose_but_its_autocorrelation():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"year": np.arange(1960, 2000), "flow": 1000 + np.cumsum(rng.normal(0, 30, 40))})
    model = forecast(frame, time="year", target="flow", horizon=3, time_limit=20, families=["naive", "drift", "mean"])
    assert model.record["seasons"] == []
    page = forecast_report(model, "en")
    assert _text("no_season") in page and _text("caption_decomposition") not in page
    assert page.count("<svg") == 4  # forecast, backtest, bars, autocorrelation
    assert _text("freq_Y") in page and _text("no_seasons") in page


def test_hourly_data_with_a_day_and_a_week_is_split_by_mstl():
    hours = 24 * 7 * 3
    t = np.arange(hours)
    values = 50 + 10 * np.sin(2 * np.pi * t / 24) + 5 * np.sin(2 * np.pi * t / 168)
    frame = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=hours, freq="h"),
                          "load": values + np.random.default_rng(2).normal(0, 1, hours)})
    model = forecast(frame, time="time", target="load", horizon=24, time_limit=20, windows=1,
                     families=["naive", "seasonal_naive"])
    page = forecast_report(model, "en")
    assert model.record["seasons"] == [24, 168]
    assert "MSTL" in page and "24: " in page and "168: " in page  # a strength per season
    assert _text("coverage_in_sample") in page  # one window: the coverage is in-sample, and said so


def test_a_forecaster_loaded_from_disk_draws_the_same_page(one, tmp_path):
    one.save(tmp_path / "model", report=False)
    loaded = Forecaster.load(tmp_path / "model")
    assert _stable(forecast_report(loaded, "ja")) == _stable(forecast_report(one, "ja"))


def _stable(page: str) -> str:
    """The page without what changes from one drawing to the next: the time in the footer, and
    the embedded font (its subset records when it was cut)."""
    page = re.sub(r"@font-face \{.*?\}\n", "", page)
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "", page)


def test_failed_and_out_of_time_models_say_so_and_an_ensemble_lists_its_weights(one):
    record = {**one.record, "leaderboard": [*one.record["leaderboard"],
                                            {"family": "lstm", "kind": "deep", "status": "out_of_time"},
                                            {"family": "lightgbm", "kind": "boosting", "status": "failed",
                                             "error": "ValueError: <boom>"}],
              "weights": {"auto_ets": 0.6, "seasonal_naive": 0.4}}
    page = forecast_report(Forecaster(one.model, record), "en")
    assert _text("status_out_of_time") in page and _text("status_failed") in page
    assert "ValueError: &lt;boom&gt;" in page  # the error, escaped
    assert _text("kind_deep") in page and _text("kind_boosting") in page
    assert _text("chosen_ensemble") in page and "auto_ets 60%, seasonal_naive 40%" in page


def test_covariates_known_in_advance_leave_the_forecast_to_predict(one):
    frame = _monthly(length=60).drop(columns="店舗")
    frame["promo"] = (np.arange(60) % 5 == 0).astype(float)
    model = forecast(frame, time="月", target="売上", known=["promo"], horizon=6, time_limit=20,
                     families=["naive", "seasonal_naive"])
    page = forecast_report(model, "en")
    assert _text("forecast_needs_future") in page and "promo" in page
    assert '<section id="backtest">' in page


def test_the_page_s_texts_are_in_both_catalogues_with_the_same_parameters():
    en, ja = catalogue("en"), catalogue("ja")
    keys = {k for k in en if k.startswith("forecast_report.")}
    assert keys == {k for k in ja if k.startswith("forecast_report.")} and len(keys) > 80
    for key in keys:
        assert set(re.findall(r"{(\w+)", en[key])) == set(re.findall(r"{(\w+)", ja[key])), key
