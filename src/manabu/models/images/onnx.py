"""An image network as one ONNX graph (``manabu export-onnx``), for runtimes without manabu.

The graph holds what the family does around its network: the channels' normalisation
(``mean_``, ``std_``) before it, and after it the softmax of a classifier or the target's scale of
a regressor. So it takes the arrays that ``features.images.ImageInput`` makes, float32
(batch, channels, height, width) with any number of images, and answers what the model's
``predict_proba`` (``probabilities``: one column per class, in the order of the manifest's
classes) or ``predict`` (``value``) answers. The classes, the input's shape and what its values
are ride along in the graph's metadata.

A graph is written only once ONNX Runtime has answered a batch as PyTorch does within
``TOLERANCE``, and a single image too (the batch axis is not fixed at the traced size): the
largest difference of a probability, or of a value relative to the largest value when that is
above 1 (float32 keeps about seven digits of a price of 250,000).

The graph is traced by PyTorch's TorchScript exporter (``dynamo=False``), which needs torch and
onnx only; the newer ``dynamo=True`` exporter needs ``onnxscript``, which manabu does not install.
"""
from __future__ import annotations

import io
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from manabu.artifact import load_model
from manabu.base.errors import ArtifactError, ConfigError
from manabu.models.images.codec import is_image_network
from manabu.models.text_torch import torch_settings

TOLERANCE = 1e-4      # largest difference allowed between ONNX Runtime's answers and PyTorch's
CHECK_IMAGES = 8      # images of the check batch
OPSET = 17            # ONNX Runtime 1.14 and later, and most other runtimes, run it
INPUT = "images"


@dataclass(frozen=True)
class OnnxExport:
    """A model's ONNX graph and what was checked about it."""

    data: bytes
    output: str                  # "probabilities" or "value"
    input_shape: list[int]       # (channels, height, width); the batch axis is free
    classes: list[Any] | None
    difference: float            # largest difference from PyTorch on the check images
    checked_images: int


def onnx_for_folder(model_dir: str | Path) -> OnnxExport:
    """The ONNX graph of the image network saved in ``model_dir``, checked against PyTorch."""
    pipeline, manifest = load_model(model_dir)
    network = pipeline.steps[-1][1] if hasattr(pipeline, "steps") else pipeline
    training = manifest.get("training") or {}
    if not is_image_network(network):
        raise ConfigError("onnx.not_image_network", path=str(model_dir),
                          model=training.get("best_model") or type(network).__name__)
    preprocess = pipeline.steps[0][1] if len(getattr(pipeline, "steps", ())) > 1 else None
    return onnx_export(network, classes=training.get("classes"), where=str(model_dir),
                       described=_input_description(preprocess))


def onnx_export(network: Any, *, classes: list[Any] | None = None, where: str = "",
                described: str = "", check: np.ndarray | None = None) -> OnnxExport:
    """The ONNX graph of a fitted image network (an ``ImageNetwork``: a classifier or a regressor),
    refused with one message when ONNX Runtime answers ``check`` (default: random images with the
    channels' mean and spread) or one image differently from PyTorch."""
    import onnx

    classifier = hasattr(network, "classes_")
    output = "probabilities" if classifier else "value"
    shape = [int(v) for v in network.image_shape_]
    data = _traced(network, output, shape, where)
    model = onnx.load_from_string(data)
    labels = [_plain(c) for c in (classes if classes is not None else network.classes_)] if classifier else None
    _describe(model, output, shape, labels, described)
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as error:
        raise ArtifactError("onnx.export_failed", path=where, error=f"ValidationError: {error}") from error
    data = model.SerializeToString()
    images = _check_images(network, shape) if check is None else np.asarray(check, dtype=np.float32)
    difference = _difference(network, data, images, output, where)
    return OnnxExport(data, output, shape, labels, difference, len(images))


