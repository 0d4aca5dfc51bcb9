"""The data profile behind the report's "data" section: sound, JSON-able, bounded summaries."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from manabu.data.schema import infer_schema
from manabu.data.profile import profile_data


def profile(frame: pd.DataFrame, task: str, **kwargs) -> dict:
    return profile_data(frame, infer_schema(frame, "y"), task, **kwargs)


def column(p: dict, name: str) -> dict:
    return next(c for c in p["columns"] if c["name"] == name)


def kinds(p: dict) -> list[str]:
    return [w["kind"] for w in p["warnings"]]


def warning(p: dict, kind: str) -> dict:
    return next(w for w in p["warnings"] if w["kind"] == kind)


def base(n: int = 200, seed: int = 0, **cols) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"y": rng.normal(size=n), "x": rng.normal(size=n), **cols})


# ------------------------------------------------------------------------------- distributions

def test_histogram_counts_the_finite_values_and_inf_apart():
    x = np.random.default_rng(1).normal(size=200)
    x[:10], x[10:12], x[12] = np.nan, np.inf, -np.inf
    p = profile(base(x=x), "regression")
    d = column(p, "x")["distribution"]
    assert d["kind"] == "histogram"
    assert sum(d["counts"]) == d["n"] == int(np.isfinite(x).sum()) == 187
    assert len(d["edges"]) == len(d["counts"]) + 1 == 31
    assert d["n_inf"] == 3 and column(p, "x")["n_missing"] == 10
    assert d["min"] == pytest.approx(np.nanmin(x[np.isfinite(x)]))
    assert d["edges"][0] <= d["min"] <= d["max"] <= d["edges"][-1]


def test_levels_and_other_add_up_to_the_present_values():
    rng = np.random.default_rng(2)
    city = rng.choice([f"市{i}" for i in range(30)], 200).astype(object)
    city[:25] = None
    p = profile(base(city=city), "regression", max_levels=5)
    d = column(p, "city")["distribution"]
    assert d["kind"] == "levels" and len(d["values"]) == len(d["counts"]) == 5
    assert sum(d["counts"]) + d["other"] == d["n"] == 175
    assert d["counts"] == sorted(d["counts"], reverse=True)
    assert column(p, "city")["n_missing"] == 25


def test_text_lengths_and_short_examples():
    words = ["これは長い説明文です。" * 10 + str(i) for i in range(200)]
    p = profile(base(note=words), "regression")
    col = column(p, "note")
    assert col["type"] == "text"
    d = col["distribution"]
    assert d["kind"] == "text_length" and sum(d["counts"]) == 200
    assert 1 <= len(d["examples"]) <= 3
    assert all(len(e) <= 80 and e.endswith("…") for e in d["examples"])


def test_datetime_histogram_has_iso_edges_and_skips_nat():
    days = pd.Series(pd.date_range("2024-01-01", periods=200, freq="D"))
    days[[3, 7]] = pd.NaT
    d = column(profile(base(day=days), "regression"), "day")["distribution"]
    assert d["kind"] == "histogram" and sum(d["counts"]) == d["n"] == 198
    assert d["edges"][0].startswith("2024-01-01") and isinstance(d["edges"][-1], str)
    assert pd.Timestamp(d["median"]) > pd.Timestamp(d["min"])


# ------------------------------------------------------------------------------------- target

def test_regression_target_gets_a_histogram_and_its_missing_values_counted():
    f = base()
    f.loc[:4, "y"] = np.nan
    t = profile(f, "regression")["target"]
    assert t["name"] == "y" and t["n_missing"] == 5
    assert t["distribution"]["kind"] == "histogram" and sum(t["distribution"]["counts"]) == 195


def test_a_target_of_one_value_gets_one_bin():
    f = base()
    f["y"] = 5.0
    d = profile(f, "regression")["target"]["distribution"]
    assert d["counts"] == [200] and len(d["edges"]) == 2 and d["edges"][0] < 5.0 < d["edges"][1]


def test_imbalance_warned_for_95_5_not_for_50_50():
    imbalanced = base(y=["no"] * 190 + ["yes"] * 10)
    p = profile(imbalanced, "binary")
    assert p["target"]["distribution"]["values"] == ["no", "yes"]
    assert p["target"]["imbalance_ratio"] == pytest.approx(19.0)
    assert warning(p, "imbalance")["params"] == {"minority": "yes", "share": 0.05, "ratio": 19.0}
    balanced = profile(base(y=["no", "yes"] * 100), "binary")
    assert "imbalance" not in kinds(balanced) and balanced["target"]["imbalance_ratio"] == 1.0


def test_classification_target_missing_values_are_counted_not_levels():
    y = np.array(["a", "b", "c", None] * 50, dtype=object)
    t = profile(base(y=y), "multiclass")["target"]
    assert t["n_missing"] == 50
    assert t["distribution"]["n"] == 150 and None not in t["distribution"]["values"]


# -------------------------------------------------------------------------- roles and warnings

def test_id_and_constant_columns_are_reported_as_dropped():
    p = profile(base(code=[f"C-{i:05d}" for i in range(200)], one=7), "regression")
    code, one = column(p, "code"), column(p, "one")
    assert code["type"] == "id" and not code["used"] and code["dropped_reason"] == "id"
    assert one["type"] == "constant" and not one["used"] and one["dropped_reason"] == "constant"
    assert column(p, "x")["used"] and column(p, "x")["dropped_reason"] is None
    assert {"kind": "dropped_id", "params": {"column": "code"}} in p["warnings"]
    assert {"kind": "dropped_constant", "params": {"column": "one"}} in p["warnings"]


def test_a_copy_of_the_target_is_flagged_as_leakage():
    f = base()
    f["copy"] = f["y"] * 2
    p = profile(f, "regression")
    assert column(p, "copy")["leakage"] and column(p, "copy")["used"]
    assert {"kind": "leakage", "params": {"column": "copy"}} in p["warnings"]
    assert not column(p, "x")["leakage"]


def test_few_rows_and_high_missing_warnings():
    rng = np.random.default_rng(3)
    sparse = np.where(np.arange(30) < 20, np.nan, rng.normal(size=30))
    p = profile(base(n=30, a=rng.normal(size=30), b=rng.normal(size=30), sparse=sparse), "regression")
    assert warning(p, "few_rows")["params"] == {"n_rows": 30, "n_columns": 4}
    assert warning(p, "high_missing")["params"] == {"column": "sparse", "fraction": 0.6667}
    assert "few_rows" not in kinds(profile(base(n=200), "regression"))


# ---------------------------------------------------------------------------------- bounds

def test_rows_are_sampled_above_max_rows():
    p = profile(base(n=500), "regression", max_rows=100)
    assert p["n_rows"] == 500 and p["sampled_rows"] == 100
    assert warning(p, "sampled")["params"] == {"n_rows": 500, "sampled_rows": 100}
    assert sum(column(p, "x")["distribution"]["counts"]) == 100
    assert sum(p["target"]["distribution"]["counts"]) == 500  # the target: all rows
    again = profile(base(n=500), "regression", max_rows=100)
    assert again == p  # seeded
    full = profile(base(n=500), "regression")
    assert full["sampled_rows"] is None and "sampled" not in kinds(full)


def test_max_columns_keeps_the_columns_most_correlated_with_the_target():
    rng = np.random.default_rng(4)
    f = pd.DataFrame({f"c{i:02d}": rng.normal(size=300) for i in range(30)})
    f["y"] = f["c17"] + 0.5 * f["c03"] + 0.1 * rng.normal(size=300)
    f["const"] = 1
    p = profile(f, "regression", max_columns=4)
    names = [c["name"] for c in p["columns"]]
    assert len(names) == 4 and p["columns_shown"] == 4 and p["columns_total"] == p["n_columns"] == 31
    assert {"c17", "c03"} <= set(names) and "const" not in names
    assert names == sorted(names)  # schema order
    assert warning(p, "columns_limited")["params"] == {"shown": 4, "total": 31}
    assert "columns_limited" not in kinds(profile(f, "regression"))


def test_correlation_is_symmetric_with_ones_on_the_diagonal():
    rng = np.random.default_rng(5)
    f = base(z=rng.normal(size=200), flag=rng.choice([True, False], 200), word=rng.choice(["a", "b"], 200))
    f["near"] = f["y"] + 0.1 * rng.normal(size=200)
    c = profile(f, "regression")["correlation"]
    assert c["columns"][0] == "y" and c["columns"][1] == "near"  # the target, then by |r|
    assert set(c["columns"]) == {"y", "x", "z", "flag", "near"}  # numbers and booleans only
    m = np.array(c["matrix"], dtype=float)
    assert m.shape == (5, 5) and np.array_equal(m, m.T)
    assert np.all(np.diag(m) == 1.0) and np.all(np.abs(m) <= 1.0)
    assert m[0, 1] > 0.9


def test_binary_target_is_coded_0_1_and_one_column_gives_no_matrix():
    rng = np.random.default_rng(6)
    x = rng.normal(size=200)
    c = profile(pd.DataFrame({"x": x, "y": np.where(x > 0, "pos", "neg")}), "binary")["correlation"]
    assert c["columns"] == ["y", "x"] and c["positive_class"] == "pos" and c["matrix"][0][1] > 0.8
    lone = pd.DataFrame({"x": x, "y": rng.choice(["a", "b", "c"], 200)})
    assert profile(lone, "multiclass")["correlation"] is None


# --------------------------------------------------------------------------------- nasty data

def test_nasty_frame_gives_strict_json_and_leaves_the_frame_alone():
    rng = np.random.default_rng(7)
    n = 120
    f = pd.DataFrame({
        "目的変数": rng.normal(size=n),
        "気温": np.r_[np.inf, -np.inf, np.nan, 1e308, -1e308, rng.normal(size=n - 5)],
        "都市": rng.choice(["東京", "大阪", "名古屋"], n),
        "空": np.nan,
        "混在": pd.Series([1, "a", 2.5, None, ["l"]] * (n // 5), dtype=object),
        "日付": pd.Series(pd.date_range("2024-01-01", periods=n, tz="Asia/Tokyo")).where(lambda s: s.dt.day != 3),
        "件数": pd.array([1, None, 3] * (n // 3), dtype="Int64"),
    })
    before = f.copy()
    p = profile_data(f, infer_schema(f, "目的変数"), "regression")
    text = json.dumps(p, allow_nan=False, ensure_ascii=False)
    pd.testing.assert_frame_equal(f, before)
    assert "東京" in text and [c["name"] for c in p["columns"]][:2] == ["気温", "都市"]
    assert column(p, "空")["missing_fraction"] == 1.0 and column(p, "空")["distribution"]["n"] == 0
    assert column(p, "気温")["distribution"]["n_inf"] == 2
    assert sum(column(p, "日付")["distribution"]["counts"]) == column(p, "日付")["distribution"]["n"] == n - 4
    assert {"kind": "high_missing", "params": {"column": "空", "fraction": 1.0}} in p["warnings"]


def test_unknown_task_is_refused():
    with pytest.raises(ValueError):
        profile(base(), "ranking")
