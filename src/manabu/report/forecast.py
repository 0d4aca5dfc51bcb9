"""The report page of a forecaster (``manabu.forecast``): what was learnt from what, the forecast
of the best and worst series with its bands, the backtest windows that scored the models, the
leaderboard, how often the intervals held the truth, and what the series is made of (trend,
seasons, autocorrelation), explained for a learner in Japanese and English.

Everything comes from the forecaster itself (its record, its history and ``predict``), so a
forecaster loaded from disk draws the same page. The charts are in ``forecast_charts``.
"""
from __future__ import annotations

import html
from typing import Any

import numpy as np

from manabu.base.i18n import catalogue, get_language
from manabu.evaluate.forecast import mase_scale
from manabu.forecasting.frequency import SEASONS, base_unit
from manabu.forecasting.search import ENSEMBLE_ROUNDS
from manabu.report import charts
from manabu.report import forecast_charts as fc
from manabu.report.markup import both, explain, figure, message, number, page, panel, panels, section, table

SHOWN = 6                 # series drawn with their forecast
DECOMPOSED = 2000         # the most recent points decomposed and correlated (MSTL with a yearly
                          # season of days takes about 2 s on as many)
MAX_LAGS = 520            # three weeks of hours
TAIL_POINTS = 1000        # the most history drawn before a forecast
LEVELS = (80, 95)
K = "forecast_report."


def forecast_report(forecaster: Any, lang: str | None = None) -> str:
    """The page of a ``Forecaster`` (found by ``manabu.artifact.pages`` as "forecast")."""
    record = forecaster.record
    positions = _positions(record, forecaster.model.panel.n_series)
    sections = [_summary(record), _forecast(forecaster, positions), _backtest(forecaster, positions),
                _leaderboard(record), _intervals(record), _seasonality(forecaster.model.panel, positions),
                _series(record)]
    return page("manabu forecast", sections, lang or get_language(), K + "footer")


def _positions(record: dict[str, Any], n_series: int) -> list[int]:
    """The series the record shows (best first, worst last), at most ``SHOWN``; the first alone
    when the record names none."""
    found = [int(s["position"]) for s in record.get("shown") or [] if 0 <= int(s["position"]) < n_series]
    return found[:SHOWN] or [0]


def _shown_entry(record: dict[str, Any], position: int) -> dict[str, Any] | None:
    return next((s for s in record.get("shown") or [] if int(s["position"]) == position), None)


def _dates(values: Any) -> list[str]:
    """Timestamps as text, without the time of day when every one is at midnight (monthly data
    has no hours to show; hourly data keeps them all, midnight included)."""
    texts = [str(value) for value in values]
    return [text[:-9] for text in texts] if all(t.endswith(" 00:00:00") for t in texts) else texts


def _has(key: str) -> bool:
    return K + key in catalogue("en")


# ------------------------------------------------------------------------------ summary

def _summary(record: dict[str, Any]) -> str:
    items = [("col_series", number(record["n_series"])), ("col_freq", _freq(record["freq"])),
             ("col_seasons", ", ".join(map(str, record["seasons"])) or both(K + "no_seasons")),
             ("col_horizon", both(K + "steps", count=record["horizon"])), ("col_lengths", _lengths(record["lengths"])),
             ("col_chosen", _weights(record["weights"])), ("col_mase", number(record["scores"]["mase"], 3)),
             ("col_seconds", f"{number(record.get('seconds'), 3)} / {number(record.get('time_limit'), 3)}")]
    listed = "<dl>" + "".join(f"<dt>{both(K + key)}</dt><dd>{value}</dd>" for key, value in items) + "</dl>"
    weights = record["weights"]
    if len(weights) > 1:
        chosen = explain(K + "chosen_ensemble", count=len(weights), weights=_weights(weights, escape=False),
                         rounds=ENSEMBLE_ROUNDS)
    else:
        chosen = explain(K + "chosen_single", family=next(iter(weights)))
    windows = record["windows"]
    plan = both(K + "plan", count=windows["count"], horizon=record["horizon"],
                origins=", ".join(_dates(windows["origins"])))
    return section("summary", K + "title_summary", listed + chosen + f"<p>{plan}</p>" + explain(K + "explain_plan")
                   + _notices(record.get("notices") or []))


