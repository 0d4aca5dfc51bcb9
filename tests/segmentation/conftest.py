"""What the segmentation tests share: folders of disc images and their masks, and one model
trained on them."""
from __future__ import annotations

import os
from contextlib import contextmanager
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


class _OneCore:
    """The ``os`` module as ``manabu.segmentation.network`` sees it in ``one_thread``: one core."""

    def __getattr__(self, name: str):
        return getattr(os, name)

    @staticmethod
    def cpu_count() -> int:
        return 1


@contextmanager
def one_thread():
    """torch on one thread, in training (``UNetSegmenter`` trains on every core it counts) and in
    prediction. The U-Net of these tests is so small that its operations last microseconds: on
    two cores shared with another busy process (pytest-xdist's other worker), torch's second
    thread waits for the core that process holds at every operation, and ``trained`` took 118 s
    instead of 6, stopped by its time limit after 2 of its 6 epochs (Dice 0.81, not 0.96). On
    one thread it trains the same 6 epochs to the same Dice (0.963; 0.976-0.988 at seeds 1-3)."""
    import torch

    from manabu.segmentation import network

    previous = torch.get_num_threads()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(network, "os", _OneCore())
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(previous)


@pytest.fixture(autouse=True)
def on_one_thread():
    with one_thread():
        yield


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
    with one_thread():  # made before the tests' own ``on_one_thread``
        model = segment(images, masks, time_limit=120, max_epochs=6, seed=0, **FAST)
    return root, images, masks, model
