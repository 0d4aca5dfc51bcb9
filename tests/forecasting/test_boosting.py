"""The LightGBM family: beats seasonal naive on trending weekly series of different scales, stores
and restores without a pickle to the same forecasts, uses known covariates (and asks for their
future), and respects a deadline."""
from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from manabu.forecasting.families.base import OutOfTime, catalogue
from manabu.forecasting.families.boosting import BoostingFamily, design_for
from manabu.forecasting.panel import Panel

H = 14
START = pd.Timestamp("2021-03-01")


def weekly_panel(n: int = 6, length: int = 280, seed: int = 0, **extra) -> Panel:
    """Trend + weekly shape + noise, levels from 1 to 1000, trends up and down."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    ys = []
    for _ in range(n):
        level = 10 ** rng.uniform(0, 3)
        shape = rng.normal(size=7)
        shape -= shape.mean()
        ys.append(level * (1 + rng.uniform(-0.4, 1.2) * t / length + 0.15 * shape[t % 7]
                           + 0.03 * rng.normal(size=length)))
    return Panel(ids=[f"s{i}" for i in range(n)], start=[START] * n, y=ys, freq="D", **extra)


def scaled_mae(forecasts, truth, history) -> float:
    """MAE per series over its mean absolute step, averaged: series of every scale count alike."""
    return float(np.mean([np.mean(np.abs(f - y)) / np.mean(np.abs(np.diff(h)))
                          for f, y, h in zip(forecasts, truth, history)]))


def fitted(panel: Panel, seed: int = 0) -> BoostingFamily:
    return BoostingFamily(seed=seed).fit(panel, H)


def test_beats_seasonal_naive_on_trending_weekly_series():
    panel = weekly_panel()
    history, (truth, _) = panel.head(H), panel.tail(H, H)
    forecasts = fitted(history).forecast(history, H)
    naive = [np.tile(v[-7:], 2) for v in history.y]
    assert all(f.shape == (H,) and np.isfinite(f).all() for f in forecasts)
    assert scaled_mae(forecasts, truth, history.y) < 0.9 * scaled_mae(naive, truth, history.y)


def test_state_round_trip_gives_identical_forecasts(tmp_path):
    from safetensors.numpy import load_file, save_file

    panel = weekly_panel(n=3, length=150)
    family = fitted(panel)
    settings, arrays = family.state()
    save_file(arrays, str(tmp_path / "state.safetensors"))
    spec = catalogue()["lightgbm"]
    restored = spec.restore(json.loads(json.dumps(settings)), load_file(str(tmp_path / "state.safetensors")))
    for before, after in zip(family.forecast(panel, H), restored.forecast(panel, H)):
        assert np.array_equal(before, after)
    shorter = panel.head(30)  # a backtest's history: the same series, fewer points
    for before, after in zip(family.forecast(shorter, H), restored.forecast(shorter, H)):
        assert np.array_equal(before, after)


def test_a_new_history_longer_or_of_a_few_points_is_forecast():
    panel = weekly_panel(n=3, length=150)
    family = fitted(panel)
    few = replace(panel, y=[v[-6:] for v in panel.y], start=[panel.times(i)[-6] for i in range(3)])
    more = replace(panel, y=[np.concatenate([v, v[-7:]]) for v in panel.y])
    for history in (few, more):
        assert all(f.shape == (H,) and np.isfinite(f).all() for f in family.forecast(history, H))


def test_same_seed_same_forecasts():
    panel = weekly_panel(n=3, length=150)
    first, second = fitted(panel, seed=3).forecast(panel, H), fitted(panel, seed=3).forecast(panel, H)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))


def promotion_panel(with_covariate: bool) -> Panel:
    """Sales that jump on promotion days, which are planned (known in advance) and irregular."""
    rng = np.random.default_rng(1)
    n, length = 4, 240
    promos = [(rng.random(length) < 0.25).astype(float) for _ in range(n)]
    base = weekly_panel(n=n, length=length, seed=2)
    ys = [v + 3.0 * np.mean(np.abs(np.diff(v))) * p for v, p in zip(base.y, promos)]
    if not with_covariate:
        return Panel(base.ids, base.start, ys, "D")
    return Panel(base.ids, base.start, ys, "D", covariates={"promo": promos}, known=("promo",))


def test_known_covariate_makes_forecasts_better():
    with_promo, without = promotion_panel(True), promotion_panel(False)
    truth, future = with_promo.tail(H, H)
    history = with_promo.head(H)
    used = fitted(history).forecast(history, H, future)
    blind = fitted(without.head(H)).forecast(without.head(H), H)
    assert scaled_mae(used, truth, history.y) < 0.7 * scaled_mae(blind, truth, history.y)


def test_missing_future_of_a_known_covariate_is_named():
    panel = promotion_panel(True)
    family = fitted(panel)
    with pytest.raises(ValueError, match="promo"):
        family.forecast(panel, H)
    with pytest.raises(ValueError, match="promo"):
        family.forecast(panel, H, {"other": [np.zeros(H)] * panel.n_series})
    with pytest.raises(ValueError, match="promo"):  # fewer future values than the horizon
        family.forecast(panel, H, {"promo": [np.zeros(H - 1)] * panel.n_series})


def test_a_past_only_covariate_that_leads_the_target_is_used_without_its_future():
    rng = np.random.default_rng(0)
    leads = [rng.normal(size=160) for _ in range(2)]
    y = [50 + 10 * np.concatenate([np.zeros(H), c[:-H]]) + rng.normal(0, 0.3, 160) for c in leads]
    panel = Panel(["a", "b"], [pd.Timestamp("2024-01-01")] * 2, y, "D", covariates={"lead": leads})
    history = panel.head(H)
    truth = [v[-H:] for v in y]
    with_lead = BoostingFamily(design_for(history, H)).fit(history, H)
    assert with_lead.design.past == ["lead"] and min(with_lead.design.past_lags) == H
    without = BoostingFamily(design_for(history, H, use_past=False)).fit(history, H)
    error = lambda family: np.mean([np.abs(f - t).mean() for f, t in zip(family.forecast(history, H), truth)])
    assert error(with_lead) < 0.5 * error(without)


def test_deadline_already_passed_raises_or_returns_quickly():
    panel = weekly_panel()
    began = time.monotonic()
    try:
        BoostingFamily().fit(panel, H, deadline=began - 1.0)
    except OutOfTime:
        pass
    assert time.monotonic() - began < 2.0


def test_deadline_during_training_keeps_the_trees_so_far():
    panel = weekly_panel(n=60, length=400)
    began = time.monotonic()
    try:
        family = BoostingFamily().fit(panel, H, deadline=began + 1.0)
    except OutOfTime:
        return
    assert time.monotonic() - began < 6.0
    assert all(np.isfinite(f).all() for f in family.forecast(panel, H))


def test_other_number_of_series_is_refused():
    family = fitted(weekly_panel(n=3, length=100))
    with pytest.raises(ValueError, match="3 series"):
        family.forecast(weekly_panel(n=2, length=100), H)


def test_registered_as_a_boosting_family_with_covariates():
    spec = catalogue()["lightgbm"]
    assert spec.kind == "boosting" and spec.uses_covariates
    assert spec.usable(weekly_panel(n=1, length=100), H)
    assert not spec.usable(weekly_panel(n=1, length=10), H)