def _freq(freq: str) -> str:
    unit = base_unit(freq) if freq else ""
    word = both(K + f"freq_{unit}") if unit in SEASONS else ""
    return f"{word} ({html.escape(freq)})" if word else html.escape(freq)


def _lengths(lengths: list[int]) -> str:
    if min(lengths) == max(lengths):
        return both(K + "points", count=f"{lengths[0]:,}")
    return both(K + "lengths", low=f"{min(lengths):,}", median=f"{int(np.median(lengths)):,}", high=f"{max(lengths):,}")


def _weights(weights: dict[str, float], escape: bool = True) -> str:
    text = ", ".join(f"{name} {weight:.0%}" for name, weight in sorted(weights.items(), key=lambda w: -w[1]))
    return html.escape(text) if escape else text


def _notices(notices: list[dict[str, Any]]) -> str:
    if not notices:
        return ""
    listed = "".join(f"<li>{message(n)}</li>" for n in notices)
    return f'<div class="warnings"><h3>{both(K + "title_notices")}</h3><ul>{listed}</ul></div>'


# ------------------------------------------------------------------------------ the forecast

def _forecast(forecaster: Any, positions: list[int]) -> str:
    panel = forecaster.model.panel
    if panel.known:  # the future of the known covariates is needed, and the page has none
        return section("forecast", K + "title_forecast",
                       explain(K + "forecast_needs_future", columns=", ".join(panel.known)))
    predicted = forecaster.predict()
    rows = [_rows_of(forecaster, predicted, position) for position in positions]
    shown = [_forecast_panel(forecaster, position, found) for position, found in zip(positions, rows)]
    intro = explain(K + "explain_forecast", horizon=forecaster.horizon)
    return section("forecast", K + "title_forecast", intro + panels(shown) + _forecast_table(forecaster, rows[0]))


def _rows_of(forecaster: Any, predicted, position: int):
    """The forecast's rows of one series (all of them when the table names no series)."""
    column = forecaster.model.columns.id
    if column is None:
        return predicted
    return predicted[predicted[column].astype(str) == forecaster.model.panel.ids[position]]


def _forecast_panel(forecaster: Any, position: int, rows) -> str:
    panel, target, horizon = forecaster.model.panel, forecaster.model.columns.target, forecaster.horizon
    tail = min(len(panel.y[position]), max(5 * horizon, 3 * panel.season, 24), TAIL_POINTS)
    bands = {level / 100: (rows[f"{target}_lower_{level}"].to_numpy(), rows[f"{target}_upper_{level}"].to_numpy())
             for level in LEVELS if f"{target}_lower_{level}" in rows}
    svg = fc.forecast_chart(panel.times(position)[-tail:].to_numpy(), panel.y[position][-tail:],
                            panel.future_times(position, horizon).to_numpy(), rows[f"{target}_forecast"].to_numpy(),
                            bands)
    return _panel_of(forecaster.record, panel.ids[position], position,
                    figure(svg, K + "caption_forecast", points=tail, horizon=horizon))


def _panel_of(record: dict[str, Any], name: str, position: int, body: str) -> str:
    """A chart under its series' name and backtest MASE."""
    entry = _shown_entry(record, position)
    score = both(K + "series_mase", mase=number(entry["mase"], 3)) if entry else ""
    return panel(f"{html.escape(name)} <small>{score}</small>", "", body)


