"""CatBoost estimators to and from CatBoost's native ``cbm`` format plus a small JSON sidecar.

The cbm file holds the trees, the categorical features' statistics and the class labels; the
sidecar holds the scikit-learn wrapper's class and its parameters, which cbm does not keep in
the form the wrapper was built with.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from manabu.base.loaded import instance_of
from manabu.artifact.codecs import ModelCodec
from manabu.base.errors import ArtifactError
from manabu.base.trust import register_moved, register_trusted

from manabu.artifact.sidecar import decode_params, dump_sidecar, encode_params, qualname, read_sidecar, trusted_class

FAMILY_MODULE = "manabu.models.catboost.family"
SIDECAR_VERSION = 1
MODEL_FILE = "model.cbm"
SIDECAR_FILE = "model.cbm.json"


def is_catboost(estimator: Any) -> bool:
    """True for CatBoost's models (and their subclasses)."""
    return instance_of(estimator, "catboost", "CatBoost")


def dump_catboost(estimator: Any, step: str) -> tuple[bytes, bytes]:
    """(cbm bytes, sidecar JSON) for a fitted CatBoostClassifier/CatBoostRegressor."""
    from catboost import CatBoostClassifier, CatBoostRegressor

    if not isinstance(estimator, (CatBoostClassifier, CatBoostRegressor)) or not estimator.is_fitted():
        raise ArtifactError("artifact.unsupported_model", step=step, type=qualname(estimator))
    params = estimator.get_params()
    for name in ("loss_function", "eval_metric"):
        if params.get(name) is not None and not isinstance(params[name], str):
            raise ArtifactError("artifact.custom_objective", library="CatBoost",
                                objective=type(params[name]).__name__)
    # CatBoost writes cbm only to a file; the folder is private to this call
    with tempfile.TemporaryDirectory(prefix="manabu-cbm-") as scratch:
        path = Path(scratch) / MODEL_FILE
        estimator.save_model(str(path), format="cbm")
        data = path.read_bytes()
    sidecar = {
        "sidecar_version": SIDECAR_VERSION,
        "class": qualname(estimator),
        "params": encode_params(params, where=f"{step}.params"),
    }
    return data, dump_sidecar(sidecar)


def load_catboost(data: bytes, sidecar_bytes: bytes, folder: str, prefix: str = "") -> Any:
    """The fitted estimator rebuilt from ``dump_catboost``'s output (already checksum-verified);
    ``prefix`` is the files' sub-folder in the model folder (an ensemble member's)."""
    from catboost import CatBoost

    sidecar_file = prefix + SIDECAR_FILE
    sidecar = read_sidecar(sidecar_bytes, folder, sidecar_file, ("class",))
    cls = trusted_class(sidecar["class"], folder, sidecar_file, CatBoost)
    params = decode_params(sidecar["params"], folder, sidecar_file)
    try:
        estimator = cls(**params)
        estimator.load_model(blob=data, format="cbm")
    except Exception as error:
        raise ArtifactError("artifact.load_failed", path=folder, file=prefix + MODEL_FILE,
                            error=f"{type(error).__name__}: {error}") from error
    return estimator


CODEC = ModelCodec("catboost", MODEL_FILE, SIDECAR_FILE, "catboost", is_catboost, dump_catboost, load_catboost, distributions=())

# CatBoost's own estimators, and where folders saved by manabu 0.1.0 name the family's (here, not
# in ``family``, so that those folders load before CatBoost is imported)
register_trusted("catboost.core.CatBoostClassifier", "catboost.core.CatBoostRegressor", native=True)
register_moved("manabu.models.catboost_entry", FAMILY_MODULE,
               "EarlyStoppingCatBoostClassifier", "EarlyStoppingCatBoostRegressor")
