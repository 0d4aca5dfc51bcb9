"""``manabu.forecast``: from a table of one or many series to a saved, reported forecaster.

The steps: read the table, check the series (``panel``), plan the rolling-origin windows
(``backtest``), backtest every family under the time limit and choose the ensemble (``search``),
refit the chosen families on the whole history, calibrate the intervals on the backtests'
errors (``intervals``), and write down what happened (the record the report and the manifest
keep).
"""
from __future__ import annotations

import math
import os
from time import monotonic
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from manabu.base.errors import ArtifactError, ConfigError, MissingExtraError, TrainingError
from manabu.base.i18n import Notice
from manabu.forecasting.backtest import plan_windows, score
from manabu.forecasting.families.base import OutOfTime, catalogue
from manabu.forecasting.intervals import calibrate, measured_coverage
from manabu.forecasting.model import ForecastModel, Forecaster
from manabu.forecasting.panel import Columns, Panel, build_panel
from manabu.forecasting.search import SEARCH_SHARE, SearchResult, cross_selected, ordered_families, search

SHOWN_SERIES = 3      # the best and the worst series shown in the report, each


@dataclass(frozen=True)
class Settings:
    """How a forecaster is searched (``forecast``'s keywords, ``manabu forecast``'s options)."""

    horizon: int
    time_limit: float = 60.0
    windows: int | None = None
    seed: int = 0
    families: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.time_limit, (int, float)) or not math.isfinite(self.time_limit) or self.time_limit <= 0:
            raise ConfigError("search.bad_time_limit", value=self.time_limit)
        if self.windows is not None and (not isinstance(self.windows, int) or self.windows < 1):
            raise ConfigError("forecast.bad_windows", windows=self.windows)


def forecast(data: Any, *, time: str, target: str, horizon: int, id: str | None = None,
             freq: str | None = None, fill: str | None = None, known: tuple[str, ...] | list[str] = (),
             time_limit: float = 60.0, windows: int | None = None, families: list[str] | None = None,
             seed: int = 0, output: str | os.PathLike | None = None, overwrite: bool = False, report: bool = True,
             progress: Callable[[str, int, int], None] | None = None, started: float | None = None) -> Forecaster:
    """Learn to forecast ``horizon`` steps of ``target`` in ``data`` (a file or a frame; one row
    per series and ``time``, the series named by the column ``id``), searching the families
    within ``time_limit`` seconds. ``freq`` overrides the frequency read from the times; ``fill``
    ("linear", "previous", "zero") fills gaps instead of refusing them; ``known`` names the
    covariates whose future values will be given at prediction (the other numeric columns are
    used as past-only covariates). ``windows``: how many rolling-origin backtest windows (by
    default 3 to 10, more on long histories). With ``output``, the model folder is saved there with its
    report."""
    started = monotonic() if started is None else started
    settings = Settings(horizon, time_limit, windows, seed, tuple(families) if families else None)
    if output is not None and Path(output).exists() and not overwrite:
        raise ArtifactError("artifact.exists", path=str(output))
    require_library()
    from manabu.data.read import read

    where = str(data) if isinstance(data, (str, os.PathLike)) else "data"
    columns = Columns(time, target, id, tuple(known))
    panel, notices = build_panel(read(data), columns, freq=freq, fill=fill, where=where)
    model = fit_panel(panel, columns, settings, started, notices, progress, fill=fill)
    if output is not None:
        model.save(output, overwrite=overwrite, report=report)
    return model