def _forecast_table(forecaster: Any, rows) -> str:
    """The first shown series' forecast as numbers, step by step (at most 60 steps)."""
    target, time = forecaster.model.columns.target, forecaster.model.columns.time
    header = [both(K + "col_step"), html.escape(time), both(K + "col_forecast"),
              *(both(K + "col_interval", level=level) for level in LEVELS if f"{target}_lower_{level}" in rows)]
    body, times = [], _dates(rows[time].head(60))
    for step, (_, row) in enumerate(rows.head(60).iterrows(), start=1):
        bounds = [f"{number(float(row[f'{target}_lower_{level}']))} – {number(float(row[f'{target}_upper_{level}']))}"
                  for level in LEVELS if f"{target}_lower_{level}" in rows]
        body.append([str(step), html.escape(times[step - 1]), number(float(row[f"{target}_forecast"])), *bounds])
    return table(header, body)


# ------------------------------------------------------------------------------ the backtest

def _backtest(forecaster: Any, positions: list[int]) -> str:
    record = forecaster.record
    windows, per_window = record["windows"], record.get("mase_per_window") or []
    rows = [[str(w + 1), html.escape(origin), number(drop), number(per_window[w] if w < len(per_window) else None, 3)]
            for w, (origin, drop) in enumerate(zip(_dates(windows["origins"]), windows["drops"]))]
    header = [both(K + "col_window"), both(K + "col_origin"), both(K + "col_drop"), both(K + "col_window_mase")]
    picked = list(dict.fromkeys([positions[0], positions[-1]]))
    drawn = [_backtest_panel(forecaster, p) for p in picked if _shown_entry(record, p)]
    intro = explain(K + "explain_backtest", count=windows["count"], horizon=record["horizon"])
    return section("backtest", K + "title_backtest", intro + panels(drawn) + table(header, rows)
                   + explain(K + "explain_window_mase"))


def _backtest_panel(forecaster: Any, position: int) -> str:
    """The truth over the windows and before them, with the chosen model's backtest forecasts,
    each labelled with this series' MASE in that window."""
    record, panel = forecaster.record, forecaster.model.panel
    values, horizon, drops = panel.y[position], record["horizon"], record["windows"]["drops"]
    n = len(values)
    start = max(0, n - max(drops) - min(max(horizon, 2 * panel.season), TAIL_POINTS))
    times = panel.times(position).to_numpy()
    drawn = []
    for w, (drop, forecast) in enumerate(zip(drops, _shown_entry(record, position)["windows"])):
        truth, forecast = values[n - drop:n - drop + horizon], np.asarray(forecast, dtype=float)[:horizon]
        mase = float(np.mean(np.abs(forecast - truth))) / mase_scale(values[:n - drop], panel.season)
        joined = np.concatenate([values[n - drop - 1:n - drop], forecast])  # from the origin, as it was seen
        drawn.append((times[n - drop - 1:n - drop + len(forecast)], joined, f"{w + 1}: MASE {mase:.2f}"))
    svg = fc.backtest_chart(times[start:], values[start:], [n - d - 1 - start for d in drops], drawn)
    return _panel_of(record, panel.ids[position], position, figure(svg, K + "caption_backtest"))


# ------------------------------------------------------------------------------ the leaderboard

def _leaderboard(record: dict[str, Any]) -> str:
    rows = record["leaderboard"]
    done = [r for r in rows if r.get("status") == "ok"]
    chart = ""
    if done:
        bars = charts.bars([r["family"] for r in done], [r["mase"] for r in done], [None] * len(done), "MASE",
                           highlight=record["chosen"], from_zero=True)
        chart = figure(bars, K + "caption_leaderboard", chosen=record["chosen"])
    header = [both(K + "col_family"), both(K + "col_kind"), "MASE", "sMAPE (%)", "MAE", "RMSE",
              both(K + "col_seconds_family"), both(K + "col_weight"), both(K + "col_status")]
    listed = table(header, (_leaderboard_row(r) for r in rows))
    return section("leaderboard", K + "title_leaderboard", chart + listed + explain(K + "explain_mase")
                   + explain(K + "explain_kinds") + explain(K + "explain_units"))


