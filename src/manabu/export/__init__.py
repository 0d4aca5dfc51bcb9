"""Show me the code: a trained model written out as a standalone script (``manabu export-code``)."""
from __future__ import annotations

from pathlib import Path

from manabu.artifact import read_manifest
from manabu.data.schema import Schema
from manabu.base.errors import ArtifactError
from manabu.export.script import export_script

__all__ = ["export_script", "script_for_folder"]


def script_for_folder(model_dir: str | Path) -> str:
    """The script for a saved model, from its manifest alone (no model file is loaded)."""
    manifest = read_manifest(Path(model_dir))
    if "schema" not in manifest or "training" not in manifest:
        raise ArtifactError("artifact.not_trained", path=str(model_dir))
    return export_script(Schema.from_dict(manifest["schema"]), manifest["training"], str(model_dir))
