"""A convolutional network trained from scratch on the images: the "cnn" family.

The network is a ResNet sized to the images (``deep.networks.resnet_config``), trained with
AdamW and a one-cycle schedule, stopped early on a held-out tenth of the training images, with
augmentation that suits the images (``augmentation``). It takes the arrays that
``features.images.ImageInput`` makes: (rows, channels, height, width).

A fitted model keeps its weights as numpy arrays and its network as a plain description
(``config_``): torch objects are built on first use, so the estimator copies and pickles like
any scikit-learn estimator, and its folder stores the weights as safetensors (``codec``).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier

from manabu.models.images.augmentation import augmenter
from manabu.models.text_torch import (ClassificationHead, RegressionHead, holdout, numpy_weights, torch_settings,
                                      torch_weights)

MIN_HOLDOUT_ROWS = 20   # below this, no images are held out and the last epoch is kept
PREDICT_BATCH = 256
# a few images are predicted on one thread: a served image took 23 ms on one thread and 110 ms
# on torch's default two while the other core was busy (bench/images.py --speed)
ONE_THREAD_UP_TO = 16
NORMALISING_SAMPLE = 2_000  # images that set the channels' mean and spread


class ImageNetwork(BaseEstimator):
    """What the classifier and the regressor share: the arrays, the training, the forward pass."""

    def __init__(self, width: int = 32, depth: int = 1, learning_rate: float = 3e-3, weight_decay: float = 5e-4,
                 max_epochs: int = 30, patience: int = 6, batch_size: int = 64, dropout: float = 0.1,
                 augment: str = "auto", device: str = "auto", n_threads: int = 1, random_state: int | None = None):
        self.width = width
        self.depth = depth
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.patience = patience
        self.batch_size = batch_size
        self.dropout = dropout
        self.augment = augment
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, X, y, deadline: float | None = None):
        from manabu.deep.networks import build_network, resnet_config

        images = as_images(X)
        targets, n_outputs = self._targets(np.asarray(y))
        seed = 0 if self.random_state is None else int(self.random_state)
        train, valid = holdout(targets if is_classifier(self) else np.zeros(len(targets), dtype=np.int64),
                               is_classifier(self), seed, MIN_HOLDOUT_ROWS)
        self.mean_, self.std_ = channel_statistics(images[train], seed)
        self.config_ = resnet_config(images.shape[1], n_outputs, max(images.shape[2:]), self.width, self.depth,
                                     self.dropout)
        with torch_settings(self.n_threads, seed):
            network = build_network(self.config_)
            self.log_ = self._train(network, images, targets, train, valid, seed, deadline)
        self.weights_ = numpy_weights(network.state_dict())
        self.stopped_at_deadline_ = bool(self.log_["stopped_at_deadline"])
        self.n_channels_, self.image_shape_ = images.shape[1], list(images.shape[1:])
        self._network = network.cpu().eval()
        return self

    def _train(self, network, images, targets, train, valid, seed, deadline) -> dict[str, Any]:
        from manabu.deep.device import torch_device
        from manabu.deep.trainer import Schedule, train_network

        device = torch_device(self.device)
        network.to(device)
        rng = np.random.default_rng(seed)
        batch = max(1, min(int(self.batch_size), len(train)))
        steps = -(-len(train) // batch)
        schedule = Schedule(int(self.max_epochs), steps, float(self.learning_rate), float(self.weight_decay),
                            int(self.patience))
        augment = augmenter(self.augment, images.shape[1], images.shape[2:]) if self.augment != "none" else None
        loss_fn, score_fn = self._loss_and_score()
        log = train_network(network, loss_fn, score_fn, array_batches(images, targets, train, batch, True, rng),
                            array_batches(images, targets, valid, batch, False) if len(valid) else None, schedule,
                            device, augment=augment, prepare=self.normaliser(device), deadline=deadline)
        return log.to_dict()

    def normaliser(self, device):
        """The channels' normalisation, as a function of a batch on ``device``."""
        import torch

        mean = torch.tensor(self.mean_, device=device).view(1, -1, 1, 1)
        std = torch.tensor(self.std_, device=device).view(1, -1, 1, 1)
        return lambda inputs: (inputs - mean) / std

    # -- answering ----------------------------------------------------------------------------
    def network(self):
        """The torch module, built from the weights on first use."""
        network = getattr(self, "_network", None)
        if network is None:
            from manabu.deep.networks import build_network

            with torch_settings(1, 0):
                network = build_network(self.config_)
            network.load_state_dict(torch_weights(self.weights_))
            self._network = network.eval()
        return network

    def outputs(self, X) -> np.ndarray:
        """The network's raw outputs (logits, or the standardised value) as float64."""
        import torch

        images = as_images(X)
        if list(images.shape[1:]) != list(self.image_shape_):
            raise ValueError(f"images of shape {list(images.shape[1:])}; the model was fitted on {self.image_shape_}")
        mean, std = torch.tensor(self.mean_).view(1, -1, 1, 1), torch.tensor(self.std_).view(1, -1, 1, 1)
        network, results = self.network(), []
        threads = 1 if len(images) <= ONE_THREAD_UP_TO else torch.get_num_threads()
        with torch.inference_mode(), torch_settings(threads):
            for start in range(0, len(images), PREDICT_BATCH):
                batch = (torch.from_numpy(images[start:start + PREDICT_BATCH]) - mean) / std
                results.append(network(batch).double().numpy())
        return np.concatenate(results) if results else np.empty((0, self.config_["n_outputs"]))

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_network", None)  # rebuilt from the weights
        return state


class ImageCNNClassifier(ClassificationHead, ClassifierMixin, ImageNetwork):
    pass


class ImageCNNRegressor(RegressionHead, RegressorMixin, ImageNetwork):
    pass


def array_batches(inputs: np.ndarray, targets: np.ndarray, rows: np.ndarray, size: int, shuffle: bool,
                  rng: np.random.Generator | None = None):
    """What ``deep.trainer.train_network`` takes: a callable giving the (inputs, targets) batches
    of ``rows`` as tensors, in a new order each call where ``shuffle``."""
    rng = rng or np.random.default_rng(0)

    def batches():
        import torch

        order = rng.permutation(rows) if shuffle else rows
        for start in range(0, len(order), size):
            chosen = np.sort(order[start:start + size])
            yield torch.from_numpy(inputs[chosen]), torch.from_numpy(targets[chosen])
    return batches


def as_images(X) -> np.ndarray:
    images = np.asarray(X, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"images must be an array (rows, channels, height, width), not of shape {images.shape}")
    return images


def channel_statistics(images: np.ndarray, seed: int) -> tuple[list[float], list[float]]:
    """Each channel's mean and standard deviation (1 where constant) on a sample of the images."""
    if len(images) > NORMALISING_SAMPLE:
        images = images[np.random.default_rng(seed).choice(len(images), NORMALISING_SAMPLE, replace=False)]
    mean = images.mean(axis=(0, 2, 3), dtype=np.float64)
    std = images.std(axis=(0, 2, 3), dtype=np.float64)
    return [float(v) for v in mean], [float(v) if v > 1e-8 else 1.0 for v in std]
