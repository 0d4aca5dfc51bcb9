"""Drift against the training sketch: what stays, what moves, and the edge cases."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from manabu.data.schema import infer_schema
from manabu.evaluate.drift import _ks_statistic, _number_sketch, compare, level, psi, reference


def frame(n: int, seed: int, shift: float = 0.0, colours=("赤", "青", "緑")) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "x": rng.normal(shift, 1.0, n),
        "colour": rng.choice(colours, n),
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
        "note": rng.choice(["short", "a much longer sentence here"], n),
        "flag": rng.choice([True, False], n),
        "y": rng.choice(["a", "b"], n),
    })


@pytest.fixture(scope="module")
def trained():
    train = frame(5000, 0)
    schema = infer_schema(train, "y")
    proba = np.random.default_rng(1).dirichlet([2, 2], len(train))
    return schema, reference(schema.prepare(train), schema, proba, ["a", "b"])


def test_rows_like_the_training_rows_do_not_drift(trained):
    schema, sketch = trained
    new = frame(2000, 7)
    proba = np.random.default_rng(2).dirichlet([2, 2], len(new))
    result = compare(sketch, schema.prepare(new), schema, proba, ["a", "b"])
    assert result["drifted"] == [] and not result["prediction_drifted"]
    assert all(row["psi"] < 0.1 for row in result["columns"])
    assert {row["column"] for row in result["columns"]} == {c.name for c in schema.features}


def test_a_shifted_column_an_unseen_category_and_missing_values_are_found(trained):
    schema, sketch = trained
    new = frame(2000, 8, shift=1.0, colours=("赤", "紫"))
    new["flag"] = new["flag"].astype(object)
    new.loc[:999, "flag"] = None
    proba = np.tile([0.9, 0.1], (len(new), 1))  # the model now says "a" for everything
    result = compare(sketch, schema.prepare(new), schema, proba, ["a", "b"])
    rows = {row["column"]: row for row in result["columns"]}
    assert rows["x"]["drifted"] and rows["x"]["psi"] > 0.25 and rows["x"]["p_value"] < 1e-6
    assert rows["colour"]["unseen"] == pytest.approx((new["colour"] == "紫").mean())
    assert rows["flag"]["missing_now"] == pytest.approx(0.5) and rows["flag"]["missing_reference"] == 0.0
    assert result["prediction_drifted"] and result["predictions"]["shares_now"] == [1.0, 0.0]
    assert result["columns"][0]["psi"] == max(r["psi"] for r in result["columns"] if r["psi"] is not None)


def test_the_ks_statistic_from_the_sketch_is_close_to_the_exact_one():
    rng = np.random.default_rng(3)
    train = rng.gamma(2.0, 1.0, 20000)
    quantiles = np.asarray(_number_sketch(train)["quantiles"])
    for new in (rng.gamma(2.0, 1.0, 3000), rng.gamma(2.5, 1.0, 3000), rng.integers(0, 3, 3000).astype(float)):
        assert _ks_statistic(quantiles, new) == pytest.approx(stats.ks_2samp(train, new).statistic, abs=0.03)


def test_a_column_with_no_values_now_is_reported_not_crashed(trained):
    schema, sketch = trained
    new = frame(100, 9)
    new["x"] = np.nan
    result = compare(sketch, schema.prepare(new), schema, None, ["a", "b"])
    row = next(r for r in result["columns"] if r["column"] == "x")
    assert row["psi"] is None and row["missing_now"] == 1.0 and not row["drifted"]
    assert result["predictions"] is None


def test_psi_and_its_levels():
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert psi([0.5, 0.5], [0.9, 0.1]) > 0.25
    assert psi([0.5, 0.5, 0.0], [0.5, 0.4, 0.1]) < 1.0  # an empty training bin is not infinite
    assert [level(v) for v in (None, 0.05, 0.2, 0.3)] == ["stable", "stable", "moved", "changed"]
