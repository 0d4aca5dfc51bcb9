"""Shipping a model: the HTTP server, the registry, drift monitoring, retraining and packaging
(experiment tracking is part of a training run: ``manabu.training.tracking``). Each submodule is imported by the command that needs it, so this package
itself imports nothing heavy."""
from __future__ import annotations

import hashlib
from pathlib import Path


def model_fingerprint(folder: str | Path) -> str:
    """The sha256 of a model folder's manifest, which lists the checksum of every model file: the
    registry keeps it to notice a version that changed, the server shows its start as the version."""
    from manabu.artifact.manifest import MANIFEST  # its callers have loaded manabu.artifact already
    return hashlib.sha256((Path(folder) / MANIFEST).read_bytes()).hexdigest()
