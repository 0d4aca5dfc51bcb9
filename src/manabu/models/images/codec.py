"""An image network's folder files: its weights as safetensors (tensors only, never code), and a
JSON sidecar with the rest: the estimator's class and parameters, the network's description
(``deep.networks``), the channels' normalisation, the image shape, the classes or the target's
scale, and the training log. Loading checks that the weights fit the described network."""
from __future__ import annotations

from typing import Any

import numpy as np

from manabu.artifact.codecs import ModelCodec
from manabu.artifact.sidecar import (check_network, decode_params, dump_sidecar, encode_params, head_fields,
                                     load_weights, qualname, read_sidecar, restore_head, trusted_class)
from manabu.base.jsonable import to_jsonable
from manabu.base.loaded import instance_of
from manabu.base.trust import register_trusted

FAMILY_MODULE = "manabu.models.images.family"
SIDECAR_VERSION = 1
MODEL_FILE = "model.safetensors"
SIDECAR_FILE = "model.network.json"
_REQUIRED = ("class", "params", "config", "mean", "std", "image_shape", "log")


def is_image_network(estimator: Any) -> bool:
    return instance_of(estimator, FAMILY_MODULE, "ImageNetwork")


def dump_network(estimator: Any, step: str) -> tuple[bytes, bytes]:
    from safetensors.numpy import save

    weights = {name: np.ascontiguousarray(value) for name, value in estimator.weights_.items()}
    sidecar: dict[str, Any] = {
        "sidecar_version": SIDECAR_VERSION, "class": qualname(estimator),
        "params": encode_params(estimator.get_params(deep=False), f"{step}.params"),
        "config": to_jsonable(estimator.config_, where=f"{step}.config"),
        "mean": estimator.mean_, "std": estimator.std_, "image_shape": list(estimator.image_shape_),
        "log": to_jsonable(estimator.log_, where=f"{step}.log"),
        **head_fields(estimator),
    }
    return save(weights), dump_sidecar(sidecar)


def load_network(data: bytes, sidecar_bytes: bytes, folder: str, prefix: str = "") -> Any:
    from manabu.models.images.family import ImageNetwork

    sidecar_file = prefix + SIDECAR_FILE
    sidecar = read_sidecar(sidecar_bytes, folder, sidecar_file, _REQUIRED)
    cls = trusted_class(sidecar["class"], folder, sidecar_file, ImageNetwork)
    estimator = cls(**decode_params(sidecar["params"], folder, sidecar_file))
    load_weights(estimator, data, folder, prefix + MODEL_FILE)
    estimator.config_, estimator.log_ = sidecar["config"], sidecar["log"]
    estimator.mean_, estimator.std_ = list(sidecar["mean"]), list(sidecar["std"])
    estimator.image_shape_ = list(sidecar["image_shape"])
    estimator.n_channels_ = estimator.image_shape_[0]
    estimator.stopped_at_deadline_ = bool(sidecar["log"].get("stopped_at_deadline", False))
    restore_head(estimator, sidecar, folder, sidecar_file)
    check_network(estimator, folder, prefix + MODEL_FILE)
    return estimator


CODEC = ModelCodec("image_network", MODEL_FILE, SIDECAR_FILE, "torch", is_image_network, dump_network,
                   load_network, distributions=("torch",))

TRANSFER_MODULE = "manabu.models.images.transfer"
register_trusted(f"{FAMILY_MODULE}.ImageCNNClassifier", f"{FAMILY_MODULE}.ImageCNNRegressor",
                 f"{TRANSFER_MODULE}.ImageTransferClassifier", f"{TRANSFER_MODULE}.ImageTransferRegressor", native=True)
