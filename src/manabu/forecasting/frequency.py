"""How often a series is measured, and the seasons that follow from it.

The frequency is a pandas offset alias ("h", "D", "B", "W-SUN", "MS", "QS-JAN", "YS-JAN" ...):
given by the user, or read from the most common step between the timestamps, so that a few gaps
do not hide it. The seasons are the periods a model should look for: a day of 24 hours and a
week of 168 in hourly data, a week of 7 days and a year of 365 in daily data, 12 months in a year.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from manabu.base.errors import ConfigError, DataError

# the seasons looked for at each base frequency, shortest first (a season is kept only when the
# history holds at least two of it)
SEASONS = {"min": (60, 1440, 10080), "h": (24, 168), "D": (7, 365), "B": (5, 260), "W": (52,), "M": (12,),
           "Q": (4,), "Y": ()}
_DAY = pd.Timedelta(days=1)


def base_unit(freq: str) -> str:
    """The unit of an alias: "W-SUN" → "W", "MS" → "M", "QS-JAN" → "Q", "2h" → "h"."""
    offset = pd.tseries.frequencies.to_offset(freq)
    name = offset.name.split("-")[0].lstrip("0123456789")
    if name in ("ME", "MS", "BME", "BMS", "M"):
        return "M"
    if name in ("QE", "QS", "BQE", "BQS", "Q"):
        return "Q"
    if name in ("YE", "YS", "BYE", "BYS", "Y", "A", "AS"):
        return "Y"
    if name in ("h", "H"):
        return "h"
    if name in ("min", "T", "s", "S"):
        return "min"
    if name == "C":
        return "B"
    return name


def seasons_for(freq: str, length: int) -> tuple[int, ...]:
    """The seasonal periods worth modelling in a history of ``length`` points: those the
    frequency has, scaled by its multiple ("30min" has 48 points a day), seen twice at least."""
    offset = pd.tseries.frequencies.to_offset(freq)
    unit = base_unit(freq)
    periods = SEASONS.get(unit, ())
    if unit == "min":
        minutes = max(1, int(offset.nanos // 60_000_000_000))
        periods = tuple(p // minutes for p in periods if p % minutes == 0 and p // minutes >= 4)[:2]
    elif offset.n > 1:
        periods = tuple(p // offset.n for p in periods if p % offset.n == 0)
    return tuple(p for p in periods if p > 1 and length >= 2 * p)


def check_freq(freq: str) -> str:
    """A user's ``--freq``, checked: a pandas offset alias."""
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except (ValueError, TypeError):
        raise ConfigError("forecast.bad_freq", freq=freq) from None
    return offset.freqstr


def infer_freq(times: list[pd.DatetimeIndex], where: str) -> str:
    """The frequency of the series (sorted, unique timestamps each), from the longest one that
    pandas reads whole, else from the most common step of all of them."""
    for index in sorted(times, key=len, reverse=True)[:5]:
        if len(index) >= 3:
            found = pd.infer_freq(index)
            if found is not None:
                return pd.tseries.frequencies.to_offset(found).freqstr
    steps = np.concatenate([np.diff(index.asi8) for index in times if len(index) > 1] or [np.array([], np.int64)])
    if len(steps) == 0:
        raise DataError("forecast.too_short_for_freq", where=where)
    values, counts = np.unique(steps, return_counts=True)
    step = pd.Timedelta(int(values[np.argmax(counts)]))
    return _alias_of_step(step, max(times, key=len), where)


def _alias_of_step(step: pd.Timedelta, index: pd.DatetimeIndex, where: str) -> str:
    """The alias of the most common step, the calendar read where steps vary in length (months,
    quarters, years), from the days the timestamps fall on."""
    if step < _DAY:
        return pd.tseries.frequencies.to_offset(step).freqstr
    days = step / _DAY
    if days == 1:
        business = len(index) > 20 and not np.isin(index.dayofweek, (5, 6)).any()
        return "B" if business else "D"
    if days == 7:
        return "W-" + ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")[int(index[0].dayofweek)]
    if days == int(days) and days < 28:
        return f"{int(days)}D"
    starts = bool((index.day == 1).all())
    if 28 <= days <= 31:
        return "MS" if starts else "ME"
    if 89 <= days <= 92:
        return "QS" if starts else "QE"
    if 365 <= days <= 366:
        return "YS" if starts else "YE"
    raise DataError("forecast.irregular_steps", where=where, step=str(step))
