"""Saving a fitted pipeline as a model folder, atomically, and loading it back after checks.

A folder is written in full beside its target (``.NAME.tmp-XXXX``), flushed to disk, then
renamed into place; replacing a folder renames the old one aside first and deletes it last. A
crash or Ctrl-C at any point leaves the old folder or the new one, never a mixture.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from manabu.errors import ArtifactError

from .lightgbm_codec import dump_lightgbm, is_lightgbm, load_lightgbm
from .manifest import (
    LGB_MODEL_FILE,
    LGB_SIDECAR_FILE,
    MANIFEST,
    PREPROCESS_FILE,
    SKOPS_MODEL_FILE,
    build_manifest,
    check_versions,
    dump_manifest,
    read_manifest,
)
from .skops_codec import check_skops, dump_skops, load_skops


def save_model(path: str | Path, pipeline: Any, metadata: dict[str, Any], *, overwrite: bool = False) -> Path:
    """Write ``pipeline`` (a fitted Pipeline, or a bare estimator) and ``metadata`` to the folder
    ``path``; return the folder. An existing folder is replaced only with ``overwrite=True``."""
    target = Path(path).expanduser().absolute()
    pipeline = _as_pipeline(pipeline)
    files, description = _encode(pipeline)
    manifest = build_manifest(metadata, description, {name: _sha256(data) for name, data in files.items()})
    files[MANIFEST] = dump_manifest(manifest)
    _check_target(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.tmp-{secrets.token_hex(6)}"
    os.mkdir(temporary)
    try:
        for name, data in files.items():  # the manifest last: a folder without it is not a model
            _write_file(temporary / name, data)
        _fsync_dir(temporary)
        _move_into_place(temporary, target, overwrite)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return target


def verify(path: str | Path) -> dict[str, Any]:
    """Check a model folder without building the model: format version, every file's checksum,
    no unlisted file, library versions, and the types inside the skops files.

    Returns the manifest with ``load_warnings`` (a list of Notice dicts) added.
    """
    manifest, _ = _verified(Path(path))
    return manifest


def load_model(path: str | Path) -> tuple[Pipeline, dict[str, Any]]:
    """The pipeline saved in the folder ``path`` and its manifest, after ``verify``'s checks.

    The files are read once; the bytes that were checked are the bytes that are deserialised.
    """
    folder = Path(path)
    manifest, blobs = _verified(folder)
    steps = manifest["pipeline"]["steps"]
    preprocess: list[tuple[str, Any]] = []
    if PREPROCESS_FILE in blobs:
        loaded = load_skops(blobs[PREPROCESS_FILE], PREPROCESS_FILE, str(folder))
        if not isinstance(loaded, Pipeline) or [name for name, _ in loaded.steps] != steps[:-1]:
            raise ArtifactError("artifact.load_failed", path=str(folder), file=PREPROCESS_FILE,
                                error="the preprocessing steps do not match the manifest")
        preprocess = list(loaded.steps)
    if manifest["pipeline"]["model_format"] == "lightgbm":
        model = load_lightgbm(blobs[LGB_MODEL_FILE], blobs[LGB_SIDECAR_FILE], str(folder))
    else:
        model = load_skops(blobs[SKOPS_MODEL_FILE], SKOPS_MODEL_FILE, str(folder))
    return Pipeline([*preprocess, (steps[-1], model)]), manifest


def _verified(folder: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    manifest = read_manifest(folder)
    listed: dict[str, str] = manifest["files"]
    for entry in sorted(folder.rglob("*")):
        name = entry.relative_to(folder).as_posix()
        if name != MANIFEST and name not in listed:
            raise ArtifactError("artifact.unexpected_file", path=str(folder), file=name)
    blobs: dict[str, bytes] = {}
    for name, digest in listed.items():
        file = folder / name
        if not file.is_file():
            raise ArtifactError("artifact.file_missing", path=str(folder), file=name)
        data = file.read_bytes()
        if _sha256(data) != digest:
            raise ArtifactError("artifact.tampered", path=str(folder), file=name)
        blobs[name] = data
    notices = check_versions(manifest, folder)
    for name, data in blobs.items():
        if name.endswith(".skops"):
            check_skops(data, name, str(folder))
    manifest["load_warnings"] = [notice.to_dict() for notice in notices]
    return manifest, blobs


def _as_pipeline(pipeline: Any) -> Pipeline:
    if isinstance(pipeline, Pipeline):
        return pipeline
    if isinstance(pipeline, BaseEstimator) or is_lightgbm(pipeline):
        return Pipeline([("model", pipeline)])
    raise ArtifactError("artifact.unsupported_model", step="model", type=type(pipeline).__name__)


def _encode(pipeline: Pipeline) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The model files' bytes, and the manifest's description of the pipeline."""
    names = [name for name, _ in pipeline.steps]
    last_name, model = pipeline.steps[-1]
    model_type = f"{type(model).__module__}.{type(model).__qualname__}"
    files: dict[str, bytes] = {}
    if len(pipeline.steps) > 1:
        files[PREPROCESS_FILE] = dump_skops(Pipeline(pipeline.steps[:-1]), part="preprocessing")
    if is_lightgbm(model):
        files[LGB_MODEL_FILE], files[LGB_SIDECAR_FILE] = dump_lightgbm(model, step=last_name)
        model_format = "lightgbm"
    elif isinstance(model, BaseEstimator):
        files[SKOPS_MODEL_FILE] = dump_skops(model, part=last_name)
        model_format = "skops"
    else:
        raise ArtifactError("artifact.unsupported_model", step=last_name, type=model_type)
    return files, {"steps": names, "model_format": model_format, "model_class": model_type}


def _check_target(target: Path, overwrite: bool) -> None:
    if not (target.exists() or target.is_symlink()):
        return
    if not overwrite:
        raise ArtifactError("artifact.exists", path=str(target))
    replaceable = target.is_dir() and not target.is_symlink() and (
        (target / MANIFEST).is_file() or not any(target.iterdir())
    )
    if not replaceable:
        raise ArtifactError("artifact.not_replaceable", path=str(target))


def _move_into_place(temporary: Path, target: Path, overwrite: bool) -> None:
    if not (target.exists() or target.is_symlink()):
        os.rename(temporary, target)
        _fsync_dir(target.parent)
        return
    _check_target(target, overwrite)  # it may have appeared while we were writing
    aside = target.parent / f".{target.name}.old-{secrets.token_hex(6)}"
    os.rename(target, aside)
    try:
        os.rename(temporary, target)
    except BaseException:
        os.rename(aside, target)
        raise
    _fsync_dir(target.parent)
    shutil.rmtree(aside, ignore_errors=True)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    """Make a rename or a new file durable (POSIX; Windows has no directory handles to sync)."""
    if os.name != "posix":
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
