"""A molecule network's folder files: its weights as safetensors (tensors only, never code), and
a JSON sidecar with the rest: the estimator's class and parameters, the network's description,
how molecules were turned into features (the featuriser's version and elements), the classes or
the target's scale, and the training log. Loading checks that the weights fit the described
network, and refuses features laid out by another featuriser version."""
from __future__ import annotations

from typing import Any

import numpy as np

from manabu.artifact.codecs import ModelCodec
from manabu.artifact.sidecar import (check_network, decode_params, dump_sidecar, encode_params, head_fields,
                                     load_weights, qualname, read_sidecar, restore_head, trusted_class)
from manabu.base.errors import ArtifactError
from manabu.base.jsonable import to_jsonable
from manabu.base.loaded import instance_of
from manabu.base.trust import register_trusted

FAMILY_MODULE = "manabu.models.molecules.family"
SIDECAR_VERSION = 1
MODEL_FILE = "model.safetensors"
SIDECAR_FILE = "model.mpnn.json"
_REQUIRED = ("class", "params", "config", "featuriser", "log")


def is_molecule_network(estimator: Any) -> bool:
    return instance_of(estimator, FAMILY_MODULE, "MoleculeNetwork")


def dump_network(estimator: Any, step: str) -> tuple[bytes, bytes]:
    from safetensors.numpy import save

    weights = {name: np.ascontiguousarray(value) for name, value in estimator.weights_.items()}
    sidecar: dict[str, Any] = {
        "sidecar_version": SIDECAR_VERSION, "class": qualname(estimator),
        "params": encode_params(estimator.get_params(deep=False), f"{step}.params"),
        "config": to_jsonable(estimator.config_, where=f"{step}.config"),
        "featuriser": to_jsonable(estimator.featuriser_, where=f"{step}.featuriser"),
        "log": to_jsonable(estimator.log_, where=f"{step}.log"),
        **head_fields(estimator),
    }
    return save(weights), dump_sidecar(sidecar)


def load_network(data: bytes, sidecar_bytes: bytes, folder: str, prefix: str = "") -> Any:
    from manabu.models.molecules.family import MoleculeNetwork
    from manabu.models.molecules.graphs import FEATURISER_VERSION

    sidecar_file = prefix + SIDECAR_FILE
    sidecar = read_sidecar(sidecar_bytes, folder, sidecar_file, _REQUIRED)
    cls = trusted_class(sidecar["class"], folder, sidecar_file, MoleculeNetwork)
    estimator = cls(**decode_params(sidecar["params"], folder, sidecar_file))
    if sidecar["featuriser"].get("version") != FEATURISER_VERSION:
        raise ArtifactError("artifact.load_failed", path=folder, file=sidecar_file,
                            error=f"molecule features of version {sidecar['featuriser'].get('version')}; "
                                  f"this manabu makes version {FEATURISER_VERSION}")
    load_weights(estimator, data, folder, prefix + MODEL_FILE)
    _restore(estimator, sidecar, folder, sidecar_file)
    check_network(estimator, folder, prefix + MODEL_FILE)
    return estimator


def _restore(estimator: Any, sidecar: dict[str, Any], folder: str, sidecar_file: str) -> None:
    """The fitted attributes beside the weights, as ``fit`` left them."""
    estimator.config_, estimator.featuriser_, estimator.log_ = sidecar["config"], sidecar["featuriser"], sidecar["log"]
    estimator.stopped_at_deadline_ = bool(sidecar["log"].get("stopped_at_deadline", False))
    estimator.n_unreadable_ = int(sidecar["log"].get("unreadable_smiles", 0))
    estimator.n_missing_ = int(sidecar["log"].get("missing_smiles", 0))
    restore_head(estimator, sidecar, folder, sidecar_file)


CODEC = ModelCodec("molecule_network", MODEL_FILE, SIDECAR_FILE, "torch", is_molecule_network, dump_network,
                   load_network, distributions=("torch",))

register_trusted(f"{FAMILY_MODULE}.MPNNClassifier", f"{FAMILY_MODULE}.MPNNRegressor", native=True)
