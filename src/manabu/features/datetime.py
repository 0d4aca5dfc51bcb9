"""Datetime columns become numbers a model can split on: calendar parts and elapsed time."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

PARTS = ("year", "month", "day", "weekday", "hour", "elapsed_days")
_SECONDS_PER_DAY = 86_400.0


class DatetimeParts(TransformerMixin, BaseEstimator):
    """Year, month, day, weekday, hour and days elapsed since the earliest training date.

    Parts that never vary in the training data (the hour of date-only columns, say) are dropped
    at fit time, so the model is not handed constant columns. Missing dates give NaN parts.
    """

    def fit(self, X, y=None):
        frame = _as_datetime_frame(X)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.origins_ = []
        self.parts_ = []
        for name in frame.columns:
            values = frame[name]
            origin = values.min()
            self.origins_.append(None if pd.isna(origin) else float(origin.value) / 1e9)
            parts = _parts(values, self.origins_[-1])
            self.parts_.append([p for p in PARTS if parts[p].nunique(dropna=True) > 1])
        return self

    def transform(self, X):
        check_is_fitted(self, "parts_")
        frame = _as_datetime_frame(X)
        blocks = []
        for name, origin, kept in zip(frame.columns, self.origins_, self.parts_):
            parts = _parts(frame[name], origin)
            blocks.extend(parts[p].to_numpy(dtype=float) for p in kept)
        if not blocks:
            return np.empty((len(frame), 0))
        return np.column_stack(blocks)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "parts_")
        return np.asarray(
            [f"{name}__{part}" for name, kept in zip(self.feature_names_in_, self.parts_) for part in kept],
            dtype=object,
        )


def _as_datetime_frame(X) -> pd.DataFrame:
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
    return frame.apply(lambda col: pd.to_datetime(col, errors="coerce"))


def _parts(values: pd.Series, origin_seconds: float | None) -> pd.DataFrame:
    dt = values.dt
    seconds = values.astype("datetime64[ns]").astype("int64").astype(float) / 1e9
    seconds[values.isna().to_numpy()] = np.nan
    elapsed = (seconds - (origin_seconds or 0.0)) / _SECONDS_PER_DAY
    return pd.DataFrame({
        "year": dt.year, "month": dt.month, "day": dt.day,
        "weekday": dt.day_of_week, "hour": dt.hour, "elapsed_days": elapsed,
    }).astype(float)
