#!/usr/bin/env python3
"""Forecasting (issue 22's targets): manabu against statsforecast's models on the ten series of
``../shared/data/timeseries/``, and the time and memory to forecast 1,000 series.

The test: the last 3 windows of each series, each ``horizon`` points long (its natural horizon:
12 for monthly, 14 for daily, 24 for hourly; 13 (a quarter) for weekly and 10 for yearly data,
which the issue does not name). ``manabu.forecast`` learns once, from the history before the
first window, within ``--time-limit`` seconds (its own backtests are inside that history); it
forecasts the first window, then the next ones from the history extended to their origins
(``predict(history=...)``: the new points, no refit). statsforecast's AutoETS, AutoARIMA,
AutoTheta and SeasonalNaive are refitted at every origin on the same history (its last
``--reference-history`` points: AutoARIMA on 43,824 hourly points is impractical), in the same
run. Their seasons: AutoETS takes none longer than 24, and AutoARIMA is given none longer
than 24 either (a seasonal ARIMA of 52 weeks ran for more than five minutes a fit here), so on
weekly data both are non-seasonal. Every model is scored by MASE with the history's
seasonal naive scale; manabu's 80% and 95% intervals by their coverage of the window.

Gaps are filled linearly for every model (``--fill linear``: Melbourne, Mauna Loa, Beijing and
Peyton Manning have missing points). Covariates of etth1, Beijing and Seattle are past-only.

    python bench/forecast.py --out bench/results/forecast_issue22.jsonl
    python bench/forecast.py --many 1000 --time-limit 300 --out bench/results/forecast_issue22.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "timeseries"
# name: (time column, target, horizon)
SETS = {
    "airline_passengers": ("Month", "Passengers", 12),
    "monthly_sunspots": ("Month", "Sunspots", 12),
    "us_retail_sales_monthly": ("ds", "y", 12),
    "melbourne_daily_min_temp": ("Date", "Temp", 14),
    "peyton_manning_wiki_daily": ("ds", "y", 14),
    "seattle_weather_daily": ("date", "temp_max", 14),
    "mauna_loa_co2_weekly": ("date", "co2", 13),
    "nile_flow": ("date", "volume", 10),
    "etth1": ("date", "OT", 24),
    "beijing_pm25_hourly": ("date", "pm2.5", 24),
}
WINDOWS = 3


REFERENCES = ("AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive")


def references(history: np.ndarray, horizon: int, season: int, cap: int,
               names: tuple[str, ...] = REFERENCES) -> dict[str, tuple[np.ndarray, float]]:
    """statsforecast's models fitted on the history (its last ``cap`` points): forecast, seconds."""
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    y = history[-cap:]
    made = {"AutoETS": lambda: AutoETS(season_length=season if season <= 24 else 1),
            "AutoARIMA": lambda: AutoARIMA(season_length=season if season <= 24 else 1),
            "AutoTheta": lambda: AutoTheta(season_length=season),
            "SeasonalNaive": lambda: SeasonalNaive(season_length=season)}
    found = {}
    for name, make in made.items():
        if name not in names:
            continue
        started = time.monotonic()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found[name] = (np.asarray(make().forecast(y=y, h=horizon)["mean"], float), time.monotonic() - started)
    return found


def one_set(name: str, time_limit: float, cap: int, windows: int = WINDOWS,
            reference_names: tuple[str, ...] = REFERENCES, backtest_windows: int | None = None) -> dict:
    import manabu
    from manabu.evaluate.forecast import interval_scores, mase_scale
    from manabu.forecasting.panel import Columns, build_panel

    time_column, target, horizon = SETS[name]
    frame = pd.read_parquet(DATA / f"{name}.parquet")
    if not pd.api.types.is_datetime64_any_dtype(frame[time_column]):
        frame[time_column] = pd.to_datetime(frame[time_column].astype(int).astype(str), format="%Y")
    frame = frame.sort_values(time_column).reset_index(drop=True)
    panel, _ = build_panel(frame, Columns(time_column, target), fill="linear")
    y, season = panel.y[0], panel.season
    rows = []
    first = len(y) - windows * horizon
    started = time.monotonic()
    model = manabu.forecast(frame[frame[time_column] < panel.times(0)[first]], time=time_column, target=target,
                            horizon=horizon, fill="linear", time_limit=time_limit, report=False,
                            windows=backtest_windows)
    fit_seconds = time.monotonic() - started
    for k in range(windows, 0, -1):
        origin = len(y) - k * horizon
        truth = y[origin:origin + horizon]
        scale = mase_scale(y[:origin], season)
        history = frame[frame[time_column] < panel.times(0)[origin]]
        table = model.predict(history=None if k == windows else history)
        point = table[f"{target}_forecast"].to_numpy()
        row = {"window": windows - k + 1, "manabu": float(np.mean(np.abs(point - truth)) / scale),
               "manabu_fit_seconds": round(fit_seconds, 1), "chosen": model.record["chosen"],
               "weights": model.record["weights"]}
        for level in (80, 95):
            scores = interval_scores(truth, table[f"{target}_lower_{level}"].to_numpy(),
                                     table[f"{target}_upper_{level}"].to_numpy(), level / 100)
            row[f"coverage_{level}"] = scores["coverage"]
        for ref, (forecast, ref_seconds) in references(y[:origin], horizon, season, cap, reference_names).items():
            row[ref] = float(np.mean(np.abs(forecast - truth)) / scale)
            row[f"{ref}_seconds"] = round(ref_seconds, 2)
        rows.append(row)
        print(f"  {name} window {row['window']}: " + ", ".join(
            f"{m} {row[m]:.3f}" for m in ("manabu", *reference_names)), flush=True)
    means = {m: float(np.mean([r[m] for r in rows])) for m in rows[0] if not m.endswith("seconds")
             and isinstance(rows[0][m], float)}
    return {"set": name, "horizon": horizon, "freq": panel.freq, "season": season, "points": len(y),
            "mean": means, "windows": rows}


