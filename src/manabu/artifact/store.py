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
from pathlib import Path, PurePosixPath
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from manabu.base.errors import ArtifactError

from .codecs import SKOPS_FORMAT, codec_for, container_codec, container_for, model_codec
from .manifest import (
    ATTACHED_SUFFIXES,
    DERIVED_FILES,
    MANIFEST,
    PREPROCESS_FILE,
    SKOPS_MODEL_FILE,
    build_manifest,
    check_versions,
    dump_manifest,
    read_manifest,
)
from .sidecar import qualname
from .skops_codec import audit_skops, check_skops, checked, dump_skops, load_skops


def save_model(path: str | Path, pipeline: Any, metadata: dict[str, Any], *, overwrite: bool = False,
               derived: dict[str, bytes] | None = None, attached: dict[str, bytes] | None = None) -> Path:
    """Write ``pipeline`` (a fitted Pipeline, a bare estimator, or a model that a registered
    ``ContainerCodec`` stores, such as an ensemble) and ``metadata`` to the folder ``path``;
    return the folder. An existing folder
    is replaced only with ``overwrite=True``. ``derived`` files (``DERIVED_FILES``: the report)
    go into the folder with the rest, outside the checksums; ``attached`` data files (numpy
    arrays, ``ATTACHED_SUFFIXES``) within them, read back by ``load_model_attached``."""
    target = Path(path).expanduser().absolute()
    container = container_for(pipeline)
    if container is not None:
        files, description = container.encode(pipeline)
    else:
        files, description = encode_pipeline(as_pipeline(pipeline))
    clashing = [n for n in attached or {} if n in files or not n.endswith(ATTACHED_SUFFIXES)]
    if clashing:
        raise ValueError(f"not an attachable file name: {', '.join(clashing)}")
    files.update(attached or {})
    manifest = build_manifest(metadata, description, {name: _sha256(data) for name, data in files.items()})
    if attached:
        manifest["attached"] = sorted(attached)
    unknown = set(derived or {}) - DERIVED_FILES
    if unknown:
        raise ValueError(f"not a derived file: {', '.join(sorted(unknown))}")
    files.update(derived or {})
    files[MANIFEST] = dump_manifest(manifest)
    _check_target(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.tmp-{secrets.token_hex(6)}"
    os.mkdir(temporary)
    try:
        for name, data in files.items():  # the manifest last: a folder without it is not a model
            (temporary / name).parent.mkdir(parents=True, exist_ok=True)
            _write_file(temporary / name, data)
        for directory in _folders(temporary, files):  # the deepest first
            _fsync_dir(directory)
        _move_into_place(temporary, target, overwrite)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return target


def write_derived(path: str | Path, name: str, data: bytes) -> Path:
    """Replace the derived file ``name`` (the report) in the model folder ``path``, atomically:
    written beside the folder first (a crash leaves a stray file there, never an unexpected
    one inside the model), then renamed into place."""
    if name not in DERIVED_FILES:
        raise ValueError(f"not a derived file: {name}")
    folder = Path(path)
    read_manifest(folder)  # a model folder, or the usual message saying it is not one
    temporary = folder.parent / f".{folder.name}.{name}.tmp-{secrets.token_hex(6)}"
    try:
        _write_file(temporary, data)
        os.replace(temporary, folder / name)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_dir(folder)
    return folder / name


def verify(path: str | Path) -> dict[str, Any]:
    """Check a model folder without building the model: format version, every file's checksum,
    no unlisted file, library versions, and the types inside the skops files.

    Returns the manifest with ``load_warnings`` (a list of Notice dicts) added.
    """
    manifest, _ = _verified(Path(path), build=False)
    return manifest


def load_model(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """The pipeline and manifest of ``load_model_attached``, without the attached files."""
    pipeline, manifest, _ = load_model_attached(path)
    return pipeline, manifest


def load_model_attached(path: str | Path) -> tuple[Any, dict[str, Any], dict[str, bytes]]:
    """The pipeline (or the combined model, an ensemble say) saved in the folder ``path`` and its
    manifest, after ``verify``'s checks.

    The files are read once; the bytes that were checked are the bytes that are deserialised,
    and each file is checked once: its sha256 here, its types by ``check_skops`` here, and skops'
    own audit of them by ``skops.io.loads`` as it builds them.
    """
    folder = Path(path)
    manifest, blobs = _verified(folder, build=True)
    attached = {name: blobs.pop(name) for name in manifest.get("attached", [])}
    description = manifest["pipeline"]
    if "kind" in description:  # read_manifest checked that a codec knows the kind
        return container_codec(description["kind"]).decode(description, blobs, str(folder)), manifest, attached
    return decode_pipeline(description, blobs, "", str(folder)), manifest, attached


def _verified(folder: Path, build: bool) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and every listed file's bytes, after the checks. Every skops file is
    walked (``check_skops``) before any is built; with ``build`` its bytes come back as
    ``CheckedSkops``, which ``load_skops`` builds without walking them again, and skops' own
    audit is left to ``skops.io.loads``, which does it while building. Without ``build``
    (``verify``) skops' audit runs here, since nothing will be built."""
    manifest = read_manifest(folder)
    listed: dict[str, str] = manifest["files"]
    # the sub-folders that hold listed files (an ensemble's members/0, ...) are expected too
    parents = {parent.as_posix() for name in listed for parent in PurePosixPath(name).parents} - {"."}
    for entry in sorted(folder.rglob("*")):
        name = entry.relative_to(folder).as_posix()
        if entry.is_symlink():
            raise ArtifactError("artifact.outside_folder", path=str(folder), file=name)
        if name in DERIVED_FILES and entry.is_file():
            continue
        if not (name == MANIFEST or name in listed or (name in parents and entry.is_dir())):
            raise ArtifactError("artifact.unexpected_file", path=str(folder), file=name)
    root = folder.resolve()
    blobs: dict[str, bytes] = {}
    for name, digest in listed.items():
        file = folder / name
        if not file.is_file():
            raise ArtifactError("artifact.file_missing", path=str(folder), file=name)
        if not file.resolve().is_relative_to(root):
            raise ArtifactError("artifact.outside_folder", path=str(folder), file=name)
        data = file.read_bytes()
        if _sha256(data) != digest:
            raise ArtifactError("artifact.tampered", path=str(folder), file=name)
        blobs[name] = data
    notices = check_versions(manifest, folder)
    for name, data in blobs.items():
        if not name.endswith(".skops"):
            continue
        if build:
            blobs[name] = checked(data, name, str(folder))
        else:
            audit_skops(data, name, str(folder), check_skops(data, name, str(folder)))
    manifest["load_warnings"] = [notice.to_dict() for notice in notices]
    return manifest, blobs


def as_pipeline(pipeline: Any) -> Pipeline:
    """A bare estimator wrapped as a one-step pipeline, as storage keeps every model."""
    if isinstance(pipeline, Pipeline):
        return pipeline
    if isinstance(pipeline, BaseEstimator) or codec_for(pipeline) is not None:
        return Pipeline([("model", pipeline)])
    raise ArtifactError("artifact.unsupported_model", step="model", type=type(pipeline).__name__)


def encode_pipeline(pipeline: Pipeline) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The model files' bytes, and the manifest's description of the pipeline."""
    names = [name for name, _ in pipeline.steps]
    last_name, model = pipeline.steps[-1]
    files: dict[str, bytes] = {}
    if len(pipeline.steps) > 1:
        files[PREPROCESS_FILE] = dump_skops(Pipeline(pipeline.steps[:-1]), part="preprocessing")
    codec = codec_for(model)
    if codec is not None:
        files[codec.model_file], files[codec.sidecar_file] = codec.dump(model, last_name)
        model_format = codec.model_format
    elif isinstance(model, BaseEstimator):
        files[SKOPS_MODEL_FILE] = dump_skops(model, part=last_name)
        model_format = SKOPS_FORMAT
    else:
        raise ArtifactError("artifact.unsupported_model", step=last_name, type=qualname(model))
    return files, {"steps": names, "model_format": model_format, "model_class": qualname(model)}


def decode_pipeline(description: dict[str, Any], blobs: dict[str, bytes], prefix: str, folder: str) -> Pipeline:
    """The pipeline that ``encode_pipeline`` described, from its files under ``prefix``."""
    steps = description["steps"]
    preprocess: list[tuple[str, Any]] = []
    if prefix + PREPROCESS_FILE in blobs:
        file = prefix + PREPROCESS_FILE
        loaded = load_skops(blobs[file], file, folder)
        if not isinstance(loaded, Pipeline) or [name for name, _ in loaded.steps] != steps[:-1]:
            raise ArtifactError("artifact.load_failed", path=folder, file=file,
                                error="the preprocessing steps do not match the manifest")
        preprocess = list(loaded.steps)
    codec = model_codec(description["model_format"])
    if codec is not None:
        model = codec.load(blobs[prefix + codec.model_file], blobs[prefix + codec.sidecar_file], folder, prefix)
    else:
        model = load_skops(blobs[prefix + SKOPS_MODEL_FILE], prefix + SKOPS_MODEL_FILE, folder)
    return Pipeline([*preprocess, (steps[-1], model)])


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


def _folders(root: Path, files: dict[str, bytes]) -> list[Path]:
    """``root`` and every sub-folder that holds the files, the deepest first."""
    folders = {root}
    for name in files:
        folders.update(root / parent for parent in PurePosixPath(name).parents)
    return sorted(folders, key=lambda folder: len(folder.parts), reverse=True)


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
