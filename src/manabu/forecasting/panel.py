"""Series as the forecasters see them: one or many, each on a regular grid of time, checked.

A user's table is long: one row per series and time, the series named by ``--id`` (one series
when there is none). ``build_panel`` reads the time column as the table reader reads dates
(Japanese dates too), finds the frequency, and refuses what a forecaster cannot learn from in one
message: a column that is not time, dates that do not parse, two rows for one time, gaps in the
grid (unless ``fill`` says how to fill them), a series too short, a target that is all missing.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from manabu.base.errors import ConfigError, DataError
from manabu.base.i18n import Notice
from manabu.data.schema.values import best_date_format, norm_text, parse_dates, to_ns
from manabu.forecasting.frequency import check_freq, infer_freq, seasons_for

FILLS = ("linear", "previous", "zero")
MIN_POINTS = 4          # a series of fewer points is refused
SHOWN = 5               # examples named in a message


@dataclass
class Panel:
    """Regular series: ``y[i]`` measured at ``start[i]``, ``start[i] + freq`` ... with no gaps;
    ``covariates[name][i]`` beside it. ``known`` covariates have values given for the future
    too (calendar, planned prices); the others are only seen in the past."""

    ids: list[str]
    start: list[pd.Timestamp]
    y: list[np.ndarray]
    freq: str
    covariates: dict[str, list[np.ndarray]] = field(default_factory=dict)
    known: tuple[str, ...] = ()

    @property
    def n_series(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> list[int]:
        return [len(v) for v in self.y]

    @property
    def seasons(self) -> tuple[int, ...]:
        """The seasonal periods the shortest series holds twice."""
        return seasons_for(self.freq, min(self.lengths))

    @property
    def season(self) -> int:
        """The main seasonal period (1: none)."""
        return self.seasons[0] if self.seasons else 1

    def times(self, i: int) -> pd.DatetimeIndex:
        return pd.date_range(self.start[i], periods=len(self.y[i]), freq=self.freq)

    def future_times(self, i: int, horizon: int) -> pd.DatetimeIndex:
        return pd.date_range(self.start[i], periods=len(self.y[i]) + horizon, freq=self.freq)[-horizon:]

    def head(self, drop: int) -> Panel:
        """Every series without its last ``drop`` points (the history at a backtest's origin)."""
        if drop <= 0:
            return self
        return replace(self, y=[v[:-drop] for v in self.y],
                       covariates={k: [v[:-drop] for v in vs] for k, vs in self.covariates.items()})

    def tail(self, drop: int, horizon: int) -> tuple[list[np.ndarray], dict[str, list[np.ndarray]]]:
        """The ``horizon`` points after ``head(drop)``: the truth and the known covariates."""
        def cut(v: np.ndarray) -> np.ndarray:
            return v[len(v) - drop:len(v) - drop + horizon]
        return [cut(v) for v in self.y], {k: [cut(v) for v in self.covariates[k]] for k in self.known}

    def long(self, target: str = "y", id_column: str = "series", time_column: str = "time") -> pd.DataFrame:
        frames = [pd.DataFrame({id_column: sid, time_column: self.times(i), target: self.y[i],
                                **{k: v[i] for k, v in self.covariates.items()}}) for i, sid in enumerate(self.ids)]
        return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class Columns:
    """Which columns of the user's table are what."""

    time: str
    target: str
    id: str | None = None
    known: tuple[str, ...] = ()


def build_panel(frame: pd.DataFrame, columns: Columns, *, freq: str | None = None, fill: str | None = None,
                where: str = "data") -> tuple[Panel, list[Notice]]:
    """The checked, regular series of ``frame`` and the notices about what was changed."""
    _check_columns(frame, columns, where)
    if fill is not None and fill not in FILLS:
        raise ConfigError("forecast.bad_fill", fill=fill, choices=", ".join(FILLS))
    notices: list[Notice] = []
    table = pd.DataFrame({"id": _ids(frame, columns), "time": read_times(frame[columns.time], columns.time, where),
                          "y": _target(frame[columns.target], columns.target, where)})
    extra = _covariates(frame, columns, notices)
    table = pd.concat([table, extra], axis=1).sort_values(["id", "time"], kind="stable")
    table = _merge_duplicates(table, columns, fill, where, notices)
    groups = {sid: part for sid, part in table.groupby("id", sort=True)}
    indexes = [pd.DatetimeIndex(part["time"]) for part in groups.values()]
    freq = check_freq(freq) if freq else infer_freq(indexes, where)
    panel = Panel([], [], [], freq, {name: [] for name in extra.columns},
                  tuple(k for k in columns.known if k in extra.columns))
    for sid, part in groups.items():
        _add_series(panel, sid, part, columns, fill, where, notices)
    _check_panel(panel, columns, where, notices)
    return panel, notices


def read_times(values: pd.Series, name: str, where: str) -> pd.Series:
    """The column as timestamps: dates already, dates in text (the table reader's formats,
    Japanese dates included), or whole years; anything else is refused in one message."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        times = to_ns(values)
    elif pd.api.types.is_integer_dtype(values.dtype) and values.between(1000, 2999).all():
        times = pd.to_datetime(values.astype("int64").astype(str), format="%Y")
    elif values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        texts = [norm_text(str(v)) for v in values.fillna("")]
        fmt, _ = best_date_format(texts, np.ones(len(texts)))
        if fmt is None:
            raise DataError("forecast.not_time", column=name, where=where, examples=_examples(values.dropna()))
        times = parse_dates(texts, fmt)
    else:
        raise DataError("forecast.not_time", column=name, where=where, examples=_examples(values.dropna()))
    times = pd.Series(times.to_numpy(), index=values.index)
    bad = times.isna() & values.notna()
    if bad.any():
        raise DataError("forecast.bad_dates", column=name, where=where, count=int(bad.sum()),
                        examples=_examples(values[bad]))
    if times.isna().any():
        raise DataError("forecast.missing_times", column=name, where=where, count=int(times.isna().sum()))
    return times


def _check_columns(frame: pd.DataFrame, columns: Columns, where: str) -> None:
    if len(frame) == 0:
        raise DataError("forecast.empty", where=where)
    for role, name in (("time", columns.time), ("target", columns.target), ("id", columns.id),
                       *(("known", k) for k in columns.known)):
        if name is not None and name not in frame.columns:
            raise ConfigError("forecast.no_column", role=role, column=name, where=where,
                              columns=", ".join(map(str, frame.columns[:20])))
    named = [c for c in (columns.time, columns.target, columns.id) if c is not None]
    if len(set(named)) < len(named):
        raise ConfigError("forecast.same_column", time=columns.time, target=columns.target, id=columns.id)


def _ids(frame: pd.DataFrame, columns: Columns) -> pd.Series:
    if columns.id is None:
        return pd.Series(columns.target, index=frame.index)
    return frame[columns.id].astype("string").fillna("(missing)").astype(str)


def _target(values: pd.Series, name: str, where: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce") if values.dtype != bool else values.astype(float)
    bad = numbers.isna() & values.notna()
    if bad.any():
        raise DataError("forecast.target_not_numeric", column=name, where=where, count=int(bad.sum()),
                        examples=_examples(values[bad]))
    numbers = numbers.astype(float)
    if numbers.isna().all():
        raise DataError("forecast.target_all_missing", column=name, where=where)
    if np.isinf(numbers).any():
        raise DataError("forecast.target_infinite", column=name, where=where, count=int(np.isinf(numbers).sum()))
    return numbers


def _covariates(frame: pd.DataFrame, columns: Columns, notices: list[Notice]) -> pd.DataFrame:
    """The other columns that are numbers (or true/false), as floats; the rest are left out."""
    used, left = {}, []
    for name in frame.columns:
        if name in (columns.time, columns.target, columns.id):
            continue
        values = frame[name]
        if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
            used[str(name)] = values.astype(float).replace([np.inf, -np.inf], np.nan)
        elif name in columns.known:
            raise DataError("forecast.known_not_numeric", column=name)
        else:
            left.append(str(name))
    if left:
        notices.append(Notice("forecast.covariates_left_out", {"count": len(left), "columns": ", ".join(left[:SHOWN])}))
    return pd.DataFrame(used, index=frame.index)


def _merge_duplicates(table: pd.DataFrame, columns: Columns, fill: str | None, where: str,
                      notices: list[Notice]) -> pd.DataFrame:
    """Two rows for one series and time: refused, or averaged when the user chose to fill."""
    duplicated = table.duplicated(["id", "time"], keep=False)
    if not duplicated.any():
        return table
    first = table[duplicated].iloc[0]
    params = {"count": int(table.duplicated(["id", "time"]).sum()), "where": where, "time": str(first["time"]),
              "series": "" if columns.id is None else f" ({columns.id} = {first['id']})"}
    if fill is None:
        raise DataError("forecast.duplicate_times", **params)
    notices.append(Notice("forecast.duplicates_averaged", params))
    return table.groupby(["id", "time"], sort=True, as_index=False).mean(numeric_only=True)


def _add_series(panel: Panel, sid: str, part: pd.DataFrame, columns: Columns, fill: str | None, where: str,
                notices: list[Notice]) -> None:
    """One series on its regular grid: timestamps off the grid are refused; gaps (missing rows
    or missing values) are refused, or filled as ``fill`` says."""
    times = pd.DatetimeIndex(part["time"])
    grid = pd.date_range(times[0], times[-1], freq=panel.freq)
    off_grid = times.difference(grid)
    if len(off_grid):
        raise DataError("forecast.off_grid", where=where, series=_series(columns, sid), freq=panel.freq,
                        count=len(off_grid), examples=", ".join(str(t) for t in off_grid[:SHOWN]))
    regular = part.set_index("time").drop(columns="id").reindex(grid)
    missing = regular["y"].isna()
    if missing.any():
        params = {"where": where, "series": _series(columns, sid), "count": int(missing.sum()), "points": len(grid),
                  "examples": ", ".join(str(t) for t in grid[missing.to_numpy()][:SHOWN])}
        if fill is None:
            raise DataError("forecast.gaps", **params)
        notices.append(Notice("forecast.gaps_filled", {**params, "fill": fill}))
        regular["y"] = _filled(regular["y"], fill)
    panel.ids.append(str(sid))
    panel.start.append(grid[0])
    panel.y.append(regular["y"].to_numpy(float))
    for name in panel.covariates:  # covariates: the last value carried forward, 0 before the first
        panel.covariates[name].append(regular[name].ffill().fillna(0.0).to_numpy(float))


def _filled(values: pd.Series, fill: str) -> pd.Series:
    if fill == "zero":
        return values.fillna(0.0)
    if fill == "previous":
        return values.ffill().bfill()
    return values.interpolate(method="linear", limit_direction="both")


def _check_panel(panel: Panel, columns: Columns, where: str, notices: list[Notice]) -> None:
    short = [(sid, len(v)) for sid, v in zip(panel.ids, panel.y) if len(v) < MIN_POINTS]
    if short:
        sid, n = short[0]
        raise DataError("forecast.too_short", where=where, series=_series(columns, sid), points=n,
                        count=len(short), minimum=MIN_POINTS)
    constant = [sid for sid, v in zip(panel.ids, panel.y) if np.ptp(v) == 0]
    if len(constant) == panel.n_series:
        raise DataError("forecast.constant", where=where, column=columns.target,
                        value=f"{panel.y[0][0]:g}", count=len(constant))
    if constant:
        notices.append(Notice("forecast.some_constant", {"count": len(constant),
                                                         "series": ", ".join(constant[:SHOWN])}))


def _series(columns: Columns, sid: str) -> str:
    return "" if columns.id is None else f" {columns.id} = {sid}"


def _examples(values: pd.Series) -> str:
    return ", ".join(repr(v) for v in pd.unique(values.astype(str))[:SHOWN])
