"""A global gradient-boosting family: one LightGBM model learns from every series of the panel.

One model for all series shares what the series have in common (a weekly shape, the effect of a
holiday) and stays cheap with thousands of series, where one model per series would not. Each
point is described by what was known one step before it: lags of the target (the short ones,
one and two seasons), rolling means and spreads of the lagged values, the calendar of its time,
the series it belongs to, the known covariates at its time, and the past-only covariates one
horizon before it and a little earlier (values already seen when the forecast is made). Forecasting is recursive: one step at a time, each forecast fed back
as a lag.

A tree answers only within the values it saw, so it cannot carry on a trend, and series of very
different levels would need different trees. Hence the target is learnt as the step from the
last value (the *anchor*; the mean of the last season is the other choice), divided by the
series' scale, its mean absolute step, and every lag and mean is read relative to the anchor:
series of any level and trend look alike to the model. The anchor's own level, centred and
scaled, is one more feature, so that a series that returns to its mean (temperatures, sunspots)
can be learnt too. On six public series, over four backtest windows each, this beat the same
model on scaled levels (0.70 against 0.90 of seasonal naive's MAE, geometric mean).

Stored as LightGBM's text model plus JSON settings and the per-series scales: never a pickle.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from manabu.forecasting.families.base import (FamilySpec, ForecastFamily, Future, OutOfTime, check_deadline,
                                           register_family)
from manabu.forecasting.frequency import base_unit
from manabu.forecasting.panel import Panel

SHORT_LAGS = 7           # lags 1..7, or 1..season when the season is at most MAX_SHORT
MAX_SHORT = 24
MIN_ROWS_PER_LAG = 2     # a long lag is kept when the shortest series holds it twice (earlier rows: missing)
# Past-only covariates enter at lags of the horizon and beyond: every step of a recursive
# forecast then reads values already seen at its origin, never a guess of their future.
PAST_LAGS = (0, 1, 2)    # added to the horizon
USE_PAST = True
MAX_HISTORY = 5000       # the last points of each series that training reads
MAX_ROWS = 200_000       # training rows beyond this are subsampled (twice as many: ~1% better, 10x slower)
BIG_ROWS = 100_000       # from this many rows: a faster learning rate, and no refit on all rows
CHUNK = 500_000          # series x points built at once, to bound memory
MAX_ROUNDS = 1000
PATIENCE = 50
MIN_POINTS = 30          # fewer points in all the series: the family is not offered
MIN_TREES = 10           # fewer trees than this, cut by the deadline, forecast no better than a constant step
THREADS = 1              # two threads were slower on a busy 2-core machine (OpenMP contention), never faster
PARAMS = {"objective": "l2", "num_leaves": 31, "min_data_in_leaf": 20,
          "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
          "max_bin": 255, "verbose": -1, "deterministic": True, "force_row_wise": True}
CALENDAR = {"min": ("minute", "hour", "dayofweek"), "h": ("hour", "dayofweek", "month"),
            "D": ("dayofweek", "day", "month", "week"), "B": ("dayofweek", "day", "month", "week"),
            "W": ("week", "month"), "M": ("month",), "Q": ("quarter",), "Y": ()}


@dataclass
class Design:
    """What a point's features are: chosen from the panel at fit time, stored as JSON."""

    freq: str
    lags: list[int]
    windows: list[int]
    anchor: str                  # "mean" (of the last anchor_window values), "last", or "none"
    anchor_window: int
    calendar: list[str]
    known: list[str] = field(default_factory=list)
    past: list[str] = field(default_factory=list)
    past_lags: list[int] = field(default_factory=list)
    by_series: bool = False
    level: bool = False          # the anchor's own level as a feature (mean reversion)

    @property
    def lookback(self) -> int:
        """The points before a target that its features read."""
        return max([*self.lags, *self.windows, self.anchor_window, *self.past_lags, 1])

    @property
    def names(self) -> list[str]:
        """LightGBM's feature names: covariates by number, since a user's column name may hold
        characters LightGBM refuses."""
        return ([f"lag{k}" for k in self.lags] + [f"{s}{w}" for w in self.windows for s in ("mean", "std")]
                + (["level"] if self.level else []) + list(self.calendar)
                + [f"known{j}" for j in range(len(self.known))]
                + [f"past{j}_lag{lag}" for j in range(len(self.past)) for lag in self.past_lags]
                + (["series"] if self.by_series else []))


