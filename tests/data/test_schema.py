"""Schema inference: column types and roles, notices, prepare() at fit and predict time."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import pandas as hpd

from manabu.data.schema import ColumnType, Role, Schema, infer_schema
from manabu.base.errors import ManabuError, SchemaError

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "tabular"
T = ColumnType


def types(schema: Schema) -> dict[str, ColumnType]:
    return {c.name: c.type for c in schema.columns}


def keys(schema: Schema) -> list[str]:
    return [n.key for n in schema.notices]


def frame(n: int = 60, **cols) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"y": rng.normal(size=n), "x": rng.normal(size=n), **cols})


# ------------------------------------------------------------------------------------- types

def test_japanese_and_slashed_dates_are_datetimes():
    days = [f"2024年{m}月{d}日" for m, d in zip([1, 2, 12] * 20, [2, 9, 31] * 20)]
    slashed = [f"2024/{m:02d}/{d:02d}" for m, d in zip([1, 2, 12] * 20, [2, 9, 31] * 20)]
    s = infer_schema(frame(ja=days, slash=slashed), "y")
    assert types(s)["ja"] is T.DATETIME and s.column("ja").datetime_format == "%Y年%m月%d日"
    assert types(s)["slash"] is T.DATETIME and s.column("slash").datetime_format == "%Y/%m/%d"
    out = s.prepare(frame(ja=days, slash=slashed))
    assert out["ja"].dtype == "datetime64[ns]"
    assert out["ja"].iloc[0] == pd.Timestamp("2024-01-02")
    assert (out["ja"] == out["slash"]).all()


def test_iso_with_timezone_becomes_utc_naive_and_8_digit_strings_are_dates():
    iso = ["2024-01-02T09:00:00+09:00", "2024-03-04T12:30:00+00:00"] * 30
    compact = ["20240102", "20231231"] * 30
    s = infer_schema(frame(iso=iso, compact=compact, as_int=[20240102, 20231231] * 30), "y")
    assert types(s)["iso"] is T.DATETIME
    assert types(s)["compact"] is T.DATETIME and s.column("compact").datetime_format == "%Y%m%d"
    assert types(s)["as_int"] is T.NUMERIC  # integer columns are never dates
    out = s.prepare(frame(iso=iso, compact=compact, as_int=[20240102, 20231231] * 30))
    assert out["iso"].iloc[0] == pd.Timestamp("2024-01-02 00:00:00")
    assert out["compact"].iloc[1] == pd.Timestamp("2023-12-31")


def test_numbers_written_as_text_full_width_and_commas():
    values = ["３．５", "１，２３４", "7", "¥2,000", "▲50"] * 12
    s = infer_schema(frame(v=values), "y")
    assert types(s)["v"] is T.NUMERIC
    assert "schema.text_numbers" in keys(s)
    assert s.prepare(frame(v=values))["v"].iloc[:5].tolist() == [3.5, 1234.0, 7.0, 2000.0, -50.0]


def test_mostly_numbers_with_a_few_bad_values_is_numeric_with_a_notice():
    values = [str(i) for i in range(99)] + ["n.a."]
    s = infer_schema(frame(100, v=values), "y")
    assert types(s)["v"] is T.NUMERIC
    assert "schema.unparsed_numbers" in keys(s)
    assert np.isnan(s.prepare(frame(100, v=values))["v"].iloc[-1])


def test_booleans_japanese_and_case_insensitive():
    df = frame(ja=["はい", "いいえ"] * 30, en=["Yes", "no", "YES", None] * 15, ari=["あり", "なし"] * 30,
               bits=["0", "1"] * 30, real=[True, False] * 30)
    s = infer_schema(df, "y")
    for name in ("ja", "en", "ari", "bits", "real"):
        assert types(s)[name] is T.BOOLEAN, name
    assert s.column("ja").true_values == ["はい"]
    out = s.prepare(df)
    assert out["ja"].iloc[:2].tolist() == [1.0, 0.0]
    assert out["en"].iloc[:3].tolist() == [1.0, 0.0, 1.0] and np.isnan(out["en"].iloc[3])
    assert out["real"].dtype == "float64"


def test_two_ordinary_words_are_categorical_not_boolean():
    s = infer_schema(frame(sex=["male", "female"] * 30), "y")
    assert types(s)["sex"] is T.CATEGORICAL
    assert s.column("sex").categories == ["female", "male"]


def test_ids_are_dropped_with_a_notice():
    rng = np.random.default_rng(1)
    df = frame(n=100, row=np.arange(100), shuffled=rng.permutation(100) + 1,
               customer_id=rng.choice(10**6, 100, replace=False),
               uuid=[f"{i:08x}-4b2c-9d1e-{i * 7:012x}" for i in range(100)],
               code=[f"C-{i:05d}" for i in rng.permutation(100)])
    s = infer_schema(df, "y")
    for name in ("row", "shuffled", "customer_id", "uuid", "code"):
        assert types(s)[name] is T.ID, name
        assert s.column(name).role is Role.DROPPED
    assert keys(s).count("schema.id_dropped") == 5
    assert types(s)["x"] is T.NUMERIC  # distinct floats are not IDs


def test_id_name_hints_support_but_do_not_decide():
    rng = np.random.default_rng(8)
    scattered = rng.choice(10**6, 100, replace=False)
    df = frame(n=100, **{"顧客ＩＤ": scattered, "会員番号": scattered + 1, "PassengerId": scattered + 2,
                         "paid": scattered + 3, "amount": scattered + 4})
    s = infer_schema(df, "y")
    assert [c.name for c in s.columns if c.type is T.ID] == ["顧客ＩＤ", "会員番号", "PassengerId"]


def test_unsupervised_schema_has_no_target():
    s = infer_schema(frame(c=["a", "b"] * 30), None)
    assert s.target is None and s.target_column is None and len(s.features) == 3


def test_distinct_ints_in_a_small_frame_are_not_ids():
    s = infer_schema(frame(n=15, row=np.arange(15)), "y")
    assert types(s)["row"] is T.NUMERIC and s.column("row").role is Role.FEATURE


def test_sequential_years_are_not_ids():
    s = infer_schema(frame(n=40, year=np.arange(1980, 2020)), "y")
    assert types(s)["year"] is T.NUMERIC


def test_constant_and_empty_columns_are_dropped():
    s = infer_schema(frame(one=["a"] * 60, nothing=[None] * 60, zeros=np.zeros(60)), "y")
    assert {types(s)[c] for c in ("one", "nothing", "zeros")} == {T.CONSTANT}
    assert all(s.column(c).role is Role.DROPPED for c in ("one", "nothing", "zeros"))
    assert keys(s).count("schema.constant_dropped") == 2 and "schema.all_missing_dropped" in keys(s)


def test_text_categorical_and_high_cardinality():
    rng = np.random.default_rng(2)
    n = 400
    review = [f"the item number {i} arrived quickly and works well" for i in range(n)]
    ja = [f"商品{i}はとても良かったです。また購入したいと思います。" for i in range(n)]
    df = frame(n, review=review, ja=ja, colour=rng.choice(["red", "green", "blue"], n),
               town=[f"town{i}" for i in rng.integers(0, 300, n)])
    s = infer_schema(df, "y")
    assert types(s)["review"] is T.TEXT and types(s)["ja"] is T.TEXT
    assert types(s)["colour"] is T.CATEGORICAL
    assert types(s)["town"] is T.HIGH_CARDINALITY and s.column("town").categories is None


def test_low_cardinality_ints_stay_numeric_but_zero_padded_codes_are_categories():
    df = frame(rooms=[1, 2, 3] * 20, pref=["01", "13", "27"] * 20)
    s = infer_schema(df, "y")
    assert types(s)["rooms"] is T.NUMERIC
    assert types(s)["pref"] is T.CATEGORICAL


def test_mixed_types_become_text_categories_with_a_notice():
    df = frame(m=pd.Series([1, "a", 2.5, "b"] * 15, dtype=object))
    s = infer_schema(df, "y")
    assert types(s)["m"] is T.CATEGORICAL and "schema.mixed_types" in keys(s)
    out = s.prepare(df)["m"]
    assert out.dtype == object and out.iloc[:4].tolist() == ["1", "a", "2.5", "b"]


def test_inf_values_are_counted_and_prepared_as_missing():
    x = np.r_[np.inf, -np.inf, np.arange(58.0)]
    s = infer_schema(frame(v=x), "y")
    assert s.column("v").n_inf == 2
    notice = next(n for n in s.notices if n.key == "schema.inf_values")
    assert notice.params == {"name": "v", "n": 2}
    assert s.prepare(frame(v=x))["v"].isna().sum() == 2


# ----------------------------------------------------------------------------------- leakage

def test_leakage_is_flagged_but_kept():
    df = frame()
    df["almost_y"] = df["y"] * 3 + np.random.default_rng(3).normal(scale=1e-3, size=60)
    s = infer_schema(df, "y")
    assert s.column("almost_y").leakage and s.column("almost_y").role is Role.FEATURE
    assert not s.column("x").leakage
    assert [n.params["name"] for n in s.notices if n.key == "schema.leakage"] == ["almost_y"]


def test_class_relabelling_is_leakage():
    rng = np.random.default_rng(4)
    label = rng.choice(["cat", "dog", "fox"], 300)
    df = pd.DataFrame({"label": label, "code": pd.Series(label).map({"cat": 1, "dog": 2, "fox": 3}),
                       "noise": rng.choice(["a", "b", "c"], 300), "x": rng.normal(size=300)})
    s = infer_schema(df, "label")
    assert s.column("code").leakage and not s.column("noise").leakage and not s.column("x").leakage


# ------------------------------------------------------------------------------------ errors

def test_missing_target_suggests_close_names():
    df = pd.DataFrame({"Price": [1.0, 2.0], "rooms": [1, 2]})
    with pytest.raises(SchemaError) as e:
        infer_schema(df, "price")
    assert e.value.key == "schema.target_missing"
    assert '"Price"' in e.value.params["guess"]
    assert '"Price"' in e.value.render("en") and "「price」" in e.value.render("ja")


def test_missing_target_lists_columns_truncated():
    df = pd.DataFrame({f"c{i}": [1, 2] for i in range(50)})
    with pytest.raises(SchemaError) as e:
        infer_schema(df, "zzz")
    assert e.value.params["n_columns"] == 50 and e.value.params["columns"].endswith("…")
    assert e.value.params["guess"] == "-"


def test_missing_group_and_time_columns():
    df = frame()
    with pytest.raises(SchemaError, match="Group|group") as e:
        infer_schema(df, "y", group="grp")
    assert e.value.key == "schema.group_missing"
    with pytest.raises(SchemaError) as e:
        infer_schema(df, "y", time="when")
    assert e.value.key == "schema.time_missing"


def test_group_and_time_roles():
    dates = pd.date_range("2024-01-01", periods=60, freq="D").strftime("%Y/%m/%d").tolist()
    df = frame(g=["a", "b", "c"] * 20, t=dates)
    s = infer_schema(df, "y", group="g", time="t")
    assert s.group == "g" and s.time == "t" and s.column("t").type is T.DATETIME
    assert [c.name for c in s.features] == ["x"]
    assert list(s.prepare(df).columns) == ["x"]


def test_time_column_must_hold_dates():
    with pytest.raises(SchemaError) as e:
        infer_schema(frame(t=["a", "b"] * 30), "y", time="t")
    assert e.value.key == "schema.time_not_datetime"


def test_same_column_in_two_roles():
    with pytest.raises(SchemaError) as e:
        infer_schema(frame(), "y", group="y")
    assert e.value.key == "schema.role_conflict"


def test_duplicate_columns_and_empty_frames():
    dup = pd.DataFrame([[1, 2, 3]] * 3, columns=["a", "b", "a"])
    with pytest.raises(SchemaError) as e:
        infer_schema(dup, "b")
    assert e.value.key == "schema.duplicate_columns" and '"a"' in e.value.params["names"]
    with pytest.raises(SchemaError) as e:
        infer_schema(pd.DataFrame({"a": [], "y": []}), "y")
    assert e.value.key == "schema.empty"


def test_no_usable_features_says_why():
    df = pd.DataFrame({"y": np.arange(30.0), "k": ["same"] * 30, "row": np.arange(30)})
    with pytest.raises(SchemaError) as e:
        infer_schema(df, "y")
    assert e.value.key == "schema.no_features"
    assert "k (constant)" in e.value.params["dropped"] and "row (id)" in e.value.params["dropped"]


def test_non_text_column_names_become_text():
    df = pd.DataFrame({0: np.arange(10.0), 1: ["a", "b"] * 5, 2: np.random.default_rng(0).normal(size=10)})
    s = infer_schema(df, "2")
    assert [c.name for c in s.features] == ["0", "1"]
    assert list(s.prepare(df).columns) == ["0", "1"]


# ----------------------------------------------------------------------------------- prepare

def mixed_frame(n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    df = pd.DataFrame({
        "ja_date": [f"2024年{m}月{d}日" for m, d in zip(rng.integers(1, 13, n), rng.integers(1, 28, n))],
        "day": pd.date_range("2024-01-01", periods=n, freq="D"),
        "stamp": pd.date_range("2024-01-01", periods=n, freq="h", tz="Asia/Tokyo"),
        "pref": rng.choice(["01", "02", "13"], n),
        "amount": ["３．５", "１，２３４", "7", None] * (n // 4),
        "yn": ["Yes", "No"] * (n // 2),
        "flag": pd.Series([True, False, None, True] * (n // 4), dtype=object),
        "count": pd.array(rng.integers(0, 5, n), dtype="Int64"),
        "mixed": pd.Series([1, "a", 2.5, "b"] * (n // 4), dtype=object),
        "colour": rng.choice(["赤", "青", "緑"], n),
        "y": rng.integers(0, 2, n),
    })
    df.loc[3, "count"] = pd.NA
    df.loc[5, "colour"] = np.nan
    return df


def test_prepare_types_for_the_pipelines():
    df = mixed_frame()
    s = infer_schema(df, "y")
    out = s.prepare(df)
    assert list(out.columns) == [c.name for c in s.features] and "y" not in out
    for c in s.features:
        if c.type in (T.NUMERIC, T.BOOLEAN):
            assert out[c.name].dtype == "float64", c.name
        elif c.type is T.DATETIME:
            assert out[c.name].dtype == "datetime64[ns]", c.name
        else:
            assert out[c.name].dtype == object, c.name
            assert {type(v) for v in out[c.name]} <= {str, float}
    assert isinstance(out["colour"].iloc[5], float) and np.isnan(out["colour"].iloc[5])


def test_prepare_after_a_csv_round_trip_is_identical(tmp_path):
    df = mixed_frame()
    s = infer_schema(df, "y")
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    reread = pd.read_csv(path).drop(columns="y")
    assert reread["pref"].dtype != df["pref"].dtype  # the reader did change dtypes
    pd.testing.assert_frame_equal(s.prepare(df), s.prepare(reread))


def test_prepare_does_not_modify_its_input_and_ignores_extra_columns():
    df = mixed_frame()
    before = df.copy()
    s = infer_schema(df, "y")
    s.prepare(df.assign(extra=1))
    pd.testing.assert_frame_equal(df, before)


def test_unseen_categories_pass_through_as_text():
    df = frame(colour=["red", "green"] * 30)
    s = infer_schema(df, "y")
    new = pd.DataFrame({"x": [0.0, 1.0], "colour": ["purple", 7]})
    assert s.prepare(new)["colour"].tolist() == ["purple", "7"]


def test_missing_columns_are_all_listed():
    df = frame(a=["p", "q"] * 30, b=np.arange(60.0) % 7)
    s = infer_schema(df, "y")
    with pytest.raises(SchemaError) as e:
        s.prepare(pd.DataFrame({"a": ["p"]}), where="new.csv")
    assert e.value.key == "schema.missing_columns"
    assert e.value.params["names"] == '"x", "b"' and e.value.params["n"] == 2
    assert "new.csv" in e.value.render("en") and "new.csv" in e.value.render("ja")


def test_json_round_trip_prepares_the_same_frame():
    df = mixed_frame()
    s = infer_schema(df, "y")
    again = Schema.from_dict(json.loads(json.dumps(s.to_dict())))
    assert again.to_dict() == s.to_dict()
    assert [n.key for n in again.notices] == keys(s)
    pd.testing.assert_frame_equal(again.prepare(df), s.prepare(df))
    assert again.target_column is not None and again.target_column.name == "y"


def test_of_type_lists_feature_names_in_data_order():
    s = infer_schema(mixed_frame(), "y")
    assert s.of_type(T.DATETIME) == ["ja_date", "day", "stamp"]
    assert s.of_type(T.CATEGORICAL) == ["pref", "mixed", "colour"]


# ------------------------------------------------------------------------------- performance

def test_ten_thousand_columns_in_seconds():
    rng = np.random.default_rng(6)
    df = pd.DataFrame(rng.normal(size=(1000, 10_000)), columns=[f"g{i}" for i in range(10_000)])
    df["y"] = rng.integers(0, 3, 1000)
    start = time.perf_counter()
    s = infer_schema(df, "y")
    out = s.prepare(df)
    assert time.perf_counter() - start < 10
    assert len(s.features) == 10_000 and out.shape == (1000, 10_000)


def test_hundred_thousand_distinct_categories_are_high_cardinality_and_fast():
    rng = np.random.default_rng(7)
    n = 200_000
    df = pd.DataFrame({"shop": [f"shop{i}" for i in rng.integers(0, 100_000, n)],
                       "x": rng.normal(size=n), "y": rng.normal(size=n)})
    start = time.perf_counter()
    s = infer_schema(df, "y")
    assert time.perf_counter() - start < 5
    assert s.column("shop").type is T.HIGH_CARDINALITY and s.column("shop").n_unique > 80_000


# ------------------------------------------------------------------------------ public data

def load(name: str) -> pd.DataFrame:
    path = DATA / name / "train.parquet"
    if not path.exists():
        pytest.skip(f"public data set {name} is not in {DATA}")
    return pd.read_parquet(path)


def test_titanic():
    s = infer_schema(load("titanic"), "Survived")
    t = types(s)
    assert t["Name"] in (T.TEXT, T.HIGH_CARDINALITY)
    assert t["Sex"] is T.CATEGORICAL and t["Embarked"] is T.CATEGORICAL
    assert t["Ticket"] is T.HIGH_CARDINALITY and t["Age"] is T.NUMERIC
    assert s.column("Survived").role is Role.TARGET and not any(c.leakage for c in s.columns)


def test_adult():
    df = load("adult")
    s = infer_schema(df, "class")
    t = types(s)
    assert t["age"] is T.NUMERIC and t["education-num"] is T.NUMERIC
    assert t["native-country"] is T.CATEGORICAL and t["workclass"] is T.CATEGORICAL
    assert len(s.features) == df.shape[1] - 1


def test_house_prices():
    s = infer_schema(load("house_prices"), "SalePrice")
    t = types(s)
    assert t["Neighborhood"] is T.CATEGORICAL and t["CentralAir"] is T.BOOLEAN
    assert t["LotArea"] is T.NUMERIC and t["YearBuilt"] is T.NUMERIC
    assert not any(c.leakage for c in s.columns)


def test_telco_and_bike_sharing():
    s = infer_schema(load("telco_customer_churn"), "Churn")
    assert types(s)["Partner"] is T.BOOLEAN and types(s)["PaymentMethod"] is T.CATEGORICAL
    s = infer_schema(load("bike_sharing_hourly"), "cnt")
    assert types(s)["dteday"] is T.DATETIME


def test_japanese_sentences_are_text_and_a_label_summary_is_leakage():
    path = DATA.parent / "text_ja" / "jrte_sentiment.parquet"
    if not path.exists():
        pytest.skip(f"public data set jrte_sentiment is not in {path.parent}")
    s = infer_schema(pd.read_parquet(path), "label")
    assert types(s)["text"] is T.TEXT and types(s)["id"] is T.ID
    assert [c.name for c in s.columns if c.leakage] == ["judges"]  # the annotators' votes


# ------------------------------------------------------------------------------------ property

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hpd.data_frames([
    hpd.column("y", elements=st.floats(allow_nan=True, allow_infinity=True)),
    hpd.column("a", elements=st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=4)), dtype=object),
    hpd.column("b", elements=st.sampled_from(["はい", "いいえ", "2024年1月2日", "１，２３４", ""])),
    hpd.column("c", dtype=float),
]))
def test_any_frame_gives_a_schema_or_a_manabu_error(df):
    try:
        s = infer_schema(df, "y")
    except ManabuError:
        return
    out = s.prepare(df)
    assert list(out.columns) == [c.name for c in s.features]
    json.dumps(s.to_dict())
