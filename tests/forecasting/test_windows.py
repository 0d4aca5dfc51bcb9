"""The window networks (lstm, gru, mlp): they learn a seasonal trend better than the mean, come
back equal from JSON and safetensors, are deterministic, honour the deadline, and refuse a
horizon longer than the one they were fitted for."""
from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from manabu.forecasting.families.base import OutOfTime, catalogue  # noqa: E402
from manabu.forecasting.families.windows import KINDS, WindowFamily, last_window, usable  # noqa: E402
from manabu.forecasting.panel import Panel  # noqa: E402

H = 7


def sine_panel(points: int = 200) -> Panel:
    """Two daily series with a weekly season and a trend, at very different levels."""
    rng = np.random.default_rng(0)
    t = np.arange(points)
    a = 50 + 0.3 * t + 8 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.5, points)
    b = 5000 - 2.0 * t + 300 * np.sin(2 * np.pi * t / 7 + 1) + rng.normal(0, 10, points)
    return Panel(ids=["a", "b"], start=[pd.Timestamp("2020-01-01")] * 2, y=[a, b], freq="D")


PANEL = sine_panel()
HISTORY = PANEL.head(H)


def small(kind: str, seed: int = 0, **options) -> WindowFamily:
    options = {"max_epochs": 3, "hidden": 32, **options}
    return WindowFamily(kind, HISTORY.seasons, seed, **options)


@pytest.fixture(scope="module")
def fitted() -> dict[str, WindowFamily]:
    return {kind: small(kind).fit(HISTORY, H) for kind in KINDS}


def mae(forecasts: list[np.ndarray], truth: list[np.ndarray]) -> float:
    return float(np.mean([np.mean(np.abs(f - t)) for f, t in zip(forecasts, truth)]))


@pytest.mark.parametrize("kind", KINDS)
def test_the_network_beats_the_mean_of_the_history(fitted, kind):
    truth, _ = PANEL.tail(H, H)
    forecasts = fitted[kind].forecast(HISTORY, H)
    assert [len(f) for f in forecasts] == [H, H]
    mean = [np.full(H, v.mean()) for v in HISTORY.y]
    assert mae(forecasts, truth) < 0.75 * mae(mean, truth)


@pytest.mark.parametrize("kind", KINDS)
def test_state_through_json_and_safetensors_gives_the_same_forecasts(fitted, kind, tmp_path):
    from safetensors.numpy import load_file, save_file

    settings, arrays = fitted[kind].state()
    assert all(a.dtype == np.float32 for a in arrays.values())
    save_file(arrays, str(tmp_path / "weights.safetensors"))
    restored = WindowFamily.restore(json.loads(json.dumps(settings)), load_file(str(tmp_path / "weights.safetensors")))
    for panel in (HISTORY, PANEL, HISTORY.head(50)):  # fitted history, a longer one, a backtest's
        np.testing.assert_allclose(np.stack(restored.forecast(panel, H)), np.stack(fitted[kind].forecast(panel, H)),
                                   atol=1e-5)
    assert restored.log_["epochs"]


def test_the_catalogue_names_the_three_deep_families():
    specs = catalogue()
    for kind in KINDS:
        assert specs[kind].kind == "deep"
        family = specs[kind].make(HISTORY, H, 3)
        assert isinstance(family, WindowFamily) and family.settings["seed"] == 3
        assert specs[kind].restore == WindowFamily.restore


def test_the_same_seed_gives_the_same_network_and_another_seed_another():
    first = small("gru", seed=1, max_epochs=1).fit(HISTORY, H).forecast(HISTORY, H)
    again = small("gru", seed=1, max_epochs=1).fit(HISTORY, H).forecast(HISTORY, H)
    other = small("gru", seed=2, max_epochs=1).fit(HISTORY, H).forecast(HISTORY, H)
    np.testing.assert_array_equal(np.stack(first), np.stack(again))
    assert not np.allclose(np.stack(first), np.stack(other))


def test_a_longer_horizon_is_refused_and_a_shorter_one_is_cut(fitted):
    with pytest.raises(ValueError, match="fitted to forecast 7 steps ahead.*horizon=10"):
        fitted["mlp"].forecast(HISTORY, 10)
    full, short = fitted["mlp"].forecast(HISTORY, H), fitted["mlp"].forecast(HISTORY, 3)
    np.testing.assert_array_equal(np.stack(short), np.stack(full)[:, :3])


def test_a_passed_deadline_raises_out_of_time():
    with pytest.raises(OutOfTime):
        small("lstm").fit(HISTORY, H, deadline=time.monotonic() - 1)


def test_a_near_deadline_stops_the_training_early_and_keeps_a_network():
    started = time.monotonic()
    try:
        family = small("lstm", max_epochs=500, patience=500).fit(HISTORY, H, deadline=started + 1.0)
    except OutOfTime:  # a very slow machine did not finish one epoch: the search leaves it out
        return
    assert time.monotonic() - started < 5.0
    assert family.log_["stopped_at_deadline"] and len(family.log_["epochs"]) < 500
    assert all(np.isfinite(f).all() for f in family.forecast(HISTORY, H))


def test_a_history_shorter_than_the_input_window_is_padded(fitted):
    family = fitted["lstm"]
    length = family.settings["input_length"]
    np.testing.assert_array_equal(last_window(np.array([1.0, 2.0]), 4), [1.0, 1.0, 1.0, 2.0])
    forecasts = family.forecast(PANEL.head(len(PANEL.y[0]) - length + 3), H)
    assert all(np.isfinite(f).all() and len(f) == H for f in forecasts)


def test_a_flat_series_neither_breaks_the_training_nor_the_forecast():
    y = np.r_[np.zeros(60), np.ones(40) * 3.0]
    panel = Panel(ids=["flat"], start=[pd.Timestamp("2020-01-01")], y=[y], freq="D")
    forecasts = WindowFamily("mlp", panel.seasons, 0, max_epochs=2).fit(panel, 5).forecast(panel, 5)
    assert np.isfinite(forecasts[0]).all() and np.all(np.abs(forecasts[0] - 3.0) < 3.0)


def test_a_panel_too_short_for_windows_is_not_usable():
    short = Panel(ids=["s"], start=[pd.Timestamp("2020-01-01")], y=[np.arange(20.0)], freq="D")
    assert not usable(short, 7)
    assert usable(PANEL, 7)
