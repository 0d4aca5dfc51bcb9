"""manifest.json: what a model folder holds, who made it, and the checksum of every file.

It is read and checked before any model file is opened, so that a folder that was altered,
truncated or made by another version is refused with a message rather than half-loaded.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import platform
import re
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from manabu.base.errors import ArtifactError
from manabu.base.i18n import Notice

from manabu.base.jsonable import to_jsonable

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REPORT_FILE = "report.html"
# Files made from the manifest and kept beside it, never loaded, so not checksummed: the
# report can be rebuilt (``manabu report``) without the folder counting as tampered.
DERIVED_FILES = frozenset({REPORT_FILE})

PREPROCESS_FILE = "preprocess.skops"
SKOPS_MODEL_FILE = "model.skops"
LGB_MODEL_FILE = "model.lgb.txt"
LGB_SIDECAR_FILE = "model.lgb.json"
XGB_MODEL_FILE = "model.xgb.ubj"
XGB_SIDECAR_FILE = "model.xgb.json"
CBM_MODEL_FILE = "model.cbm"
CBM_SIDECAR_FILE = "model.cbm.json"
# model_format -> (model file, sidecar file) or (skops file,)
MODEL_FILES = {
    "skops": (SKOPS_MODEL_FILE,),
    "lightgbm": (LGB_MODEL_FILE, LGB_SIDECAR_FILE),
    "xgboost": (XGB_MODEL_FILE, XGB_SIDECAR_FILE),
    "catboost": (CBM_MODEL_FILE, CBM_SIDECAR_FILE),
}
# the native formats' model files, and the library that must read each
NATIVE_LIBRARY = {LGB_MODEL_FILE: "lightgbm", XGB_MODEL_FILE: "xgboost", CBM_MODEL_FILE: "catboost"}

# An ensemble folder keeps each member as a single-model folder would, under members/<i>/,
# and its stacker (a small scikit-learn model) beside the manifest.
ENSEMBLE = "ensemble"
MEMBERS_DIR = "members"
STACKER_FILE = "stacker.skops"
TASKS = ("binary", "multiclass", "regression")

LIBRARIES = ("numpy", "pandas", "scikit-learn", "lightgbm", "xgboost", "catboost", "skops")
# the distributions that provide a library, when they are named otherwise
DISTRIBUTIONS = {"xgboost": ("xgboost", "xgboost-cpu")}
RESERVED_KEYS = frozenset(
    {"format_version", "created_at", "manabu_version", "libraries", "pipeline", "files", "load_warnings"}
)

# relative paths inside the folder: each part starts with a letter or digit, so no "..", no
# hidden names, no absolute paths and no backslashes or drive letters
_FILE_NAME = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*/)*[A-Za-z0-9][A-Za-z0-9._-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_VERSION = re.compile(r"^(\d+)\.(\d+)")


def installed_versions() -> dict[str, str | None]:
    """Python and the libraries whose versions decide whether a model loads the same way."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        versions[name] = next(filter(None, map(_version_of, DISTRIBUTIONS.get(name, (name,)))), None)
    return versions


def manabu_version() -> str | None:
    return _version_of("manabu")


def _version_of(distribution: str) -> str | None:
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
    if pipeline.get("kind") == ENSEMBLE:
        expected = _ensemble_files(pipeline, invalid)
    elif "kind" not in pipeline:
        expected = _pipeline_files(pipeline, "", "pipeline", invalid)
    else:
        raise invalid(f"unknown pipeline kind {pipeline.get('kind')!r}")
    if set(files) != expected:
        raise invalid(f"files must be exactly {sorted(expected)}")


def member_prefix(index: int) -> str:
    """The sub-folder of an ensemble's member ``index``, as its files are named: members/0/."""
    return f"{MEMBERS_DIR}/{index}/"


def _pipeline_files(pipeline: Any, prefix: str, where: str, invalid) -> set[str]:
    """The files that one pipeline's description needs, under ``prefix``."""
    if not isinstance(pipeline, dict):
        raise invalid(f"{where} must be an object")
    steps = pipeline.get("steps")
    if not isinstance(steps, list) or not steps or not all(isinstance(s, str) and s for s in steps):
        raise invalid(f"{where}.steps must be a list of step names")
    model_format = pipeline.get("model_format")
    if model_format not in MODEL_FILES:
        raise invalid(f"unknown model_format {model_format!r}")
    names = set(MODEL_FILES[model_format]) | ({PREPROCESS_FILE} if len(steps) > 1 else set())
    return {prefix + name for name in names}


def _ensemble_files(ensemble: dict[str, Any], invalid) -> set[str]:
    """The files that an ensemble's description needs: each member's, and the stacker's."""
    if ensemble.get("task") not in TASKS:
        raise invalid("pipeline.task must be one of " + ", ".join(TASKS))
    n_classes = ensemble.get("n_classes")
    if not isinstance(n_classes, int) or isinstance(n_classes, bool) or n_classes < 0:
        raise invalid("pipeline.n_classes must be a non-negative integer")
    members = ensemble.get("members")
    if not isinstance(members, list) or not members:
        raise invalid("pipeline.members must list the ensemble's members")
    expected: set[str] = set()
    for index, member in enumerate(members):
        where = f"pipeline.members[{index}]"
        needed = _pipeline_files(member, member_prefix(index), where, invalid)
        if not isinstance(member.get("name"), str):
            raise invalid(f"{where}.name must be text")
        weight = member.get("weight")
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not math.isfinite(weight):
            raise invalid(f"{where}.weight must be a number")
        if not isinstance(member.get("files"), list) or set(member["files"]) != needed:
            raise invalid(f"{where}.files must be exactly {sorted(needed)}")
        expected |= needed
    stacker = ensemble.get("stacker")
    if stacker is not None:
        if not isinstance(stacker, dict) or stacker.get("file") != STACKER_FILE:
            raise invalid(f"pipeline.stacker must be null or name the file {STACKER_FILE}")
        expected.add(STACKER_FILE)
    return expected


def check_versions(manifest: dict[str, Any], folder: Path) -> list[Notice]:
    """Refuse versions that cannot load the files safely; return notices for the ones that can.

    skops files hold scikit-learn objects' internal state, which changes between minor versions,
    so scikit-learn must match to the minor version. The native formats of LightGBM, XGBoost and
    CatBoost are read within a major version. Other differences (Python, numpy, pandas, skops, manabu) are reported.
    """
    recorded: dict[str, str | None] = manifest["libraries"]
    installed = installed_versions()
    files = manifest["files"]
    notices: list[Notice] = []
    uses_skops = any(name.endswith(".skops") for name in files)
    native = {NATIVE_LIBRARY.get(name.rpartition("/")[2]) for name in files}

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
    for library in ("lightgbm", "xgboost", "catboost"):
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
