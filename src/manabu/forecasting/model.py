"""A trained forecaster: the history it learnt from, the chosen families and their weights, the
intervals' calibration; ``Forecaster`` is what ``manabu.forecast`` returns and ``manabu.load``
gives back.

``ForecastModel`` (``fitted``) is the part stored in the model folder by the codec (``codec``:
safetensors and JSON). ``Forecaster`` wraps it with the record of the training (the backtests'
leaderboard, the windows, the measured coverage), saves it with its report, and answers
forecasts as a table: one row per series and step.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from manabu.artifact import REPORT_FILE, load_model, save_model
from manabu.artifact.pages import page, page_maker
from manabu.base.errors import ArtifactError, DataError
from manabu.forecasting import codec  # noqa: F401  (registers the storage format)
from manabu.forecasting.families.base import Future
from manabu.forecasting.fitted import ForecastModel
from manabu.forecasting.panel import Columns, Panel, build_panel

KIND = "forecast"


class Forecaster:
    """A trained forecaster: ``predict`` answers the next ``horizon`` steps of every series."""

    KIND = KIND

    def __init__(self, model: ForecastModel, record: dict[str, Any]) -> None:
        self.model = model
        self.record = record

    @property
    def horizon(self) -> int:
        return self.model.horizon

    @property
    def series(self) -> list[str]:
        return list(self.model.panel.ids)

    def predict(self, horizon: int | None = None, *, history: pd.DataFrame | None = None,
                future: pd.DataFrame | None = None) -> pd.DataFrame:
        """The forecast of the next ``horizon`` steps (at most the trained horizon) after the
        history learnt from, or after ``history``: new rows (in the training table's columns)
        appended to it, or a whole new history of the same series. ``future`` gives the known
        covariates over the horizon (one row per series and step)."""
        horizon = self.horizon if horizon is None else horizon
        if not isinstance(horizon, (int, np.integer)) or not 1 <= horizon <= self.horizon:
            raise DataError("forecast.predict_horizon", horizon=horizon, trained=self.horizon)
        panel = self.model.panel if history is None else self.extended(history)
        return self.model.forecast_table(panel, int(horizon), self.future_values(panel, int(horizon), future))

    def extended(self, history: pd.DataFrame) -> Panel:
        """The learnt history with ``history``'s rows appended (a row of a time already known
        replaces it), checked as the training data was."""
        columns = self.model.columns
        known = self.model.panel.long(columns.target, columns.id or "__series__", columns.time)
        new = history.copy()
        if columns.id is None:
            new["__series__"] = self.model.panel.ids[0]
        id_column = columns.id or "__series__"
        missing = [c for c in (columns.time, columns.target, id_column) if c not in new.columns]
        if missing:
            raise DataError("forecast.history_columns", columns=", ".join(missing))
        new[columns.time] = _times_like(new[columns.time], columns.time)
        both = pd.concat([known, new[[c for c in known.columns if c in new.columns]]], ignore_index=True)
        both = both.drop_duplicates([id_column, columns.time], keep="last")
        unknown = sorted(set(both[id_column].astype(str)) - set(self.model.panel.ids))
        if unknown:
            raise DataError("forecast.unknown_series", series=", ".join(unknown[:5]), count=len(unknown))
        panel, _ = build_panel(both, Columns(columns.time, columns.target, id_column, columns.known),
                               freq=self.model.panel.freq, fill=self.record.get("fill"), where="history")
        return _same_order(panel, self.model.panel.ids)

    def future_values(self, panel: Panel, horizon: int, future: pd.DataFrame | None) -> Future | None:
        """The known covariates over the horizon, per series, from ``future``'s rows."""
        known = list(panel.known)
        if not known:
            return None
        columns = self.model.columns
        if future is None:
            raise DataError("forecast.future_needed", columns=", ".join(known), horizon=horizon)
        absent = [c for c in [columns.time, *known, *([columns.id] if columns.id else [])] if c not in future.columns]
        if absent:
            raise DataError("forecast.future_columns", columns=", ".join(absent))
        rows = future.assign(**{columns.time: _times_like(future[columns.time], columns.time)})
        if columns.id is None:
            rows = rows.assign(__series__=panel.ids[0])
        id_column = columns.id or "__series__"
        rows[id_column] = rows[id_column].astype(str)
        table = rows.drop_duplicates([id_column, columns.time], keep="last").set_index([id_column, columns.time])
        values: Future = {name: [] for name in known}
        for i, sid in enumerate(panel.ids):
            wanted = pd.MultiIndex.from_arrays([[sid] * horizon, panel.future_times(i, horizon)])
            found = table.reindex(wanted)
            gaps = found[known].isna().any(axis=1).to_numpy()
            if gaps.any():
                raise DataError("forecast.future_missing", series=sid, time=str(wanted[int(np.argmax(gaps))][1]),
                                columns=", ".join(known))
            for name in known:
                values[name].append(found[name].to_numpy(float))
        return values

    # -- saving ----------------------------------------------------------------------------------
    def save(self, path: str | Path, *, overwrite: bool = False, report: bool = True,
             lang: str | None = None) -> Path:
        """The model folder with ``report.html`` beside it (``report=False``: the model alone)."""
        derived = {REPORT_FILE: page(KIND, self, lang)} if report else None
        return save_model(path, self.model, {"kind": KIND, KIND: self.record}, overwrite=overwrite, derived=derived)

    def report(self, lang: str | None = None) -> str:
        return page_maker(KIND)(self, lang)

    @classmethod
    def load(cls, path: str | Path) -> Forecaster:
        pipeline, manifest = load_model(path)
        if manifest.get("kind") != KIND or KIND not in manifest:
            raise ArtifactError("forecast.not_forecast", path=str(path))
        return cls(pipeline.steps[-1][1], manifest[KIND])

    def __repr__(self) -> str:
        best = (self.record.get("leaderboard") or [{}])[0]
        return (f"Forecaster(series={len(self.series)}, freq={self.model.panel.freq!r}, horizon={self.horizon}, "
                f"chosen={self.record.get('chosen')!r}, mase={best.get('mase')})")


def _times_like(values: pd.Series, name: str) -> pd.Series:
    from manabu.forecasting.panel import read_times

    return read_times(values.reset_index(drop=True), name, "history").set_axis(values.index)


def _same_order(panel: Panel, ids: list[str]) -> Panel:
    """``panel``'s series in the order the model learnt them (families answer by position)."""
    position = {sid: i for i, sid in enumerate(panel.ids)}
    order = [position[sid] for sid in ids if sid in position]
    if len(order) != len(ids):
        missing = [sid for sid in ids if sid not in position]
        raise DataError("forecast.series_missing", series=", ".join(missing[:5]), count=len(missing))
    return Panel([panel.ids[i] for i in order], [panel.start[i] for i in order], [panel.y[i] for i in order],
                 panel.freq, {k: [v[i] for i in order] for k, v in panel.covariates.items()}, panel.known)
