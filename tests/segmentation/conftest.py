"""What the segmentation tests share: folders of disc images and their masks, and one model
trained on them."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.segmentation.discs import disc_folders

pytest.importorskip("torch")
pytest.importorskip("safetensors")

FAST = {"width": 8, "tile": 32}  # a small U-Net on 32-pixel tiles: epochs of a fraction of a second


@pytest.fixture(scope="session", autouse=True)
def torch_imported():
    """torch and what its optimiser imports on first use (its compiler, seconds on a busy
    machine) are imported before any test's time limit starts."""
    from manabu.deep.trainer import import_torch

    import_torch()


@pytest.fixture
def cli():
    """``cli("train", ...)`` runs ``manabu train ...`` in this process (``tests.cli.conftest``)."""
    from tests.cli.conftest import Cli

    return Cli()


@pytest.fixture
def discs(tmp_path: Path) -> tuple[Path, Path]:
    return disc_folders(tmp_path / "data", n=12)


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A U-Net trained on 40 disc images of 48x48 pixels (4 held out), shared by the tests."""
    from manabu.segmentation.model import segment

    root = tmp_path_factory.mktemp("segmentation")
    images, masks = disc_folders(root / "data", n=40)
    # bounded by epochs, not by the clock: a busy machine trains as far (6 epochs: Dice 0.96 on discs)
    model = segment(images, masks, time_limit=120, max_epochs=6, seed=0, **FAST)
    return root, images, masks, model
