"""manifest.json: what a model folder holds, who made it, and the checksum of every file.

It is read and checked before any model file is opened, so that a folder that was altered,
truncated or made by another version is refused with a message rather than half-loaded.
"""
from __future__ import annotations

import datetime as dt
import json
import platform
import re
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from manabu.base.errors import ArtifactError
from manabu.base.i18n import Notice
from manabu.base.jsonable import to_jsonable

from .codecs import SKOPS_FORMAT, container_codec, model_codec, model_codecs, native_libraries

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REPORT_FILE = "report.html"
# Files made from the manifest and kept beside it, never loaded, so not checksummed: the
# report can be rebuilt (``manabu report``) without the folder counting as tampered.
DERIVED_FILES = frozenset({REPORT_FILE})

PREPROCESS_FILE = "preprocess.skops"
SKOPS_MODEL_FILE = "model.skops"

# the libraries every folder may need; the native formats' libraries come from their codecs
LIBRARIES = ("numpy", "pandas", "scikit-learn", "skops")
RESERVED_KEYS = frozenset(
    {"format_version", "created_at", "manabu_version", "libraries", "pipeline", "files", "load_warnings", "attached"}
)
# Data files kept with a model beside its pipeline (the training molecules' fingerprints), listed
# under "attached", checksummed like the model's files and read as numpy arrays without pickle
ATTACHED_SUFFIXES = (".npy", ".npz")

# relative paths inside the folder: each part starts with a letter or digit, so no "..", no
# hidden names, no absolute paths and no backslashes or drive letters
_FILE_NAME = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*/)*[A-Za-z0-9][A-Za-z0-9._-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_VERSION = re.compile(r"^(\d+)\.(\d+)")


def installed_versions() -> dict[str, str | None]:
    """Python and the libraries whose versions decide whether a model loads the same way: the
    common ones and those of every registered native format."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in (*LIBRARIES, *(codec.library for codec in model_codecs())):
        versions[name] = next(filter(None, map(version_of, distributions_of(name))), None)
    return versions


def distributions_of(library: str) -> tuple[str, ...]:
    """The pip distributions that may provide ``library`` (xgboost is xgboost-cpu here)."""
    codec = next((codec for codec in model_codecs() if codec.library == library), None)
    return (codec.distributions if codec is not None and codec.distributions else (library,))


def manabu_version() -> str | None:
    return version_of("manabu")


def version_of(distribution: str) -> str | None:
    try:
        return importlib_metadata.version(distribution)
    except importlib_metadata.PackageNotFoundError:
        return None


def build_manifest(metadata: dict[str, Any], pipeline: dict[str, Any], files: dict[str, str]) -> dict[str, Any]:
    """The manifest for a new folder: the caller's metadata beside what manabu records itself."""
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict, not {type(metadata).__name__}")
    for key in metadata:
        if key in RESERVED_KEYS:
            raise ArtifactError("artifact.reserved_key", name=str(key))
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "manabu_version": manabu_version(),
        "libraries": installed_versions(),
        "pipeline": pipeline,
    }
    manifest.update(to_jsonable(metadata))
    manifest["files"] = dict(sorted(files.items()))
    return manifest


