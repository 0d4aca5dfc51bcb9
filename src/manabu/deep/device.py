"""Where a network trains: ``auto`` takes the GPU when PyTorch sees one, ``cpu`` and ``cuda`` are
the user's choice (``--device``). A GPU asked for and not there is refused in one sentence."""
from __future__ import annotations

from manabu.base.errors import ConfigError

DEVICES = ("auto", "cpu", "cuda")


def torch_device(name: str = "auto"):
    """The ``torch.device`` for ``name`` (one of DEVICES)."""
    import torch

    if name not in DEVICES:
        raise ConfigError("deep.unknown_device", device=name, choices=", ".join(DEVICES))
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("deep.no_cuda")
    return torch.device(name)


def autocast(device):
    """Mixed precision where it pays: bfloat16 on a GPU (no loss scaling needed), none on the
    CPU, where bfloat16 matrix products are slower than float32 on most machines."""
    import contextlib

    import torch

    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
