"""Small tables made here: numeric columns with gaps, text categories with gaps, three targets."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

N_ROWS = 150


@pytest.fixture(scope="session")
def table() -> dict[str, object]:
    rng = np.random.default_rng(7)
    a = rng.normal(size=N_ROWS)
    b = rng.integers(0, 6, N_ROWS).astype(float)
    colour = rng.choice(["赤", "green", "blue"], N_ROWS)
    size = rng.choice(["S", "M", "L", "XL"], N_ROWS)
    X = pd.DataFrame({"a": a, "b": b, "colour": colour, "size": size})
    X.loc[::9, "a"] = np.nan
    X.loc[::13, "colour"] = None
    score = a * np.nan_to_num(1.0) + (colour == "green") - 0.3 * b
    score = np.nan_to_num(score)
    binary = np.where(score + rng.normal(scale=0.5, size=N_ROWS) > 0, "yes", "no")
    multiclass = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
    regression = score + rng.normal(scale=0.1, size=N_ROWS)
    return {"X": X, "binary": binary, "multiclass": multiclass, "regression": regression}
