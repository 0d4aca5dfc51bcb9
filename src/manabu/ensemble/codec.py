"""How storage keeps an ensemble: each member as a single pipeline would be kept, under
``members/<i>/``, the stacker (a small scikit-learn model) as ``stacker.skops``, and a
description (members, weights, task, number of classes) in the manifest.

Registered into storage's codec registry (``manabu.artifact.codecs``), so that storage itself
names no ensemble.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from manabu.artifact.codecs import ContainerCodec, register_codec
from manabu.artifact.manifest import pipeline_files
from manabu.artifact.sidecar import qualname
from manabu.artifact.skops_codec import dump_skops, load_skops
from manabu.artifact.store import as_pipeline, decode_pipeline, encode_pipeline
from manabu.base.errors import ArtifactError
from manabu.ensemble.model import Ensemble

KIND = "ensemble"
MEMBERS_DIR = "members"
STACKER_FILE = "stacker.skops"
TASKS = ("binary", "multiclass", "regression")
CLASS_NAME = f"{Ensemble.__module__}.{Ensemble.__qualname__}"


def member_prefix(index: int) -> str:
    """The sub-folder of an ensemble's member ``index``, as its files are named: members/0/."""
    return f"{MEMBERS_DIR}/{index}/"


def encode(ensemble: Ensemble) -> tuple[dict[str, bytes], dict[str, Any]]:
    files: dict[str, bytes] = {}
    members = []
    for index, ((name, pipeline), weight) in enumerate(zip(ensemble.members, ensemble.weights, strict=True)):
        member_files, description = encode_pipeline(as_pipeline(pipeline))
        prefix = member_prefix(index)
        files.update({prefix + file: data for file, data in member_files.items()})
        members.append({"name": str(name), "weight": float(weight), **description,
                        "files": sorted(prefix + file for file in member_files)})
    stacker = None
    if ensemble.stacker is not None:
        files[STACKER_FILE] = dump_skops(ensemble.stacker, part="stacker")
        stacker = {"file": STACKER_FILE, "class": qualname(ensemble.stacker)}
    description = {"kind": KIND, "class": qualname(ensemble), "task": str(ensemble.task),
                   "n_classes": int(ensemble.n_classes), "members": members, "stacker": stacker}
    return files, description


def decode(description: dict[str, Any], blobs: dict[str, bytes], folder: str) -> Ensemble:
    if description.get("class") != CLASS_NAME:
        raise ArtifactError("artifact.untrusted_types", path=folder, file="manifest.json",
                            types=str(description.get("class")))
    members = [(member["name"], decode_pipeline(member, blobs, member_prefix(index), folder))
               for index, member in enumerate(description["members"])]
    stacker = None
    if description["stacker"] is not None:
        stacker = load_skops(blobs[STACKER_FILE], STACKER_FILE, folder)
    return Ensemble(members, [member["weight"] for member in description["members"]],
                    description["task"], description["n_classes"], stacker)


def expected_files(ensemble: dict[str, Any], invalid: Callable[[str], Exception]) -> set[str]:
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
        expected |= _member_files(member, index, invalid)
    stacker = ensemble.get("stacker")
    if stacker is not None:
        if not isinstance(stacker, dict) or stacker.get("file") != STACKER_FILE:
            raise invalid(f"pipeline.stacker must be null or name the file {STACKER_FILE}")
        expected.add(STACKER_FILE)
    return expected


def _member_files(member: Any, index: int, invalid: Callable[[str], Exception]) -> set[str]:
    where = f"pipeline.members[{index}]"
    needed = pipeline_files(member, member_prefix(index), where, invalid)
    if not isinstance(member.get("name"), str):
        raise invalid(f"{where}.name must be text")
    weight = member.get("weight")
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not math.isfinite(weight):
        raise invalid(f"{where}.weight must be a number")
    if not isinstance(member.get("files"), list) or set(member["files"]) != needed:
        raise invalid(f"{where}.files must be exactly {sorted(needed)}")
    return needed


CODEC = ContainerCodec(KIND, CLASS_NAME, lambda model: isinstance(model, Ensemble), encode, decode, expected_files)
register_codec(CODEC)