def dump_manifest(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8")


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The parsed and validated manifest of the model folder ``path``; no model file is opened."""
    folder = Path(path)
    if not folder.exists():
        raise ArtifactError("artifact.not_found", path=str(folder))
    if not folder.is_dir():
        raise ArtifactError("artifact.not_a_folder", path=str(folder))
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise ArtifactError("artifact.no_manifest", path=str(folder))
    try:
        manifest = json.loads(manifest_path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArtifactError("artifact.corrupt_manifest", path=str(folder), error=str(error)) from error
    validate_manifest(manifest, folder)
    return manifest


def validate_manifest(manifest: Any, folder: Path) -> None:
    """Check the structure that manabu relies on; the format version first, since a newer
    format may be laid out differently."""

    def invalid(problem: str) -> ArtifactError:
        return ArtifactError("artifact.invalid_manifest", path=str(folder), problem=problem)

    if not isinstance(manifest, dict):
        raise invalid("not a JSON object")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise invalid("format_version must be a positive integer")
    if version > FORMAT_VERSION:
        raise ArtifactError("artifact.newer_format", path=str(folder), version=version, supported=FORMAT_VERSION)
    libraries = manifest.get("libraries")
    if not isinstance(libraries, dict) or not all(isinstance(v, (str, type(None))) for v in libraries.values()):
        raise invalid("libraries must map names to versions")
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise invalid("files must list the model files and their sha256")
    for name, digest in files.items():
        if not _FILE_NAME.match(name) or name == MANIFEST:
            raise invalid(f"bad file name {name!r}")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise invalid(f"bad sha256 for {name!r}")
    pipeline = manifest.get("pipeline")
    if not isinstance(pipeline, dict):
        raise invalid("pipeline is missing")
    if "kind" not in pipeline:
        expected = pipeline_files(pipeline, "", "pipeline", invalid)
    else:
        container = container_codec(str(pipeline.get("kind")))
        if container is None:
            raise invalid(f"unknown pipeline kind {pipeline.get('kind')!r}")
        expected = container.expected_files(pipeline, invalid)
    attached = manifest.get("attached", [])
    if not isinstance(attached, list) or not all(isinstance(a, str) and a.endswith(ATTACHED_SUFFIXES)
                                                 for a in attached):
        raise invalid(f"attached must list data files ({', '.join(ATTACHED_SUFFIXES)})")
    if set(files) != expected | set(attached):
        raise invalid(f"files must be exactly {sorted(expected | set(attached))}")


def pipeline_files(pipeline: Any, prefix: str, where: str, invalid) -> set[str]:
    """The files that one pipeline's description needs, under ``prefix``; ``invalid(problem)``
    makes the error raised when the description is malformed."""
    if not isinstance(pipeline, dict):
        raise invalid(f"{where} must be an object")
    steps = pipeline.get("steps")
    if not isinstance(steps, list) or not steps or not all(isinstance(s, str) and s for s in steps):
        raise invalid(f"{where}.steps must be a list of step names")
    model_format = pipeline.get("model_format")
    codec = model_codec(model_format) if isinstance(model_format, str) else None
    if model_format != SKOPS_FORMAT and codec is None:
        raise invalid(f"unknown model_format {model_format!r}")
    model_files = codec.files if codec is not None else (SKOPS_MODEL_FILE,)
    names = set(model_files) | ({PREPROCESS_FILE} if len(steps) > 1 else set())
    return {prefix + name for name in names}


def check_versions(manifest: dict[str, Any], folder: Path) -> list[Notice]:
    """Refuse versions that cannot load the files safely; return notices for the ones that can.

    skops files hold scikit-learn objects' internal state, which changes between minor versions,
    so scikit-learn must match to the minor version. The native formats of LightGBM, XGBoost and
    CatBoost (each registered format's library) are read within a major version. Other differences (Python, numpy, pandas, skops, manabu) are reported.
    """
    recorded: dict[str, str | None] = manifest["libraries"]
    installed = installed_versions()
    files = manifest["files"]
    notices: list[Notice] = []
    uses_skops = any(name.endswith(".skops") for name in files)
    native_files = native_libraries()
    native = {native_files[name.rpartition("/")[2]].library for name in files
              if name.rpartition("/")[2] in native_files}

    def compare(library: str, strict_minor: bool, needed: bool) -> None:
        old, new = recorded.get(library), installed.get(library)
        if old is None:
            return
        if new is None:
            if needed:
                raise ArtifactError("artifact.library_missing", path=str(folder), library=library, recorded=old)
            return
        old_mm, new_mm = _major_minor(old), _major_minor(new)
        if old_mm is None or new_mm is None or old_mm == new_mm:
            return
        if needed and (old_mm[0] != new_mm[0] or strict_minor):
            key = "artifact.sklearn_version" if library == "scikit-learn" else "artifact.library_version"
            raise ArtifactError(key, path=str(folder), library=library, recorded=old, installed=new)
        notices.append(
            Notice("artifact.version_differs", {"path": str(folder), "library": library, "recorded": old, "installed": new})
        )

    compare("scikit-learn", strict_minor=True, needed=uses_skops)
    for library in dict.fromkeys(codec.library for codec in native_files.values()):
        compare(library, strict_minor=False, needed=library in native)
    compare("skops", strict_minor=False, needed=False)
    for library in ("python", "numpy", "pandas"):
        compare(library, strict_minor=False, needed=False)
    old_manabu, new_manabu = manifest.get("manabu_version"), manabu_version()
    if isinstance(old_manabu, str) and new_manabu and _major_minor(old_manabu) != _major_minor(new_manabu):
        notices.append(
            Notice("artifact.version_differs",
                   {"path": str(folder), "library": "manabu", "recorded": old_manabu, "installed": new_manabu})
        )
    return notices


def _major_minor(version: str) -> tuple[int, int] | None:
    match = _VERSION.match(version)
    return (int(match.group(1)), int(match.group(2))) if match else None
