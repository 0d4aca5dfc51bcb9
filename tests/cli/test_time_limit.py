"""--time-limit is honoured within 10%: the whole training, search and final refit together."""
from __future__ import annotations

from manabu.artifact import verify
from tests.cli.conftest import manifest
from tests.frames import SHARED_DATA

import pytest

PHONEME = SHARED_DATA / "tabular" / "phoneme" / "train.parquet"
LIMIT = 8.0


@pytest.mark.skipif(not PHONEME.exists(), reason=f"public data set not found: {PHONEME}")
@pytest.mark.timing
def test_training_ends_within_ten_percent_of_the_time_limit(cli, tmp_path):
    out = tmp_path / "phoneme"
    result = cli("train", PHONEME, "--target", "Class", "--time-limit", f"{LIMIT:g}", "-o", out)
    assert result.exit_code == 0, result.output
    verify(out)
    training = manifest(out)["training"]
    assert training["n_rows"] > 4000
    # 10% of the limit, plus a second for a busy machine (the tests run two at a time on two cores)
    assert training["seconds"] <= 1.1 * LIMIT + 1.0, training["seconds"]
    # and the limit was used, not abandoned early: several candidates were scored
    assert sum(row["status"] == "ok" for row in training["leaderboard"]) >= 2