def design_for(panel: Panel, horizon: int, anchor: str = "last", level: bool = True,
               use_past: bool = USE_PAST) -> Design:
    """The features that fit the panel: lags and windows the shortest series can fill."""
    seasons, shortest = panel.seasons, min(panel.lengths)
    short = panel.season if 1 < panel.season <= MAX_SHORT else SHORT_LAGS
    fits = [k for k in range(1, short + 1) if k < shortest // MIN_ROWS_PER_LAG]
    longs = [m * s for s in seasons for m in (1, 2) if m * s * MIN_ROWS_PER_LAG <= shortest]
    lags = sorted(set(fits) | set(longs)) or [1]
    windows = sorted({w for w in (3, *seasons[:2]) if w * MIN_ROWS_PER_LAG <= shortest and w > 1})
    anchor_window = panel.season if anchor == "mean" and panel.season > 1 else 1
    past = sorted(k for k in panel.covariates if k not in panel.known) if use_past else []
    return Design(panel.freq, lags, windows, anchor if anchor_window > 1 or anchor == "none" else "last",
                  anchor_window, list(CALENDAR.get(base_unit(panel.freq), ())), sorted(panel.known), past,
                  [horizon + p for p in PAST_LAGS if horizon + p < shortest // MIN_ROWS_PER_LAG] if past else [],
                  panel.n_series > 1, level)


def _prefix(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Running sums (values, squares, counts of present values) along time, a zero column first."""
    ok = ~np.isnan(z)
    zero = np.where(ok, z, 0.0)
    pad = np.zeros((z.shape[0], 1))
    return (np.hstack([pad, np.cumsum(zero, axis=1)]), np.hstack([pad, np.cumsum(zero * zero, axis=1)]),
            np.hstack([pad, np.cumsum(ok, axis=1)]))


def _rolling(sums: tuple, t: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread of the ``w`` values before each position ``t``; missing where not all seen."""
    p, q, c = sums
    lo = np.maximum(t - w, 0)
    full = (t - w >= 0) & (c[:, t] - c[:, lo] == w)
    mean = (p[:, t] - p[:, lo]) / w
    std = np.sqrt(np.maximum((q[:, t] - q[:, lo]) / w - mean * mean, 0.0))
    return np.where(full, mean, np.nan), np.where(full, std, np.nan)


def _partial_mean(sums: tuple, t: np.ndarray, w: int) -> np.ndarray:
    """The mean of the values present among the ``w`` before ``t``: an anchor even for a series
    shorter than a season."""
    p, _, c = sums
    lo = np.maximum(t - w, 0)
    count = c[:, t] - c[:, lo]
    return np.where(count > 0, (p[:, t] - p[:, lo]) / np.maximum(count, 1), np.nan)


def _lag(z: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
    return z[:, np.maximum(t - k, 0)] if (t >= k).all() else np.where(t >= k, z[:, np.maximum(t - k, 0)], np.nan)


def _features(design: Design, z: np.ndarray, t: np.ndarray, extra: dict[str, np.ndarray]) -> tuple[list, np.ndarray]:
    """The feature columns (each rows x positions) of the targets at positions ``t`` of ``z``
    (scaled series, one a row), and their anchors. ``extra`` holds the calendar, covariate and
    series matrices aligned with ``z``: read at ``t`` when known then, before it otherwise."""
    sums = _prefix(z)
    if design.anchor == "mean":
        anchor = _partial_mean(sums, t, design.anchor_window)
    elif design.anchor == "last":
        anchor = _lag(z, t, 1)
    else:
        anchor = np.zeros((z.shape[0], len(t)))
    columns = [_lag(z, t, k) - anchor for k in design.lags]
    for w in design.windows:
        mean, std = _rolling(sums, t, w)
        columns += [mean - anchor, std]
    columns += [anchor] if design.level else []
    columns += [extra[name][:, t] for name in design.calendar]
    columns += [extra[f"known:{k}"][:, t] for k in design.known]
    columns += [_lag(extra[f"past:{k}"], t, lag) for k in design.past for lag in design.past_lags]
    columns += [extra["series"][:, t]] if design.by_series else []
    return columns, anchor


def _calendar(parts: list[str], times: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """The calendar parts of ``times`` as numbers (week: ISO week of the year)."""
    found = {}
    for part in parts:
        values = times.isocalendar().week if part == "week" else getattr(times, part)
        found[part] = np.asarray(values, dtype=float)
    return found


def _left_padded(rows: list[np.ndarray], width: int) -> np.ndarray:
    """Rows of different lengths ending in the same column, missing values before their start."""
    out = np.full((len(rows), width), np.nan)
    for i, row in enumerate(rows):
        row = row[-width:]
        out[i, width - len(row):] = row
    return out


def _extra(design: Design, panel: Panel, members: list[int], width: int, horizon: int,
           future: Future | None) -> dict[str, np.ndarray]:
    """Calendar, covariates and series index of ``members``, the last ``width`` points of history
    and ``horizon`` points after it (known covariates from ``future``; past-only ones, read at
    lags of the horizon and beyond, padded with their last value)."""
    extra: dict[str, np.ndarray] = {}
    cache: dict[tuple, dict[str, np.ndarray]] = {}
    calendars = []
    for i in members:
        key = (panel.start[i], len(panel.y[i]))
        if key not in cache:
            times = pd.date_range(panel.start[i], periods=len(panel.y[i]) + horizon, freq=panel.freq)
            cache[key] = _calendar(design.calendar, times)
        calendars.append(cache[key])
    for part in design.calendar:
        extra[part] = _left_padded([c[part] for c in calendars], width + horizon)
    for k in design.known:
        ahead = [np.asarray(future[k][i], dtype=float)[:horizon] if future else np.zeros(0) for i in members]
        extra[f"known:{k}"] = _left_padded([np.concatenate([panel.covariates[k][i], a]) for i, a in
                                            zip(members, ahead)], width + horizon)
    for k in design.past:
        extra[f"past:{k}"] = _left_padded([np.concatenate([panel.covariates[k][i], np.repeat(
            panel.covariates[k][i][-1:], horizon)]) for i in members], width + horizon)
    extra["series"] = np.repeat(np.asarray(members, dtype=float)[:, None], width + horizon, axis=1)
    return extra


def _scales(panel: Panel) -> tuple[np.ndarray, np.ndarray]:
    """Per series: the centre (mean) and the scale (mean absolute step; the mean absolute value,
    or 1, for a series that does not move), of the history training reads."""
    offsets, scales = [], []
    for values in panel.y:
        recent = values[-MAX_HISTORY:]
        step = float(np.mean(np.abs(np.diff(recent)))) if len(recent) > 1 else 0.0
        offsets.append(float(np.mean(recent)))
        scales.append(step if step > 0 else (float(np.mean(np.abs(recent))) or 1.0))
    return np.asarray(offsets), np.asarray(scales)


def _scaled(panel: Panel, members: list[int], offsets: np.ndarray, scales: np.ndarray, width: int) -> np.ndarray:
    return _left_padded([(panel.y[i][-width:] - offsets[i]) / scales[i] for i in members], width)


def _chunk_rows(design: Design, panel: Panel, members: list[int], offsets: np.ndarray, scales: np.ndarray,
                val: int, keep: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Training and validation rows of some series: features, target; the last ``val`` points of
    each series validate (early stopping); training rows are kept with probability ``keep``."""
    width = min(max(len(panel.y[i]) for i in members), MAX_HISTORY)
    z = _scaled(panel, members, offsets, scales, width)
    t = np.arange(1, width)
    columns, anchor = _features(design, z, t, _extra(design, panel, members, width, 0, None))
    target = z[:, t] - anchor
    present = ~np.isnan(target)
    late = np.broadcast_to(t >= width - val, target.shape)
    chosen = present & ~late & (rng.random(target.shape) < keep)
    checking = present & late
    x = np.stack(columns, axis=-1)
    return (x[chosen].astype(np.float32), target[chosen], x[checking].astype(np.float32), target[checking])


def training_rows(design: Design, panel: Panel, offsets: np.ndarray, scales: np.ndarray, val: int,
                  seed: int) -> tuple[np.ndarray, ...]:
    """All rows, built a few series at a time so that memory stays bounded."""
    rng = np.random.default_rng(seed)
    lengths = [min(n, MAX_HISTORY) for n in panel.lengths]
    keep = min(1.0, MAX_ROWS / max(1, sum(lengths) - val * panel.n_series))
    per_chunk = max(1, CHUNK // max(lengths))
    parts = [_chunk_rows(design, panel, list(range(lo, min(lo + per_chunk, panel.n_series))), offsets, scales,
                         val, keep, rng) for lo in range(0, panel.n_series, per_chunk)]
    return tuple(np.concatenate([p[j] for p in parts]) for j in range(4))


def _deadline_stop(deadline: float | None, history: dict) -> Any:
    """A LightGBM callback that ends training at the deadline, keeping the best trees so far."""
    import lightgbm as lgb

    def stop(env: Any) -> None:
        if deadline is not None and time.monotonic() > deadline:
            history["cut"] = True
            scores = next(iter(history.get("eval", {}).values()), {})
            curve = next(iter(scores.values()), [])
            best = int(np.argmin(curve)) if len(curve) else env.iteration
            raise lgb.callback.EarlyStopException(best, [])
    stop.order = 40
    return stop


class BoostingFamily(ForecastFamily):
    """One LightGBM model over every series, forecasting recursively."""

    name = "lightgbm"

    def __init__(self, design: Design | None = None, seed: int = 0, refit: bool = True) -> None:
        self.design = design
        self.seed = int(seed)
        self.refit = refit
        self.booster_: Any = None
        self.offsets_ = np.zeros(0)
        self.scales_ = np.zeros(0)

    def fit(self, panel: Panel, horizon: int, deadline: float | None = None) -> BoostingFamily:
        check_deadline(deadline)
        self.design = self.design or design_for(panel, horizon)
        self.offsets_, self.scales_ = _scales(panel)
        val = max(1, min(horizon, min(panel.lengths) // 4))
        x, y, vx, vy = training_rows(self.design, panel, self.offsets_, self.scales_, val, self.seed)
        if len(y) == 0:
            raise ValueError("the series are too short to learn from")
        check_deadline(deadline)
        booster = self._train(x, y, vx, vy, deadline)
        if self.refit and len(y) + len(vy) < BIG_ROWS and booster.best_iteration > 0 and not _passed(deadline):
            booster = self._refit(booster, np.concatenate([x, vx]), np.concatenate([y, vy]), deadline)
        import lightgbm as lgb

        self.booster_ = lgb.Booster(model_str=booster.model_to_string())  # as restore will build it
        return self

    def _refit(self, first: Any, x: np.ndarray, y: np.ndarray, deadline: float | None) -> Any:
        """The model trained again on every row, the last points included (they are the latest
        news of each series), for as many rounds as early stopping chose; the first model where
        the deadline cuts this one short."""
        rounds = first.best_iteration
        try:
            again = self._train(x, y, None, None, deadline, rounds)
        except OutOfTime:
            return first
        return again if again.current_iteration() >= rounds else first

    def _params(self, rows: int) -> dict[str, Any]:
        return {**PARAMS, "seed": self.seed, "num_threads": THREADS,
                "learning_rate": 0.05 if rows < BIG_ROWS else 0.1,
                "min_data_in_leaf": int(min(PARAMS["min_data_in_leaf"], max(3, rows // 50)))}

    def _train(self, x: np.ndarray, y: np.ndarray, vx: np.ndarray | None, vy: np.ndarray | None,
               deadline: float | None, rounds: int = MAX_ROUNDS) -> Any:
        import lightgbm as lgb

        design = self.design
        categorical = ["series"] if design.by_series else []
        train = lgb.Dataset(x, y, feature_name=design.names, categorical_feature=categorical, free_raw_data=True)
        history: dict = {"eval": {}}
        callbacks = [lgb.record_evaluation(history["eval"]), _deadline_stop(deadline, history)]
        valid = []
        if vy is not None and len(vy):
            valid = [lgb.Dataset(vx, vy, reference=train)]
            callbacks.append(lgb.early_stopping(PATIENCE, verbose=False))
        booster = lgb.train(self._params(len(y)), train, num_boost_round=rounds, valid_sets=valid,
                            callbacks=callbacks)
        if history.get("cut") and booster.current_iteration() < min(MIN_TREES, rounds):
            raise OutOfTime()
        return booster

    def forecast(self, panel: Panel, horizon: int, future: Future | None = None) -> list[np.ndarray]:
        design = self.design
        if panel.n_series != len(self.scales_):
            raise ValueError(f"the model learnt {len(self.scales_)} series, not {panel.n_series}")
        _check_future(design, panel, horizon, future)
        members = list(range(panel.n_series))
        width = min(max(panel.lengths), design.lookback)
        z = np.hstack([_scaled(panel, members, self.offsets_, self.scales_, width),
                       np.full((panel.n_series, horizon), np.nan)])
        extra = _extra(design, panel, members, width, horizon, future)
        for step in range(horizon):
            columns, anchor = _features(design, z, np.array([width + step]), extra)
            x = np.stack(columns, axis=-1)[:, 0, :].astype(np.float32)
            z[:, width + step] = anchor[:, 0] + self.booster_.predict(x, num_threads=1)
        return [self.offsets_[i] + self.scales_[i] * z[i, width:] for i in members]

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        text = self.booster_.model_to_string().encode("utf-8")
        return ({"design": asdict(self.design), "seed": self.seed},
                {"booster": np.frombuffer(text, dtype=np.uint8).copy(), "offsets": self.offsets_,
                 "scales": self.scales_})

    @classmethod
    def restore(cls, settings: dict[str, Any], arrays: dict[str, np.ndarray]) -> BoostingFamily:
        import lightgbm as lgb

        family = cls(Design(**settings["design"]), settings.get("seed", 0))
        text = np.asarray(arrays["booster"], dtype=np.uint8).tobytes().decode("utf-8")
        family.booster_ = lgb.Booster(model_str=text)
        family.offsets_ = np.asarray(arrays["offsets"], dtype=float)
        family.scales_ = np.asarray(arrays["scales"], dtype=float)
        return family


def _check_future(design: Design, panel: Panel, horizon: int, future: Future | None) -> None:
    """Every known covariate the model learnt from, given for every series over the horizon."""
    for name in design.known:
        if future is None or name not in future:
            raise ValueError(f"the future values of the known covariate {name!r} are missing")
        values = future[name]
        if len(values) != panel.n_series or min(len(v) for v in values) < horizon:
            raise ValueError(f"the known covariate {name!r} needs {horizon} future values for each of "
                             f"the {panel.n_series} series")


def _passed(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def _usable(panel: Panel, horizon: int) -> bool:
    """Enough points for trees to learn anything beyond an average step."""
    return sum(panel.lengths) - panel.n_series >= MIN_POINTS


register_family(FamilySpec(name="lightgbm", kind="boosting", uses_covariates=True,
                           make=lambda panel, horizon, seed: BoostingFamily(seed=seed),
                           restore=BoostingFamily.restore, usable=_usable))
