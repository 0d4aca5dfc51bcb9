"""manabu retrain: the new version is compared with production on held-out new rows, registered,
and promoted only when it is better."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from manabu.base.errors import DataError, RegistryError
from manabu.serve.registry import Registry
from manabu.serve.retrain import retrain
from tests.cli.conftest import Cli, assert_refused
from tests.frames import mixed_frame

SETTINGS = ("--models", "linear", "--max-trials", "1", "--time-limit", "20")


def world(n: int, seed: int, flipped: bool = False) -> pd.DataFrame:
    """The target follows x1; in a flipped world it follows -x1 (the world has changed)."""
    frame = mixed_frame(n, seed=seed)
    sign = -1 if flipped else 1
    frame["y"] = np.where(sign * frame["x1"].fillna(0) + 0.1 * np.random.default_rng(seed).normal(size=n) > 0,
                          "yes", "no")
    return frame


@pytest.fixture
def registered(tmp_path):
    """A registry whose model "churn" has version 1, trained on the old world, in production."""
    data = tmp_path / "old.csv"
    world(200, 1).to_csv(data, index=False)
    cli = Cli()
    assert cli("train", data, "--target", "y", "-o", tmp_path / "model", *SETTINGS).exit_code == 0
    registry = Registry(tmp_path / "registry")
    registry.register(tmp_path / "model", "churn")
    registry.promote("churn", 1, "production")
    return registry, tmp_path


def test_a_better_model_on_the_new_world_is_promoted(registered):
    registry, folder = registered
    new = folder / "new.csv"
    world(200, 2, flipped=True).to_csv(new, index=False)
    result = retrain(registry, "churn", new, mode="new")
    assert result.better and result.promoted and result.version.version == 2
    assert result.candidate_score > result.production_score
    assert {v.version: v.stage for v in registry.list("churn")} == {1: "archived", 2: "production"}
    assert registry.history("churn")[-1]["reason"].startswith("retrained: better, roc_auc")


def test_a_model_that_is_not_better_is_registered_but_not_promoted_unless_forced(registered):
    registry, folder = registered
    new = folder / "old.csv"  # the rows production learnt from, held-out ones included: it cannot lose there
    result = retrain(registry, "churn", new, mode="new")
    assert not result.better and not result.promoted
    assert {v.version: v.stage for v in registry.list("churn")} == {1: "production", 2: "none"}
    forced = retrain(registry, "churn", new, mode="new", force=True)
    assert forced.promoted and not forced.better
    assert "promoted anyway (--force)" in registry.history("churn")[-1]["reason"]


def test_combined_mode_reads_the_production_training_file_again(registered):
    registry, folder = registered
    new = folder / "new.csv"
    world(100, 4).to_csv(new, index=False)
    result = retrain(registry, "churn", new)
    from manabu import load
    assert load(registry.checked_path(result.version)).record.n_rows == 200 + 80  # old rows + 4/5 of the new
    (folder / "old.csv").unlink()
    with pytest.raises(DataError, match="--mode new"):
        retrain(registry, "churn", new)


def test_the_command_says_what_it_decided_and_refuses_what_it_cannot_do(registered):
    registry, folder = registered
    new = folder / "new.csv"
    world(200, 5, flipped=True).to_csv(new, index=False)
    cli = Cli()
    result = cli("retrain", "churn", new, "--mode", "new", "--registry", folder / "registry")
    assert result.exit_code == 0, result.output
    assert "churn@2 is in production" in result.output.replace("\n", " ")
    world(50, 6).drop(columns="y").to_csv(folder / "unlabelled.csv", index=False)
    assert_refused(cli("retrain", "churn", folder / "unlabelled.csv", "--registry", folder / "registry"), '"y"')
    assert_refused(cli("retrain", "nobody", new, "--registry", folder / "registry"), 'no model named "nobody"')
    with pytest.raises(RegistryError):
        retrain(registry, "nobody", new)