def summary(results: list[dict]) -> dict:
    if any(set(REFERENCES) - set(r["mean"]) for r in results):  # a run with fewer references
        worse = [r["set"] for r in results if r["mean"]["manabu"] > r["mean"]["SeasonalNaive"]]
        return {"series_worse_than_seasonal_naive": worse,
                "manabu_over_seasonal_naive": {r["set"]: r["mean"]["manabu"] / r["mean"]["SeasonalNaive"] for r in results}}
    models = ("manabu", "AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive")
    mean = {m: float(np.mean([r["mean"][m] for r in results])) for m in models}
    best_stat = min(("AutoETS", "AutoARIMA", "AutoTheta"), key=mean.get)
    worse = [r["set"] for r in results if r["mean"]["manabu"] > r["mean"]["SeasonalNaive"]]
    coverage = {level: float(np.mean([r["mean"][f"coverage_{level}"] for r in results])) for level in (80, 95)}
    return {"mean_mase": mean, "best_statistical": best_stat,
            "manabu_at_most_best_statistical": mean["manabu"] <= mean[best_stat],
            "series_worse_than_seasonal_naive": worse, "coverage": coverage}


def many_series(count: int, time_limit: float, seed: int = 0) -> dict:
    """``count`` daily series of two years (trend, weekly and yearly seasons, noise, levels from
    10 to 10,000): the whole ``manabu.forecast`` call and its forecast, timed, and the process's
    peak memory; the MASE of the last 14 days (held out) beside seasonal naive's."""
    import manabu
    from manabu.evaluate.forecast import mase_scale

    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-01-01", periods=730, freq="D")
    t = np.arange(730)
    frames, truth = [], []
    for i in range(count):
        level = 10 ** rng.uniform(1, 4)
        values = level * (1 + rng.normal(0, 0.002) * t + 0.2 * rng.uniform() * np.sin(2 * np.pi * t / 7 + rng.uniform(0, 6))
                          + 0.3 * rng.uniform() * np.sin(2 * np.pi * t / 365.25) + rng.normal(0, 0.05, 730))
        frames.append(pd.DataFrame({"store": f"s{i:04d}", "day": days[:-14], "sales": values[:-14]}))
        truth.append(values)
    frame = pd.concat(frames, ignore_index=True)
    peak = [psutil.Process().memory_info().rss]
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.2):
            peak[0] = max(peak[0], psutil.Process().memory_info().rss)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.monotonic()
    model = manabu.forecast(frame, time="day", target="sales", id="store", horizon=14, time_limit=time_limit,
                            report=False)
    fitted = time.monotonic() - started
    table = model.predict()
    total = time.monotonic() - started
    stop.set()
    point = table["sales_forecast"].to_numpy().reshape(count, 14)
    mase = [np.mean(np.abs(point[i] - truth[i][-14:])) / mase_scale(truth[i][:-14], 7) for i in range(count)]
    naive = [np.mean(np.abs(truth[i][-21:-14] - truth[i][-14:-7]).tolist() + np.abs(truth[i][-21:-14] - truth[i][-7:]).tolist())
             / mase_scale(truth[i][:-14], 7) for i in range(count)]
    return {"set": f"synthetic_{count}_daily", "series": count, "points": 716, "horizon": 14, "time_limit": time_limit,
            "fit_seconds": round(fitted, 1), "total_seconds": round(total, 1), "peak_rss_mb": round(peak[0] / 2**20),
            "chosen": model.record["chosen"], "weights": model.record["weights"],
            "mase": float(np.mean(mase)), "seasonal_naive_mase": float(np.mean(naive)),
            "leaderboard": [{k: r.get(k) for k in ("family", "status", "mase", "seconds")} for r in model.record["leaderboard"]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--sets", nargs="*", default=list(SETS))
    parser.add_argument("--reference-history", type=int, default=2000)
    parser.add_argument("--windows", type=int, default=WINDOWS, help="test windows at the end of each series")
    parser.add_argument("--references", nargs="*", default=list(REFERENCES), choices=REFERENCES)
    parser.add_argument("--backtest-windows", type=int, help="manabu's own backtest windows (default: its choice)")
    parser.add_argument("--many", type=int, default=0, help="forecast this many synthetic daily series instead")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    stamp = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "note": args.note,
             "cpus": psutil.cpu_count()}
    if args.many:
        results = [many_series(args.many, args.time_limit)]
    else:
        results = []
        for name in args.sets:
            results.append(one_set(name, args.time_limit, args.reference_history, args.windows,
                                   tuple(args.references), args.backtest_windows))
            print(json.dumps({k: results[-1][k] for k in ("set", "mean")}), flush=True)
        results.append({"set": "summary", **summary(results)})
    for result in results:
        line = json.dumps({**stamp, "time_limit": args.time_limit, "test_windows": args.windows, **result})
        print(line if result["set"] in ("summary",) or args.many else "", end="\n" if result["set"] == "summary" or args.many else "")
        if args.out:
            with args.out.open("a", encoding="utf-8") as file:
                file.write(line + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
