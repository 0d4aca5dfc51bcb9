"""Reading a pretrained network from the user's disk (``--image-model PATH``), never from a hub.

Four forms are read, all into the parameter names of ``deep.networks.ResNet`` (torchvision's):
- a state dict in safetensors (``.safetensors``): torchvision's and timm's ResNets name their
  parameters as ours do; the file's metadata may give the inputs' ``mean`` and ``std``;
- a state dict saved by ``torch.save`` (``.pth``, ``.pt``, ``.bin``), read with
  ``weights_only=True`` so that the file can hold tensors only, never code; a training
  checkpoint's ``{"state_dict": ...}`` or ``{"model": ...}`` and DataParallel's ``module.``
  prefix are unwrapped;
- a Hugging Face image-classification folder (``config.json`` of ``model_type`` "resnet", and
  ``model.safetensors`` or ``pytorch_model.bin``), renamed from transformers' names;
- a manabu model folder whose model is an image network: its weights and normalisation.

The network's shape (stem, block, widths, blocks per stage) is read from the weights' shapes,
so any ResNet (18 to 152, or a small one of your own) loads. Anything else is refused in one
message naming what was found.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manabu.base.errors import ConfigError

ERROR_KEY = "image_model.unusable"
IMAGENET_MEAN = [0.485, 0.456, 0.406]  # torchvision's and timm's ResNets were trained on these
IMAGENET_STD = [0.229, 0.224, 0.225]
STATE_FILES = (".safetensors", ".pth", ".pt", ".bin")
WRAPPERS = ("state_dict", "model", "model_state_dict", "module", "net")
MANABU_SIDECAR = "model.network.json"
MANABU_WEIGHTS = "model.safetensors"
HF_WEIGHTS = ("model.safetensors", "pytorch_model.bin")


@dataclass
class Checkpoint:
    """A pretrained ResNet: its weights (torch tensors), the description ``build_network``
    takes, and the per-channel normalisation its inputs had in pretraining ([0, 1] pixels)."""

    path: str
    weights: dict[str, Any]
    config: dict[str, Any]
    mean: list[float] | None   # None: unknown (a grey network's), the images' own are used
    std: list[float] | None


def read_checkpoint(path: str | Path) -> Checkpoint:
    """The checkpoint at ``path``, or one ConfigError saying what is wrong and what to give."""
    location = Path(path).expanduser()
    if not location.exists():
        raise _unusable(location, "no such file or folder")
    try:
        if location.is_dir():
            weights, mean, std = _read_folder(location)
        elif location.suffix.lower() in STATE_FILES:
            weights = _state_dict(location)
            mean, std = _normalisation(location, weights)
        else:
            raise _unusable(location, f"a {location.suffix or 'suffix-less'} file is not a checkpoint")
    except ConfigError:
        raise
    except Exception as error:  # a corrupt file, a pickle that weights_only refuses
        raise _unusable(location, f"{type(error).__name__}: {str(error)[:300]}") from error
    config = resnet_shape(weights, location)
    if mean is None or std is None:
        return Checkpoint(str(location.resolve()), weights, config, None, None)
    if len(mean) != config["in_channels"]:
        mean, std = _spread(mean, config["in_channels"]), _spread(std, config["in_channels"])
    return Checkpoint(str(location.resolve()), weights, config, [float(v) for v in mean], [float(v) for v in std])


def _normalisation(file: Path, weights: dict[str, Any]) -> tuple[list[float] | None, list[float] | None]:
    """The inputs' normalisation in pretraining: a safetensors file's metadata may say it
    (``{"mean": "[0.13]", "std": "[0.31]"}``); else ImageNet's for a colour network (torchvision's
    and timm's), and unknown for a grey one."""
    if file.suffix.lower() == ".safetensors":
        from safetensors import safe_open

        with safe_open(str(file), "pt") as opened:
            metadata = opened.metadata() or {}
        if "mean" in metadata and "std" in metadata:
            return json.loads(metadata["mean"]), json.loads(metadata["std"])
    colour = "conv1.weight" in weights and weights["conv1.weight"].shape[1] == 3
    return (IMAGENET_MEAN, IMAGENET_STD) if colour else (None, None)


def _unusable(location: Path, error: str) -> ConfigError:
    return ConfigError(ERROR_KEY, path=str(location), error=error)


def _spread(values: list[float], channels: int) -> list[float]:
    mean = sum(values) / len(values)
    return [mean] * channels


def _state_dict(file: Path) -> dict[str, Any]:
    if file.suffix.lower() == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(file))
    import torch

    state = torch.load(str(file), map_location="cpu", weights_only=True)
    for _ in range(3):  # {"state_dict": {...}}, {"model": {"module": ...}}
        wrapped = next((state[key] for key in WRAPPERS if isinstance(state, dict) and isinstance(state.get(key), dict)), None)
        if wrapped is None:
            break
        state = wrapped
    if not isinstance(state, dict):
        raise ValueError(f"the file holds a {type(state).__name__}, not a state dict of tensors")
    return {re.sub(r"^(module\.|model\.)", "", name): value for name, value in state.items()
            if hasattr(value, "shape")}