def _leaderboard_row(row: dict[str, Any]) -> list[str]:
    kind, status = row.get("kind", ""), row.get("status", "")
    kind_text = both(K + f"kind_{kind}") if _has(f"kind_{kind}") else html.escape(kind)
    status_text = both(K + f"status_{status}") if _has(f"status_{status}") else html.escape(status)
    if row.get("error"):
        status_text += f": {html.escape(str(row['error'])[:120])}"
    weight = row.get("weight")
    return [html.escape(row["family"]), kind_text, *(number(row.get(m), 3) for m in ("mase", "smape", "mae", "rmse")),
            number(row.get("seconds"), 3), "—" if weight is None else f"{weight:.0%}", status_text]


# ------------------------------------------------------------------------------ the intervals

def _intervals(record: dict[str, Any]) -> str:
    coverage = record.get("coverage") or {}
    rows = []
    for level in LEVELS:
        found = coverage.get(f"{level / 100:g}")
        if found:
            verdict = _verdict(found["coverage"], level / 100)
            rows.append([f"{level}%", f"{found['coverage']:.1%}", number(found["wql"], 3), both(K + verdict)])
    if not rows:
        return ""
    held = all(v.get("held_out") for v in coverage.values())
    windows = record["windows"]["count"]
    points = windows * record["n_series"] * record["horizon"]
    how = explain(K + ("coverage_held_out" if held else "coverage_in_sample"), windows=windows, points=f"{points:,}")
    header = [both(K + "col_level"), both(K + "col_coverage"), both(K + "col_wql"), both(K + "col_verdict")]
    cross = record.get("cross_scores")
    honest = explain(K + "cross_scores", cross=number(cross["mase"], 3), mase=number(record["scores"]["mase"], 3)) \
        if cross else ""
    return section("intervals", K + "title_intervals", how + table(header, rows) + explain(K + "explain_intervals")
                   + honest + explain(K + "explain_wql"))


def _verdict(measured: float, level: float) -> str:
    """Within five points of the level is as promised: on a few hundred points the measured
    share itself varies by about that much."""
    if abs(measured - level) <= 0.05:
        return "coverage_close"
    return "coverage_narrow" if measured < level else "coverage_wide"


# ------------------------------------------------------------------------------ seasons and trend

def _seasonality(panel: Any, positions: list[int]) -> str:
    """The first shown series that is not constant (a constant one has nothing to show)."""
    position = next((p for p in positions if np.ptp(panel.y[p][-DECOMPOSED:]) > 0), positions[0])
    values = np.asarray(panel.y[position][-DECOMPOSED:], dtype=float)
    times = panel.times(position)[-DECOMPOSED:].to_numpy()
    intro = explain(K + "explain_seasonality", series=panel.ids[position], points=f"{len(values):,}")
    try:
        import statsmodels  # noqa: F401  (statsforecast's dependency; the page does without it)
    except ModuleNotFoundError:
        return section("seasonality", K + "title_seasonality", intro + explain(K + "no_statsmodels"))
    if np.ptp(values) == 0:
        return section("seasonality", K + "title_seasonality", intro + explain(K + "constant_series"))
    return section("seasonality", K + "title_seasonality",
                   intro + _decomposition(times, values, panel.seasons) + _acf(values, panel.season))


