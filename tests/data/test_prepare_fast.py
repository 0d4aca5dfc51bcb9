"""prepare() on a few rows reads values one by one; it must give exactly what the general
(pandas, per-column) path gives, on every column type the schema knows and on the shapes
predict-time data really arrives in: other dtypes, missing values, unseen categories, inf."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manabu.data.schema import ColumnType, infer_schema
from manabu.data.schema import model as schema_model
from manabu.data.schema.prepare import column_arrays
from manabu.base.errors import SchemaError

T = ColumnType
N = 120


def training_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    i = np.arange(N)
    words = ["apple pie with cream", "a long sentence about trains", "東京の天気は晴れでしょう",
             "another text that is long enough", "short words here and there"]
    return pd.DataFrame({
        "y": rng.normal(size=N),
        "num": np.where(i % 7 == 0, np.nan, rng.normal(size=N)),
        "count": (i % 9).astype(np.int64),
        "inf": np.where(i % 11 == 0, np.inf, rng.normal(size=N)),
        "money": [f"{v:,}" for v in (1000 + 37 * (i % 30))],
        "wide": [f"{d}．５" for d in "０１２３４５６７８９"] * (N // 10),
        "flag": i % 2 == 0,
        "hai": np.where(i % 3 == 0, "はい", "いいえ"),
        "yes": np.where(i % 4 == 0, "yes", "no"),
        "colour": np.where(i % 13 == 0, None, np.array(["red", "green", "blue"])[i % 3]),
        "code": [f"C{v % 60:03d}" for v in i * 7],
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(i % 50, unit="D"),
        "ja_day": [f"2024年{1 + v % 12}月{1 + v % 28}日" for v in i],
        "iso_day": [f"2023-{1 + v % 12:02d}-{1 + v % 28:02d}" for v in i],
        "note": [f"{words[v % 5]} number {v}" for v in i],
    })


EXPECTED = {"num": T.NUMERIC, "count": T.NUMERIC, "inf": T.NUMERIC, "money": T.NUMERIC, "wide": T.NUMERIC,
            "flag": T.BOOLEAN, "hai": T.BOOLEAN, "yes": T.BOOLEAN, "colour": T.CATEGORICAL,
            "code": T.HIGH_CARDINALITY, "when": T.DATETIME, "ja_day": T.DATETIME, "iso_day": T.DATETIME,
            "note": T.TEXT}

SCHEMA = infer_schema(training_frame(), "y")

# values a column may hold at predict time: its own kind of value, and anything else
ANYTHING = [None, np.nan, pd.NA, np.inf, -np.inf, "", "  ", "unseen", "N/A", "-", 0, 1, -3, 2.5, 1e300,
            True, False, "1,234", "¥2,000", "▲5", "３．５", "1e3", "inf", "はい", "いいえ", "YES", "no",
            "red", "C007", "2024年1月2日", "2024-01-02", "2024-01-02T09:00:00+09:00", "20240102",
            "apple pie with cream number 3", pd.Timestamp("2024-02-03"), np.float64(4.5), [1, 2]]
OWN = {
    "num": [0.5, -1.25, 3], "count": [0, 4, 8], "inf": [np.inf, 1.0], "money": ["1,037", "99,999", "12"],
    "wide": ["２．５", "０．５"], "flag": [True, False], "hai": ["はい", "いいえ"], "yes": ["yes", "no", "Yes"],
    "colour": ["red", "green", "blue", "purple"], "code": ["C001", "C014", "C999"],
    "when": [pd.Timestamp("2024-01-05"), pd.Timestamp("2030-06-01 12:30")],
    "ja_day": ["2024年3月4日", "２０２４年１２月３１日", "2024年13月1日"],
    "iso_day": ["2023-05-06", "2023-02-30"], "note": ["apple pie with cream number 9", "新しい文です"],
}


def as_column(values: list, dtype: str):
    """The column in one of the dtypes predict-time data comes in (object when it cannot)."""
    plain = [v for v in values if not (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)))]
    if dtype == "str" and all(isinstance(v, str) for v in plain):
        return pd.array([v if isinstance(v, str) else None for v in values], dtype="str")
    if dtype == "float" and all(type(v) in (int, float) for v in plain):
        return np.array([np.nan if v is None or v is pd.NA else v for v in values], dtype=float)
    if dtype == "bool" and plain and all(isinstance(v, bool) for v in values):
        return np.array(values, dtype=bool)
    if dtype == "datetime" and all(isinstance(v, pd.Timestamp) for v in plain):
        return pd.array([v if isinstance(v, pd.Timestamp) else None for v in values], dtype="datetime64[ns]")
    if dtype == "category" and all(isinstance(v, str) for v in plain):
        return pd.Categorical([v if isinstance(v, str) else None for v in values])
    if dtype == "Int64" and all(type(v) is int for v in plain):
        return pd.array([v if type(v) is int else None for v in values], dtype="Int64")
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


@st.composite
def predict_frames(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 6))
    columns = {}
    for name in EXPECTED:
        pool = OWN[name] + ANYTHING
        own = st.sampled_from(OWN[name])
        values = draw(st.lists(st.one_of(own, own, st.sampled_from(pool)), min_size=n, max_size=n))
        dtype = draw(st.sampled_from(["object", "str", "float", "bool", "datetime", "category", "Int64"]))
        columns[name] = as_column(values, dtype)
    index = draw(st.sampled_from([None, [7] * n, list(range(100, 100 + n))]))
    return pd.DataFrame(columns, index=index)


def general(frame: pd.DataFrame) -> pd.DataFrame:
    saved = schema_model.SMALL_FRAME_ROWS
    schema_model.SMALL_FRAME_ROWS = 0
    try:
        return SCHEMA.prepare(frame)
    finally:
        schema_model.SMALL_FRAME_ROWS = saved


def test_the_training_frame_covers_every_column_type():
    assert {c.name: c.type for c in SCHEMA.features} == EXPECTED


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(predict_frames())
def test_small_path_equals_general_path(frame):
    fast = SCHEMA.prepare(frame)
    pd.testing.assert_frame_equal(fast, general(frame), check_exact=True)
    values = SCHEMA.prepare_values(frame)
    assert list(values) == [c.name for c in SCHEMA.features]
    for name, column in values.items():
        expected = fast[name].to_numpy()
        assert column.dtype == expected.dtype
        assert np.array_equal(pd.isna(column), pd.isna(expected))
        assert (column[~pd.isna(column)] == expected[~pd.isna(expected)]).all()


@pytest.mark.parametrize("rows", [slice(0, 1), slice(3, 4), slice(0, 40)])
def test_training_rows_prepare_alike_both_ways(rows):
    frame = training_frame().iloc[rows]
    pd.testing.assert_frame_equal(SCHEMA.prepare(frame), general(frame), check_exact=True)


def test_one_row_of_each_kind_reads_as_expected():
    row = pd.DataFrame({"num": ["3.5"], "count": [2], "inf": [np.inf], "money": ["¥1,234"], "wide": ["３．５"],
                        "flag": ["はい"], "hai": ["いいえ"], "yes": [1], "colour": ["purple"], "code": [7],
                        "when": ["2024-01-02"], "ja_day": ["２０２４年１月２日"], "iso_day": [None],
                        "note": [float("nan")]})
    out = SCHEMA.prepare(row).iloc[0]
    assert out["num"] == 3.5 and out["count"] == 2.0 and np.isnan(out["inf"])
    assert out["money"] == 1234.0 and out["wide"] == 3.5
    assert (out["flag"], out["hai"], out["yes"]) == (1.0, 0.0, 1.0)
    assert out["colour"] == "purple" and out["code"] == "7"
    assert out["ja_day"] == pd.Timestamp("2024-01-02") and pd.isna(out["iso_day"])
    assert isinstance(out["note"], float) and np.isnan(out["note"])
    pd.testing.assert_frame_equal(SCHEMA.prepare(row), general(row), check_exact=True)


def test_equal_cells_share_the_first_ones_reading_as_pandas_groups_them():
    """pd.factorize puts True and 1 in one group; both paths then read the first of them."""
    frame = training_frame().iloc[:3].assign(colour=np.array([True, 1, 1.0], dtype=object))
    fast = SCHEMA.prepare(frame)
    assert fast["colour"].tolist() == general(frame)["colour"].tolist() == ["True", "True", "True"]


def test_columns_are_found_by_name_whatever_their_order_and_extras():
    frame = training_frame().iloc[:2]
    shuffled = frame[list(reversed(frame.columns))].assign(extra=1)
    pd.testing.assert_frame_equal(SCHEMA.prepare(shuffled), SCHEMA.prepare(frame))


def test_missing_and_duplicated_columns_raise_the_same_errors_both_ways():
    frame = training_frame().iloc[:2]
    for bad in (frame.drop(columns=["colour"]), pd.concat([frame, frame[["colour"]]], axis=1)):
        with pytest.raises(SchemaError) as small:
            SCHEMA.prepare(bad)
        with pytest.raises(SchemaError) as large:
            general(bad)
        assert small.value.key == large.value.key


def test_rows_taken_from_one_frame_reuse_its_column_check():
    frame = training_frame()
    first, second = frame.iloc[[0]], frame.iloc[[5]]
    SCHEMA.prepare(first)
    assert SCHEMA._positions(second, None) is SCHEMA._positions(first, None)
    renamed = second.rename(columns={"colour": "color"})
    with pytest.raises(SchemaError):
        SCHEMA.prepare(renamed)


def test_columns_read_from_blocks_are_pandas_own_column_arrays():
    """The one-pass block reading must give, column for column, the arrays pandas itself
    iterates over: consolidated numbers, extension arrays, repeated and reordered columns."""
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", None, "z"], "c": [1.5, np.nan, 2.5],
                          "d": pd.array([1, None, 3], dtype="Int64"), "e": pd.Categorical(["u", "v", "u"]),
                          "f": pd.to_datetime(["2020-01-01", None, "2021-01-01"]),
                          "g": pd.to_datetime(["2020-01-01"] * 3).tz_localize("Asia/Tokyo"),
                          "h": [True, False, True], "i": pd.array(["p", "q", None], dtype="str")})
    shapes = [frame, frame.iloc[[1]], frame[["c", "a", "c", "i"]], frame.copy()._consolidate(), frame.T.T]
    for shaped in shapes:
        got = column_arrays(shaped)
        want = list(shaped._iter_column_arrays())
        assert len(got) == len(want) == shaped.shape[1]
        for ours, theirs in zip(got, want):
            assert type(ours) is type(theirs) and ours.dtype == theirs.dtype
            pd.testing.assert_series_equal(pd.Series(ours), pd.Series(theirs))
