"""What the unsupervised tests share: the wine data with a category, and ``manabu predict`` run
on a saved model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine

from tests.cli.conftest import Cli


@pytest.fixture(scope="module")
def wine() -> pd.DataFrame:
    frame = load_wine(as_frame=True).data
    frame["産地"] = np.where(frame["alcohol"] > 13, "北", "南")
    return frame


def predicted_by_command(model: Path, rows: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    """The file ``manabu predict MODEL new.csv`` writes for ``rows``."""
    data = tmp_path / "new.csv"
    rows.to_csv(data, index=False)
    result = Cli()("predict", model, data, "-o", tmp_path / "predicted.csv")
    assert result.exit_code == 0, result.output
    return pd.read_csv(tmp_path / "predicted.csv")