def fit_panel(panel: Panel, columns: Columns, settings: Settings, started: float, notices: list[Notice],
              progress: Callable[[str, int, int], None] | None = None, fill: str | None = None) -> Forecaster:
    """The search, the final fits and the record, once the series are checked (``fill``: how
    their gaps were filled, kept to fill a new history's the same way)."""
    windows = plan_windows(panel, settings.horizon, settings.windows)
    _check_families(settings.families)
    specs = ordered_families(panel, settings.horizon, list(settings.families) if settings.families else None)
    deadline = started + settings.time_limit * SEARCH_SHARE
    found = search(panel, windows, specs, seed=settings.seed, deadline=deadline, progress=progress)
    if not found.weights:
        raise TrainingError("forecast.nothing_trained", families=", ".join(s.name for s in specs))
    members, weights = _final_fits(panel, found, settings, started)
    chosen = sum(w * found.backtests[n].forecasts for n, w in weights.items())
    honest = cross_selected(found.backtests, windows) if len(found.backtests) > 1 else chosen
    calibration = calibrate(honest, windows.truth, windows.spreads)
    model = ForecastModel(panel, columns, members, weights, calibration, settings.horizon)
    record = _record(panel, found, chosen, honest, weights, settings, started,
                     notices + windows.notices + found.notices)
    record["fill"] = fill
    return Forecaster(model, record)


def _final_fits(panel: Panel, found: SearchResult, settings: Settings, started: float):
    """The chosen families refitted on the whole history, the heaviest weight first. The first
    always fits; another is left out (its weight shared among the rest) when its backtest's pace
    says it cannot be refitted in the time left, or when it runs out of it."""
    specs = catalogue()
    deadline = started + settings.time_limit
    members, weights = {}, dict(found.weights)
    for name in sorted(weights, key=weights.get, reverse=True):
        expected = found.backtests[name].seconds / found.windows.count
        if members and monotonic() + expected > deadline:
            weights.pop(name)
            continue
        try:
            members[name] = specs[name].make(panel, settings.horizon, settings.seed).fit(
                panel, settings.horizon, deadline if members else None)
        except OutOfTime:
            weights.pop(name)
    total = sum(weights.values())
    return members, {name: w / total for name, w in weights.items()}


def _record(panel: Panel, found: SearchResult, chosen: np.ndarray, honest: np.ndarray, weights: dict[str, float],
            settings: Settings, started: float, notices: list[Notice]) -> dict[str, Any]:
    """What the manifest keeps: the plan, the leaderboard, the chosen forecast's backtest scores
    (``scores``: flattered by the choice; ``cross_scores``: each window forecast by the mix
    chosen on the others), the coverage measured on the latter, and the series shown."""
    windows = found.windows
    scores = score(chosen, windows)
    return {"n_series": panel.n_series, "lengths": panel.lengths, "freq": panel.freq, "seasons": list(panel.seasons),
            "horizon": settings.horizon, "time_limit": settings.time_limit, "seed": settings.seed, "metric": "mase",
            "windows": {"count": windows.count, "drops": windows.drops,
                        "origins": [str(panel.times(0)[len(panel.y[0]) - d - 1]) for d in windows.drops]},
            "chosen": "ensemble" if len(weights) > 1 else next(iter(weights)), "weights": weights,
            "scores": {k: v for k, v in scores.items() if not k.endswith(("_series", "_window"))},
            "mase_per_window": scores["mase_per_window"],
            "cross_scores": {k: v for k, v in score(honest, windows).items() if not k.endswith(("_series", "_window"))},
            "coverage": measured_coverage(honest, windows.truth, windows.spreads),
            "leaderboard": found.leaderboard, "shown": _shown(panel, chosen, scores["mase_per_series"]),
            "known": list(panel.known), "covariates": list(panel.covariates),
            "seconds": round(monotonic() - started, 3), "notices": [n.to_dict() for n in notices]}


def _shown(panel: Panel, chosen: np.ndarray, mase: list[float]) -> list[dict[str, Any]]:
    """The best and worst series by MASE, with the chosen forecast of each backtest window."""
    order = np.argsort(mase)
    picked = list(order) if len(order) <= 2 * SHOWN_SERIES else [*order[:SHOWN_SERIES], *order[-SHOWN_SERIES:]]
    return [{"series": panel.ids[i], "position": int(i), "mase": float(mase[i]),
             "windows": chosen[:, i, :].tolist()} for i in picked]


def _check_families(names: tuple[str, ...] | None) -> None:
    if not names:
        return
    known = catalogue()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError("forecast.unknown_families", families=", ".join(unknown), known=", ".join(known))


def require_library() -> None:
    try:
        import statsforecast  # noqa: F401
    except ModuleNotFoundError:
        raise MissingExtraError("forecast.missing_extra") from None

