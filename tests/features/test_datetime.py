import numpy as np
import pandas as pd

from manabu.features import DatetimeParts


def test_parts_and_elapsed_days_with_missing_dates():
    frame = pd.DataFrame({"when": pd.to_datetime(["2024-01-01 10:00", "2024-03-15 18:30", None])})
    parts = DatetimeParts().fit(frame)
    out = parts.transform(frame)
    names = list(parts.get_feature_names_out())
    assert names == ["when__month", "when__day", "when__weekday", "when__hour", "when__elapsed_days"]
    row = dict(zip(names, out[1]))
    assert row["when__month"] == 3 and row["when__day"] == 15 and row["when__hour"] == 18
    assert row["when__weekday"] == 4  # a Friday
    assert abs(row["when__elapsed_days"] - (74 + 8.5 / 24)) < 1e-9
    assert np.isnan(out[2]).all(), "a missing date gives missing parts, not zeros"


def test_parts_that_never_vary_in_training_are_dropped():
    frame = pd.DataFrame({"day": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-02-03"])})
    names = list(DatetimeParts().fit(frame).get_feature_names_out())
    assert "day__hour" not in names and "day__year" not in names
    assert "day__month" in names