def _decomposition(times: np.ndarray, values: np.ndarray, seasons: tuple[int, ...]) -> str:
    """STL for one season, MSTL for several, and the strengths of the trend and of each season
    (Hyndman's F_T and F_S: the share of the variance of component plus remainder that is not
    the remainder's), which say in a number what the chart shows."""
    seasons = tuple(p for p in seasons if len(values) >= 2 * p + 1)
    if not seasons:
        return explain(K + "no_season")
    from statsmodels.tsa.seasonal import MSTL, STL

    try:
        if len(seasons) == 1:
            found = STL(values, period=seasons[0]).fit()  # robust: several times slower on long seasons
            seasonal = np.asarray(found.seasonal).reshape(-1, 1)
        else:
            found = MSTL(values, periods=seasons).fit()
            seasonal = np.asarray(found.seasonal).reshape(len(values), -1)
    except (ValueError, np.linalg.LinAlgError):
        return explain(K + "decomposition_failed")
    trend, remainder = np.asarray(found.trend), np.asarray(found.resid)
    rows = [(fc.label("label_data"), values), (fc.label("label_trend"), trend),
            *((f"{fc.label('label_season')} {p}", seasonal[:, k]) for k, p in enumerate(seasons)),
            (fc.label("label_remainder"), remainder)]
    strengths = both(K + "strengths", trend=f"{_strength(trend, remainder):.2f}",
                     seasonal=", ".join(f"{p}: {_strength(seasonal[:, k], remainder):.2f}"
                                        for k, p in enumerate(seasons)))
    method = "STL" if len(seasons) == 1 else "MSTL"
    return (figure(fc.decomposition_chart(times, rows), K + "caption_decomposition", method=method)
            + f"<p>{strengths}</p>" + explain(K + "explain_strengths"))


def _strength(component: np.ndarray, remainder: np.ndarray) -> float:
    total = float(np.var(component + remainder))
    return 0.0 if total == 0 else max(0.0, 1.0 - float(np.var(remainder)) / total)


def _acf(values: np.ndarray, season: int) -> str:
    """The autocorrelation up to about three seasons (40 lags without a season)."""
    from statsmodels.tsa.stattools import acf

    lags = min(len(values) - 1, max(40, 3 * season), MAX_LAGS)
    if lags < 2:
        return ""
    found = np.asarray(acf(values, nlags=lags, fft=True), dtype=float)
    band = 1.96 / np.sqrt(len(values))
    text = both(K + "acf_summary", lag1=f"{found[1]:.2f}", band=f"{band:.2f}",
                outside=int(np.sum(np.abs(found[1:]) > band)), lags=lags)
    peaks = [k for k in range(2, lags) if found[k] > found[k - 1] and found[k] >= found[k + 1]]
    if peaks:  # the highest bump after lag 1: where the series resembles itself again (a season)
        peak = max(peaks, key=lambda k: found[k])
        text += " " + both(K + "acf_peak", peak=peak, value=f"{found[peak]:.2f}")
    else:
        text += " " + both(K + "acf_no_peak")
    return (f"<h3>{both(K + 'title_acf')}</h3>" + figure(fc.acf_chart(found, band), K + "caption_acf", lags=lags)
            + f"<p>{text}</p>" + explain(K + "explain_acf"))


# ------------------------------------------------------------------------------ best and worst series

def _series(record: dict[str, Any]) -> str:
    n, shown = record["n_series"], record.get("shown") or []
    if n < 2 or not shown:
        return ""
    chosen = next((r for r in record["leaderboard"] if r.get("family") == record["chosen"]), {})
    per_series = [m for m in chosen.get("mase_per_series") or [] if np.isfinite(m)]
    chart = ""
    if len(per_series) > 1:
        counts, edges = np.histogram(per_series, bins=min(20, max(5, len(per_series) // 3)))
        chart = figure(charts.histogram(edges.tolist(), counts.tolist()), K + "caption_series_mase",
                       median=number(float(np.median(per_series)), 3), count=len(per_series))
    everyone, half = len(shown) == n, len(shown) // 2
    rows = []
    for i, entry in enumerate(shown):
        rank = i + 1 if everyone or i < half else n - (len(shown) - 1 - i)
        label = "" if everyone else both(K + ("best" if i < half else "worst"))
        rows.append([str(rank), label, html.escape(str(entry["series"])), number(entry["mase"], 3),
                     number(record["lengths"][int(entry["position"])])])
    header = [both(K + "col_rank"), "", both(K + "col_name"), "MASE", both(K + "col_points")]
    return section("series", K + "title_series", chart + table(header, rows) + explain(K + "explain_series"))
