"""The forecasting search: every family backtested under the time limit, then an ensemble.

Families run cheapest first (the baselines, then the statistical models, boosting, networks),
each on the same rolling-origin windows, so that the leaderboard compares like with like. A
family that cannot finish its backtests before the deadline is left out and said so. The
ensemble is chosen greedily on the backtests' MASE (Caruana's selection with replacement): the
weights are how often each family was picked, and it is kept only when it beats the best single
family on the backtests.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from manabu.base.i18n import Notice
from manabu.forecasting.backtest import Backtest, Windows, run_backtest, score
from manabu.forecasting.families.base import FamilySpec, OutOfTime, catalogue

ORDER = ("naive", "seasonal_naive", "mean", "drift", "auto_theta", "auto_ets", "lightgbm", "mlp", "mstl", "auto_arima",
         "gru", "lstm")
# With many series, the families that learn one model for all of them go first: their cost
# hardly grows with the number of series, while one statistical model per series does.
GLOBAL_FIRST = ("naive", "seasonal_naive", "mean", "drift", "lightgbm", "mlp", "auto_theta", "auto_ets", "gru", "lstm",
                "mstl", "auto_arima")
MANY_SERIES = 50
ENSEMBLE_ROUNDS = 25
SEARCH_SHARE = 0.8     # of the time limit for the backtests; the rest refits the chosen families


@dataclass
class SearchResult:
    windows: Windows
    backtests: dict[str, Backtest]
    leaderboard: list[dict]
    weights: dict[str, float]
    notices: list[Notice] = field(default_factory=list)


def ordered_families(panel, horizon: int, names: list[str] | None) -> list[FamilySpec]:
    """The families to try, in ``ORDER`` (``GLOBAL_FIRST`` for many series; others after),
    those asked for when ``names`` is given."""
    found = catalogue()
    rank = {name: i for i, name in enumerate(GLOBAL_FIRST if panel.n_series >= MANY_SERIES else ORDER)}
    chosen = [spec for spec in found.values() if names is None or spec.name in names]
    return sorted((s for s in chosen if s.usable(panel, horizon)), key=lambda s: rank.get(s.name, len(ORDER)))


def search(panel, windows: Windows, families: list[FamilySpec], *, seed: int, deadline: float,
           progress: Callable[[str, int, int], None] | None = None) -> SearchResult:
    """Backtest ``families`` until ``deadline`` (time.monotonic()), then choose the ensemble."""
    backtests: dict[str, Backtest] = {}
    rows, notices = [], []
    for done, spec in enumerate(families):
        if progress:
            progress(spec.name, done, len(families))
        row = {"family": spec.name, "kind": spec.kind}
        if time.monotonic() > deadline:
            rows.append({**row, "status": "skipped"})
            continue
        try:
            backtest = run_backtest(spec, panel, windows, seed, deadline)
        except OutOfTime:
            rows.append({**row, "status": "out_of_time"})
            continue
        except Exception as error:  # noqa: BLE001  (one family failing must not end the search)
            rows.append({**row, "status": "failed", "error": f"{type(error).__name__}: {error}"[:300]})
            continue
        if not np.isfinite(backtest.forecasts).all():
            rows.append({**row, "status": "failed", "error": "non-finite forecasts"})
            continue
        backtests[spec.name] = backtest
        rows.append({**row, "status": "ok", "seconds": round(backtest.seconds, 3), **score(backtest.forecasts, windows)})
    if progress:
        progress("", len(families), len(families))
    skipped = [r["family"] for r in rows if r["status"] in ("skipped", "out_of_time")]
    if skipped:
        notices.append(Notice("forecast.families_out_of_time", {"count": len(skipped), "families": ", ".join(skipped)}))
    weights = choose_ensemble({n: b.forecasts for n, b in backtests.items()}, windows.truth, windows.scales)
    return SearchResult(windows, backtests, rank_rows(rows, weights, backtests, windows), weights, notices)


def choose_ensemble(forecasts: dict[str, np.ndarray], truth: np.ndarray, scales: np.ndarray) -> dict[str, float]:
    """Greedy selection with replacement on the mean scaled error of ``forecasts`` (family →
    (windows, series, horizon)); the best single family alone when no mix beats it."""
    if not forecasts:
        return {}
    names = list(forecasts)
    stack = np.array([forecasts[n] for n in names])
    scale = np.maximum(scales, 1e-12)[:, :, None]
    error = lambda mix: float(np.mean(np.abs(mix - truth) / scale))  # noqa: E731
    singles = [error(f) for f in stack]
    best = int(np.argmin(singles))
    counts = np.zeros(len(names))
    total = np.zeros_like(stack[0])
    for round_ in range(1, ENSEMBLE_ROUNDS + 1):
        pick = int(np.argmin([error((total + f) / round_) for f in stack]))
        counts[pick] += 1
        total += stack[pick]
    if error(total / ENSEMBLE_ROUNDS) >= singles[best] - 1e-12:
        return {names[best]: 1.0}
    return {names[i]: float(c / counts.sum()) for i, c in enumerate(counts) if c > 0}


def cross_selected(backtests: dict[str, Backtest], windows: Windows) -> np.ndarray:
    """The ensemble's forecast of each window as if that window had not been seen: the weights
    chosen on the other windows (on all of them when there is one). The chosen mix's own
    backtest errors are flattered by the choice itself; these are not, so the intervals are
    calibrated on them."""
    count = windows.count
    honest = np.zeros_like(windows.truth, dtype=float)
    for w in range(count):
        others = [v for v in range(count) if v != w] or [w]
        weights = choose_ensemble({n: b.forecasts[others] for n, b in backtests.items()},
                                  windows.truth[others], windows.scales[others])
        honest[w] = sum(weight * backtests[n].forecasts[w] for n, weight in weights.items())
    return honest


def rank_rows(rows: list[dict], weights: dict[str, float], backtests: dict[str, Backtest],
              windows: Windows) -> list[dict]:
    """The leaderboard: the ensemble (when it is a mix) and the families by MASE, then the
    families that did not finish."""
    done = sorted((r for r in rows if r["status"] == "ok"), key=lambda r: r["mase"])
    for row in done:
        row["weight"] = weights.get(row["family"], 0.0)
    if len(weights) > 1:
        mix = sum(w * backtests[name].forecasts for name, w in weights.items())
        done.insert(0, {"family": "ensemble", "kind": "ensemble", "status": "ok",
                        "seconds": round(sum(backtests[n].seconds for n in weights), 3),
                        "weight": 1.0, **score(mix, windows)})
        done.sort(key=lambda r: r["mase"])
    return done + [r for r in rows if r["status"] != "ok"]
