"""Transfer learning from a pretrained ResNet on the user's disk: the "transfer" family.

As the guide does with ResNet50: the pretrained base is frozen and a new head learns the classes,
on the base's features computed once (no augmentation: seconds, even on a CPU); then the last
stage fine-tunes with the head, at a lower learning rate and with augmentation, and is kept only
if it does better on the held-out images than the head alone. With little data a base that has
already learnt edges, textures and shapes beats a network that must learn them from the few
images given.

The fitted model is an ordinary image network (``family.ImageNetwork``): its whole network's
weights and description, and the checkpoint's normalisation, stored as safetensors and JSON.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import is_classifier

from manabu.models.images.augmentation import augmenter
from manabu.models.images.checkpoint import Checkpoint, read_checkpoint
from manabu.models.images.family import (MIN_HOLDOUT_ROWS, ImageCNNClassifier, ImageCNNRegressor, ImageNetwork,
                                          array_batches, as_images, channel_statistics)
from manabu.models.text_torch import holdout, numpy_weights, torch_settings

FINE_TUNING = ("last", "none")
HEAD_EPOCHS = 200       # epochs of the head on fixed features: a few milliseconds each
HEAD_PATIENCE = 15
FEATURE_BATCH = 64

_cache: dict[tuple, Checkpoint] = {}  # the last checkpoint read: every fit of a search reuses it
_cache_lock = threading.Lock()


def cached_checkpoint(path: str) -> Checkpoint:
    """The checkpoint at ``path``, read once while the file is unchanged."""
    try:
        stat = Path(path).stat()
    except OSError:
        return read_checkpoint(path)  # names what is wrong with the path
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        if key not in _cache:
            _cache.clear()
            _cache[key] = read_checkpoint(path)
        return _cache[key]


class ImageTransfer(ImageNetwork):
    """What the transfer classifier and regressor share: the two phases of training."""

    def __init__(self, checkpoint: str = "", fine_tune: str = "last", learning_rate: float = 1e-3,
                 head_learning_rate: float = 1e-2, weight_decay: float = 1e-4, max_epochs: int = 15,
                 patience: int = 4, batch_size: int = 32, dropout: float = 0.0, augment: str = "auto",
                 device: str = "auto", n_threads: int = 1, random_state: int | None = None):
        self.checkpoint = checkpoint
        self.fine_tune = fine_tune
        self.learning_rate = learning_rate
        self.head_learning_rate = head_learning_rate
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.patience = patience
        self.batch_size = batch_size
        self.dropout = dropout
        self.augment = augment
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state

    def fit(self, X, y, deadline: float | None = None):
        from manabu.deep.device import torch_device

        if self.fine_tune not in FINE_TUNING:
            raise ValueError(f"fine_tune must be one of {FINE_TUNING}, not {self.fine_tune!r}")
        images = as_images(X)
        targets, n_outputs = self._targets(np.asarray(y))
        seed = 0 if self.random_state is None else int(self.random_state)
        train, valid = holdout(targets if is_classifier(self) else np.zeros(len(targets), dtype=np.int64),
                               is_classifier(self), seed, MIN_HOLDOUT_ROWS)
        checkpoint = cached_checkpoint(self.checkpoint)
        self.config_, weights, self.mean_, self.std_ = adapted(checkpoint, images.shape[1], n_outputs, self.dropout)
        if self.mean_ is None:  # a network pretrained on inputs of unknown scale: these images' own
            self.mean_, self.std_ = channel_statistics(images[train], seed)
        device = torch_device(self.device)
        with torch_settings(self.n_threads, seed):
            network = _pretrained_network(self.config_, weights).to(device)
            head_log = self._train_head(network, images, targets, train, valid, device, deadline)
            log = head_log
            if self.fine_tune == "last" and not head_log.stopped_at_deadline:
                log = self._tune_last_stage(network, images, targets, train, valid, device, seed, deadline, head_log)
        self.log_ = log.to_dict()
        self.weights_ = numpy_weights(network.state_dict())
        self.stopped_at_deadline_ = bool(log.stopped_at_deadline)
        self.n_channels_, self.image_shape_ = images.shape[1], list(images.shape[1:])
        self._network = network.cpu().eval()
        return self

    def _train_head(self, network, images, targets, train, valid, device, deadline):
        """The new head on the frozen base's pooled features, computed once."""
        from manabu.deep.trainer import Schedule, train_network

        features = _pooled_features(network, images, self.normaliser(device), device)
        loss_fn, score_fn = self._loss_and_score()
        batch = max(1, min(int(self.batch_size), len(train)))
        schedule = Schedule(HEAD_EPOCHS, -(-len(train) // batch), float(self.head_learning_rate),
                            float(self.weight_decay), HEAD_PATIENCE)
        log = train_network(network.fc, loss_fn, score_fn, array_batches(features, targets, train, batch, True),
                            array_batches(features, targets, valid, batch, False) if len(valid) else None,
                            schedule, device, deadline=deadline)
        for epoch in log.epochs:
            epoch["phase"] = "head"
        return log

    def _tune_last_stage(self, network, images, targets, train, valid, device, seed, deadline, head_log):
        """The last stage and the head, with augmentation; kept only where it beats the head."""
        from manabu.deep.freezing import PartlyFrozen
        from manabu.deep.trainer import Schedule, train_network

        before = {name: value.detach().clone() for name, value in network.state_dict().items()}
        last_stage = f"layer{len(self.config_['widths'])}."
        tuned = PartlyFrozen(network, (last_stage, "fc."))
        batch = max(1, min(int(self.batch_size), len(train)))
        schedule = Schedule(int(self.max_epochs), -(-len(train) // batch), float(self.learning_rate),
                            float(self.weight_decay), int(self.patience))
        augment = augmenter(self.augment, images.shape[1], images.shape[2:]) if self.augment != "none" else None
        loss_fn, score_fn = self._loss_and_score()
        rng = np.random.default_rng(seed)
        log = train_network(tuned, loss_fn, score_fn, array_batches(images, targets, train, batch, True, rng),
                            array_batches(images, targets, valid, batch, False) if len(valid) else None, schedule,
                            device, augment=augment, prepare=self.normaliser(device), deadline=deadline)
        for parameter in network.parameters():
            parameter.requires_grad_(True)
        if not log.epochs or _best_loss(log) >= _best_loss(head_log):
            network.load_state_dict(before)
            head_log.stopped_at_deadline = head_log.stopped_at_deadline or log.stopped_at_deadline
            return _joined(head_log, log, keep_head=True)
        return _joined(head_log, log, keep_head=False)


class ImageTransferClassifier(ImageTransfer, ImageCNNClassifier):
    pass


class ImageTransferRegressor(ImageTransfer, ImageCNNRegressor):
    pass


def adapted(checkpoint: Checkpoint, channels: int, n_outputs: int, dropout: float):
    """(config, weights, mean, std) of the checkpoint for images of ``channels`` channels and a
    head of ``n_outputs``: a grey image meets a colour network through the sum of its first
    filters over the colours (as timm adapts them), a colour image meets a grey network
    through their mean."""
    config = dict(checkpoint.config, in_channels=int(channels), n_outputs=int(n_outputs), dropout=float(dropout))
    weights = {name: value for name, value in checkpoint.weights.items() if not name.startswith("fc.")}
    mean, std = checkpoint.mean, checkpoint.std
    pretrained = checkpoint.config["in_channels"]
    if channels != pretrained:
        stem = weights["conv1.weight"].float()
        if channels == 1:
            weights["conv1.weight"] = stem.sum(dim=1, keepdim=True)
        else:
            weights["conv1.weight"] = stem.mean(dim=1, keepdim=True).repeat(1, channels, 1, 1)
        if mean is not None and std is not None:
            mean, std = [sum(mean) / len(mean)] * channels, [sum(std) / len(std)] * channels
    return config, weights, mean, std


def _pretrained_network(config: dict[str, Any], weights: dict[str, Any]):
    """The network with the pretrained weights everywhere but its new head."""
    from manabu.deep.networks import build_network

    network = build_network(config)
    missing, unexpected = network.load_state_dict(weights, strict=False)
    missing = [name for name in missing if not name.startswith("fc.")]
    if missing or unexpected:
        raise ValueError(f"the checkpoint does not fit the network it describes: missing {missing[:3]}, "
                         f"unexpected {unexpected[:3]}")
    return network


def _pooled_features(network, images: np.ndarray, prepare, device) -> np.ndarray:
    """The base's pooled features of every image (what the head sees), in inference mode."""
    import torch

    network.eval()
    pooled = []
    with torch.inference_mode():
        for start in range(0, len(images), FEATURE_BATCH):
            batch = prepare(torch.from_numpy(images[start:start + FEATURE_BATCH]).to(device))
            pooled.append(torch.flatten(network.avgpool(network.features(batch)), 1).float().cpu().numpy())
    return np.concatenate(pooled)


def _best_loss(log) -> float:
    losses = [epoch["valid_loss"] for epoch in log.epochs if epoch["valid_loss"] is not None]
    return min(losses) if losses else float("inf")


def _joined(head_log, tune_log, keep_head: bool):
    """One log for the report's curves: the head's epochs, then the fine-tuning's."""
    from manabu.deep.trainer import TrainingLog

    offset = len(head_log.epochs)
    epochs = list(head_log.epochs) + [dict(epoch, epoch=epoch["epoch"] + offset, phase="fine_tune")
                                      for epoch in tune_log.epochs]
    best = head_log.best_epoch if keep_head else tune_log.best_epoch + offset
    return TrainingLog(epochs, best, head_log.stopped_at_deadline or tune_log.stopped_at_deadline)