def _traced(network: Any, output: str, shape: list[int], where: str) -> bytes:
    import torch

    module = _answering_module(network)
    buffer = io.BytesIO()
    try:
        with torch_settings(1, 0), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's notice that dynamo is the default now
            torch.onnx.export(module, (torch.zeros(2, *shape),), buffer, dynamo=False, opset_version=OPSET,
                              input_names=[INPUT], output_names=[output],
                              dynamic_axes={INPUT: {0: "batch"}, output: {0: "batch"}})
    except Exception as error:
        raise ArtifactError("onnx.export_failed", path=where, error=f"{type(error).__name__}: {error}") from error
    return buffer.getvalue()


def _answering_module(network: Any):
    """The torch module the graph is traced from: normalisation, network, softmax or scale."""
    import torch
    from torch import nn

    class Answering(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network.network()
            self.register_buffer("mean", torch.tensor(network.mean_, dtype=torch.float32).view(1, -1, 1, 1))
            self.register_buffer("std", torch.tensor(network.std_, dtype=torch.float32).view(1, -1, 1, 1))
            self.classifier = hasattr(network, "classes_")
            self.scale = (float(getattr(network, "target_std_", 1.0)), float(getattr(network, "target_mean_", 0.0)))

        def forward(self, images):
            outputs = self.network((images - self.mean) / self.std)
            if self.classifier:
                return torch.softmax(outputs, dim=1)
            return outputs[:, 0] * self.scale[0] + self.scale[1]

    return Answering().eval()


def _describe(model: Any, output: str, shape: list[int], classes: list[Any] | None, described: str) -> None:
    """The graph's metadata: what goes in, what comes out, the classes."""
    import onnx

    what = f"probabilities of the classes {classes}" if classes is not None else "the predicted value"
    model.doc_string = (f"manabu image network. Input {INPUT!r}: float32 (batch, {', '.join(map(str, shape))})"
                        f"{': ' + described if described else ''}. Output {output!r}: {what}.")
    properties = {"manabu.input": described, "manabu.input_shape": json.dumps(shape), "manabu.output": output}
    if classes is not None:
        properties["manabu.classes"] = json.dumps(classes, ensure_ascii=False)
    onnx.helper.set_model_props(model, properties)


def _input_description(preprocess: Any) -> str:
    """What the input's values are, from the pipeline's ImageInput."""
    if preprocess is None:
        return ""
    if getattr(preprocess, "column", None) is not None:
        channels, side = preprocess.shape_[0], preprocess.shape_[1]
        kind = "RGB" if channels == 3 else "grey"
        return f"{kind} images resized to {side}x{side}, values scaled to [0, 1] (8-bit: /255, 16-bit: /65535)"
    pixels = list(getattr(preprocess, "pixels", None) or [])
    if pixels:
        return (f"the pixel columns {pixels[0]} .. {pixels[-1]} in row-major order, "
                "values as in the training table, missing values as 0")
    return ""


def _check_images(network: Any, shape: list[int]) -> np.ndarray:
    rng = np.random.default_rng(0)
    mean = np.asarray(network.mean_, dtype=np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(network.std_, dtype=np.float32).reshape(1, -1, 1, 1)
    return (mean + std * rng.standard_normal((CHECK_IMAGES, *shape))).astype(np.float32)


def _difference(network: Any, data: bytes, images: np.ndarray, output: str, where: str) -> float:
    """The largest difference between ONNX Runtime's answers and the network's own, on
    ``images`` and on its first image alone; refused past TOLERANCE."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    expected = network.predict_proba(images) if output == "probabilities" else network.predict(images)
    answered = session.run(None, {INPUT: images})[0]
    alone = session.run(None, {INPUT: images[:1]})[0]
    if answered.shape != expected.shape or alone.shape != expected[:1].shape:
        raise ArtifactError("onnx.mismatch", path=where, difference=f"shape {answered.shape}",
                            tolerance=TOLERANCE)
    difference = float(max(np.max(np.abs(answered - expected)), np.max(np.abs(alone - expected[:1]))))
    if output == "value":  # float32 holds about 7 digits: a price of 250,000 is compared relatively
        difference /= max(1.0, float(np.max(np.abs(expected))))
    if not difference <= TOLERANCE:  # NaN too
        raise ArtifactError("onnx.mismatch", path=where, difference=f"{difference:.2g}", tolerance=TOLERANCE)
    return difference


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