def _read_folder(folder: Path) -> tuple[dict[str, Any], list[float], list[float]]:
    if (folder / MANABU_SIDECAR).is_file():
        from safetensors.torch import load_file

        sidecar = json.loads((folder / MANABU_SIDECAR).read_text("utf-8"))
        return load_file(str(folder / MANABU_WEIGHTS)), sidecar["mean"], sidecar["std"]
    if (folder / "config.json").is_file():
        return _hugging_face(folder)
    raise _unusable(folder, "the folder holds neither a Hugging Face checkpoint (config.json) nor a manabu image model")


def _hugging_face(folder: Path) -> tuple[dict[str, Any], list[float], list[float]]:
    """A transformers ``ResNetForImageClassification`` folder, in torchvision's names."""
    config = json.loads((folder / "config.json").read_text("utf-8"))
    if config.get("model_type") != "resnet":
        raise _unusable(folder, f"model_type {config.get('model_type')!r}: only ResNets (model_type \"resnet\") are read")
    if config.get("downsample_in_bottleneck") or config.get("downsample_in_first_stage"):
        raise _unusable(folder, "this ResNet variant strides where torchvision's does not (downsample_in_bottleneck "
                                "or downsample_in_first_stage)")
    file = next((folder / name for name in HF_WEIGHTS if (folder / name).is_file()), None)
    if file is None:
        raise _unusable(folder, f"no weights file ({' or '.join(HF_WEIGHTS)})")
    weights = {_torchvision_name(name): value for name, value in _state_dict(file).items()}
    mean, std = IMAGENET_MEAN, IMAGENET_STD
    processor = folder / "preprocessor_config.json"
    if processor.is_file():
        settings = json.loads(processor.read_text("utf-8"))
        mean, std = settings.get("image_mean", mean), settings.get("image_std", std)
    return {name: value for name, value in weights.items() if name is not None}, mean, std


_HF_NAMES = (
    (r"^resnet\.embedder\.embedder\.convolution\.", "conv1."),
    (r"^resnet\.embedder\.embedder\.normalization\.", "bn1."),
    (r"^resnet\.encoder\.stages\.(\d+)\.layers\.(\d+)\.shortcut\.convolution\.",
     lambda m: f"layer{int(m[1]) + 1}.{m[2]}.downsample.0."),
    (r"^resnet\.encoder\.stages\.(\d+)\.layers\.(\d+)\.shortcut\.normalization\.",
     lambda m: f"layer{int(m[1]) + 1}.{m[2]}.downsample.1."),
    (r"^resnet\.encoder\.stages\.(\d+)\.layers\.(\d+)\.layer\.(\d+)\.convolution\.",
     lambda m: f"layer{int(m[1]) + 1}.{m[2]}.conv{int(m[3]) + 1}."),
    (r"^resnet\.encoder\.stages\.(\d+)\.layers\.(\d+)\.layer\.(\d+)\.normalization\.",
     lambda m: f"layer{int(m[1]) + 1}.{m[2]}.bn{int(m[3]) + 1}."),
    (r"^classifier\.1\.", "fc."),
)


def _torchvision_name(name: str) -> str | None:
    for pattern, replacement in _HF_NAMES:
        renamed, count = re.subn(pattern, replacement, name)
        if count:
            return renamed
    return None  # a buffer of transformers' own, with no counterpart


def resnet_shape(weights: dict[str, Any], where: Path | str = "") -> dict[str, Any]:
    """The ``deep.networks`` description of a ResNet, read from its weights' shapes."""
    if "conv1.weight" not in weights or "layer1.0.conv1.weight" not in weights:
        names = ", ".join(list(weights)[:6]) or "none"
        raise _unusable(Path(where), f"not a ResNet in torchvision's names (conv1, layer1.0.conv1, …); "
                                     f"its first parameters are: {names}")
    stem_kernel = weights["conv1.weight"].shape[-1]
    block = "bottleneck" if "layer1.0.conv3.weight" in weights else "basic"
    stages = 0
    while f"layer{stages + 1}.0.conv1.weight" in weights:
        stages += 1
    blocks = [len({name.split(".")[1] for name in weights if name.startswith(f"layer{s}.")}) for s in range(1, stages + 1)]
    widths = [int(weights[f"layer{s}.0.conv1.weight"].shape[0]) for s in range(1, stages + 1)] \
        if block == "bottleneck" else [int(weights[f"layer{s}.0.conv2.weight"].shape[0]) for s in range(1, stages + 1)]
    stem = "imagenet" if stem_kernel == 7 else "small"
    # the first stage halves the map only in our small-stem networks, where its shortcut then
    # has a convolution although its width does not change
    first_halves = stem == "small" and block == "basic" and "layer1.0.downsample.0.weight" in weights
    return {"architecture": "resnet", "in_channels": int(weights["conv1.weight"].shape[1]),
            "n_outputs": int(weights["fc.weight"].shape[0]) if "fc.weight" in weights else 0,
            "stem": stem, "stem_width": int(weights["conv1.weight"].shape[0]), "block": block, "widths": widths, "blocks": blocks,
            "strides": [2 if first_halves else 1] + [2] * (stages - 1), "dropout": 0.0}
