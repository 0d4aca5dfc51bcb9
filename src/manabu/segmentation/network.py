"""The U-Net as an estimator: trained on random tiles with Dice loss plus cross-entropy, stopped
early on held-out images, and answering whole images by blended tiles.

Cross-entropy alone lets the common class win: on EM images a network that thins the membranes
(a fifth of the pixels) loses little. The Dice term scores each class's overlap on its own, so
a thin class weighs as much as a wide one; cross-entropy keeps the gradients smooth early on,
when the soft Dice of a random network says little.

A fitted segmenter keeps its weights as numpy arrays and its network as a plain description
(``config_``, ``deep.unet``): torch objects are built on first use, and its folder stores the
weights as safetensors (``codec``). The training loop is ``deep.trainer.train_network``.
"""
from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from manabu.models.text_torch import numpy_weights, torch_settings, torch_weights
from manabu.segmentation.tiles import IGNORE, blended, fixed_tiles, padded, random_tiles

PREDICT_BATCH = 8  # tiles a forward pass takes at once


class UNetSegmenter(BaseEstimator):
    """``width`` and ``depth`` size the U-Net (``deep.unet``); ``tile`` is the side of its
    input in training and prediction (rounded to what the depth allows, and no larger than
    the images); an epoch draws as many tiles as cover the training images once."""

    def __init__(self, width: int = 8, depth: int = 4, tile: int = 256, batch_size: int = 4,
                 learning_rate: float = 3e-3, weight_decay: float = 1e-4, max_epochs: int = 300,
                 patience: int = 20, dice_weight: float = 1.0, augment: bool = True, device: str = "auto",
                 n_threads: int | None = None, random_state: int = 0):
        self.width = width
        self.depth = depth
        self.tile = tile
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.patience = patience
        self.dice_weight = dice_weight
        self.augment = augment
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, images: list[np.ndarray], codes: list[np.ndarray], classes: np.ndarray,
            valid_images: list[np.ndarray] = (), valid_codes: list[np.ndarray] = (),
            deadline: float | None = None):
        """Learn from ``images`` (float32 (channels, height, width) in [0, 1]) and their class
        codes (height, width), code i standing for the mask value ``classes[i]``; ``valid_*``
        are held out to choose the best epoch."""
        from manabu.deep.unet import build_unet, multiple, unet_config

        self.classes_ = np.asarray(classes)
        self.config_ = unet_config(images[0].shape[0], len(self.classes_), self.width, self.depth)
        self.tile_ = tile_side(self.tile, multiple(self.config_), images)
        self.mean_, self.std_ = channel_statistics(images)
        seed = int(self.random_state)
        with torch_settings(self.n_threads or os.cpu_count() or 1, seed):
            network = build_unet(self.config_)
            self.log_ = self._train(network, images, codes, list(valid_images), list(valid_codes), seed, deadline)
        self.weights_ = numpy_weights(network.state_dict())
        self._network = network.cpu().eval()
        return self

    def _train(self, network, images, codes, valid_images, valid_codes, seed, deadline) -> dict[str, Any]:
        import torch

        from manabu.deep.device import torch_device
        from manabu.deep.trainer import Schedule, train_network

        device = torch_device(self.device)
        network.to(device)
        side, batch = self.tile_, int(self.batch_size)
        training = [padded(image, mask, side) for image, mask in zip(images, codes)]
        train_images, train_codes = [t[0] for t in training], [t[1] for t in training]
        rng = np.random.default_rng(seed)
        pixels = sum(image.shape[1] * image.shape[2] for image in train_images)
        steps = max(1, math.ceil(pixels / side ** 2 / batch))

        def batches():
            for _ in range(steps):
                tiles, marks = random_tiles(train_images, train_codes, side, batch, rng, self.augment)
                yield torch.from_numpy(tiles), torch.from_numpy(marks)

        schedule = Schedule(int(self.max_epochs), steps, float(self.learning_rate), float(self.weight_decay),
                            int(self.patience))
        valid = _valid_batches(valid_images, valid_codes, side, PREDICT_BATCH)
        log = train_network(network, segmentation_loss(float(self.dice_weight)), mean_dice, batches,
                            (lambda: iter(valid)) if valid else None, schedule, device,
                            prepare=self._normaliser(device), deadline=deadline)
        return log.to_dict()

    def _normaliser(self, device):
        import torch

        mean = torch.tensor(self.mean_, device=device).view(1, -1, 1, 1)
        std = torch.tensor(self.std_, device=device).view(1, -1, 1, 1)
        return lambda inputs: (inputs - mean) / std

    # -- answering ----------------------------------------------------------------------------
    def network(self):
        """The torch module, built from the weights on first use."""
        network = getattr(self, "_network", None)
        if network is None:
            from manabu.deep.unet import build_unet

            with torch_settings(1, 0):
                network = build_unet(self.config_)
            network.load_state_dict(torch_weights(self.weights_))
            self._network = network.eval()
        return network

    def predict_proba(self, image: np.ndarray) -> np.ndarray:
        """Class probabilities (classes, height, width) of one image (channels, height, width)."""
        import torch

        network, normalise = self.network(), self._normaliser(torch.device("cpu"))

        def forward(tiles: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                return torch.softmax(network(normalise(torch.from_numpy(tiles))), dim=1).numpy()

        return blended(np.ascontiguousarray(image, dtype=np.float32), self.tile_, self.config_["n_classes"],
                       forward, PREDICT_BATCH)

    def predict_codes(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """The class code of every pixel of each image."""
        return [self.predict_proba(image).argmax(axis=0) for image in images]

    def predict(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """The mask of each image, in the values of the masks it learnt from."""
        return [self.classes_[codes] for codes in self.predict_codes(images)]

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_network", None)  # rebuilt from the weights
        return state


def tile_side(wanted: int, step: int, images: list[np.ndarray]) -> int:
    """``wanted`` rounded down to a multiple of ``step``, and no larger than the largest image
    needs (its longer side, rounded up): small images are not padded to a large tile."""
    largest = max(max(image.shape[1:]) for image in images)
    return max(step, min(wanted // step, math.ceil(largest / step)) * step)


def channel_statistics(images: list[np.ndarray]) -> tuple[list[float], list[float]]:
    """Each channel's mean and standard deviation over every pixel (1 where constant)."""
    channels = images[0].shape[0]
    flat = np.concatenate([image.reshape(channels, -1) for image in images], axis=1)
    mean, std = flat.mean(axis=1, dtype=np.float64), flat.std(axis=1, dtype=np.float64)
    return [float(v) for v in mean], [float(v) if v > 1e-8 else 1.0 for v in std]


def _valid_batches(images, codes, side: int, size: int) -> list[tuple[Any, Any]]:
    """The held-out images cut into fixed tiles, in batches of ``size`` (made once)."""
    import torch

    if not images:
        return []
    cut = [fixed_tiles(image, mask, side) for image, mask in zip(images, codes)]
    tiles, marks = np.concatenate([c[0] for c in cut]), np.concatenate([c[1] for c in cut])
    return [(torch.from_numpy(tiles[i:i + size]), torch.from_numpy(marks[i:i + size]))
            for i in range(0, len(tiles), size)]


def soft_dice(outputs, targets):
    """Each class's Dice on the softmax probabilities over the batch, padding left out."""
    import torch
    from torch.nn import functional as F

    probabilities = torch.softmax(outputs.float(), dim=1)
    counted = (targets != IGNORE).unsqueeze(1)
    truth = F.one_hot(targets.clamp(min=0), outputs.shape[1]).permute(0, 3, 1, 2) * counted
    probabilities = probabilities * counted
    overlap = (probabilities * truth).sum(dim=(0, 2, 3))
    total = probabilities.sum(dim=(0, 2, 3)) + truth.sum(dim=(0, 2, 3))
    return (2 * overlap + 1.0) / (total + 1.0)


def segmentation_loss(dice_weight: float):
    """Cross-entropy plus ``dice_weight`` times (1 - the mean soft Dice over the classes)."""
    from torch.nn import functional as F

    def loss(outputs, targets):
        entropy = F.cross_entropy(outputs.float(), targets, ignore_index=IGNORE)
        return entropy + dice_weight * (1.0 - soft_dice(outputs, targets).mean())

    return loss


def mean_dice(outputs, targets) -> float:
    """The held-out score of the training curves: the hard Dice averaged over the classes."""
    import torch

    predicted, counted = outputs.argmax(dim=1), targets != IGNORE
    dice = []
    for code in range(outputs.shape[1]):
        truth, guess = (targets == code) & counted, (predicted == code) & counted
        total = int(truth.sum() + guess.sum())
        if total:
            dice.append(2 * float((truth & guess).sum()) / total)
    return float(torch.tensor(dice).mean()) if dice else 0.0
