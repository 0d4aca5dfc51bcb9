"""The image families' entries: "cnn", tried when the data has images (a column of image files,
or a grid of pixel columns), beside the tabular families where the pixels are columns too; and
"transfer", made for the pretrained network the user names (``--image-model``)."""
from __future__ import annotations

from functools import partial
from pathlib import Path

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, ModelEntry, Params
from manabu.models.images.codec import CODEC
from manabu.models.images.family import ImageCNNClassifier, ImageCNNRegressor
from manabu.models.images.transfer import ImageTransferClassifier, ImageTransferRegressor, cached_checkpoint
from manabu.models.space import Choice, Real
from manabu.models.text_torch import torch_available


def make_cnn(task: str, params: Params, seed: int):
    cls = ImageCNNRegressor if task == "regression" else ImageCNNClassifier
    return cls(random_state=seed, **params)


def _stop_at(deadline: float) -> Params:
    return {"deadline": deadline}


def _warm_up() -> None:
    from manabu.deep.trainer import import_torch

    import_torch()
    import kornia.augmentation  # noqa: F401


def _available() -> bool:
    import importlib.util

    return torch_available() and importlib.util.find_spec("kornia") is not None


SPACE = {"width": Choice((16, 32, 64)), "depth": Choice((1, 2)),
         "learning_rate": Real(1e-3, 1e-2, log=True), "weight_decay": Real(1e-5, 1e-3, log=True),
         "dropout": Real(0.0, 0.3), "batch_size": Choice((32, 64, 128))}

# a fit is many epochs over every image: on 2 CPU cores, 4,000 MNIST digits take seconds an epoch
ENTRY = ModelEntry("cnn", ALL_TASKS, PreprocessKind.IMAGES, make_cnn, SPACE, cost=30.0,
                   threads_param="n_threads", device_param="device", stop_at=_stop_at, keeps_partial=True,
                   strong_start=True, needs_images=True, extra="deep", available=_available,
                   warm_up=_warm_up, codec=CODEC)


def make_transfer(checkpoint: str, task: str, params: Params, seed: int):
    cls = ImageTransferRegressor if task == "regression" else ImageTransferClassifier
    return cls(checkpoint=checkpoint, random_state=seed, **params)


TRANSFER_SPACE = {"fine_tune": Choice(("last", "none")), "learning_rate": Real(1e-4, 3e-3, log=True),
                  "head_learning_rate": Real(3e-3, 3e-2, log=True), "weight_decay": Real(1e-5, 1e-3, log=True),
                  "batch_size": Choice((16, 32, 64))}


def transfer_entry(checkpoint: str | Path) -> ModelEntry:
    """The "transfer" family for one checkpoint, read now: a missing file, or weights that are no
    ResNet, fail before the search rather than in its first fold."""
    path = str(Path(checkpoint).expanduser().resolve())
    cached_checkpoint(path)
    return ModelEntry("transfer", ALL_TASKS, PreprocessKind.IMAGES, partial(make_transfer, path), TRANSFER_SPACE,
                      cost=30.0, threads_param="n_threads", device_param="device", stop_at=_stop_at,
                      keeps_partial=True, strong_start=True, needs_images=True, extra="deep", available=_available,
                      warm_up=_warm_up, codec=CODEC)
