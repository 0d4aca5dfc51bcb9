"""Frames made by the tests, and where the public data sets are."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def mixed_frame(n: int = 300, task: str = "binary", seed: int = 0) -> pd.DataFrame:
    """Numbers with NaN, a category with NaN, a datetime, a boolean, and a target that depends
    on them, so that a model has something real to learn."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.uniform(0, 10, size=n)
    colour = rng.choice(["赤", "青", "緑"], size=n)
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, size=n), unit="D")
    flag = rng.choice([True, False], size=n)
    signal = x1 + 0.3 * x2 + (colour == "赤") * 1.5 + flag * 0.5
    frame = pd.DataFrame({"x1": x1, "x2": x2, "colour": colour, "when": when, "flag": flag})
    frame.loc[rng.choice(n, n // 10, replace=False), "x1"] = np.nan
    frame.loc[rng.choice(n, n // 10, replace=False), "colour"] = np.nan
    if task == "regression":
        frame["y"] = signal + rng.normal(scale=0.3, size=n)
    elif task == "binary":
        frame["y"] = np.where(signal + rng.normal(scale=0.5, size=n) > np.median(signal), "yes", "no")
    else:
        frame["y"] = pd.qcut(signal + rng.normal(scale=0.3, size=n), 3, labels=["low", "mid", "high"]).astype(str)
    return frame
