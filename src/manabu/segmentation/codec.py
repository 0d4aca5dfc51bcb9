"""A segmentation network's files in its model folder: the weights as safetensors (tensors only,
never code) and a JSON sidecar with the rest: the estimator's parameters, the U-Net's
description (``deep.unet``), the tile side, the channels' normalisation, the mask value of each
class, and the training log.

The sidecar names no class: loading always builds a ``UNetSegmenter``, so a folder cannot make
manabu import anything else. The network is built at load, so weights that do not fit their
description are named then, not at the first prediction. This module imports neither torch nor
the network: it is imported (an entry point of ``manabu.plugins``) whenever a folder's format
is looked up.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from manabu.artifact.codecs import ModelCodec, register_codec
from manabu.artifact.sidecar import (decode_classes, decode_params, dump_sidecar, encode_classes, encode_params,
                                     read_sidecar)
from manabu.base.errors import ArtifactError
from manabu.base.jsonable import to_jsonable
from manabu.base.loaded import instance_of

MODEL_MODULE = "manabu.segmentation.network"
SIDECAR_VERSION = 1
MODEL_FILE = "model.safetensors"
SIDECAR_FILE = "model.unet.json"
_REQUIRED = ("params", "config", "tile", "mean", "std", "classes", "log")


def is_segmenter(estimator: Any) -> bool:
    return instance_of(estimator, MODEL_MODULE, "UNetSegmenter")


def dump_segmenter(estimator: Any, step: str) -> tuple[bytes, bytes]:
    from safetensors.numpy import save

    weights = {name: np.ascontiguousarray(value) for name, value in estimator.weights_.items()}
    sidecar = {"sidecar_version": SIDECAR_VERSION,
               "params": encode_params(estimator.get_params(deep=False), f"{step}.params"),
               "config": to_jsonable(estimator.config_, where=f"{step}.config"), "tile": int(estimator.tile_),
               "mean": estimator.mean_, "std": estimator.std_, "classes": encode_classes(estimator.classes_),
               "log": to_jsonable(estimator.log_, where=f"{step}.log")}
    return save(weights), dump_sidecar(sidecar)


def load_segmenter(data: bytes, sidecar_bytes: bytes, folder: str, prefix: str = "") -> Any:
    from safetensors.numpy import load

    from manabu.segmentation.network import UNetSegmenter

    file = prefix + SIDECAR_FILE
    sidecar = read_sidecar(sidecar_bytes, folder, file, _REQUIRED)
    estimator = UNetSegmenter(**decode_params(sidecar["params"], folder, file))
    try:
        estimator.weights_ = load(data)
        estimator.config_, estimator.tile_ = dict(sidecar["config"]), int(sidecar["tile"])
        estimator.mean_, estimator.std_ = [float(v) for v in sidecar["mean"]], [float(v) for v in sidecar["std"]]
        estimator.log_ = sidecar["log"]
        estimator.network()  # the weights must be exactly the described network's
    except Exception as error:
        raise ArtifactError("artifact.load_failed", path=folder, file=prefix + MODEL_FILE,
                            error=f"{type(error).__name__}: {error}") from error
    estimator.classes_ = decode_classes(sidecar["classes"], folder, file)
    return estimator


CODEC = ModelCodec("unet_segmentation", MODEL_FILE, SIDECAR_FILE, "torch", is_segmenter, dump_segmenter,
                   load_segmenter, distributions=("torch",))

register_codec(CODEC)
