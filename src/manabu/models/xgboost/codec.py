"""XGBoost estimators to and from the booster's native UBJSON plus a small JSON sidecar.

UBJSON is XGBoost's own binary JSON (``Booster.save_raw``): the trees, the objective, the
feature types (categorical or not) and the best iteration of early stopping. The sidecar holds
what the scikit-learn wrapper keeps around the booster: its class, its parameters and, for a
classifier, its number of classes and labels.
"""
from __future__ import annotations

from typing import Any

from manabu.base.loaded import instance_of
from manabu.artifact.codecs import ModelCodec
from manabu.base.errors import ArtifactError
from manabu.base.trust import register_moved, register_trusted

from manabu.artifact.sidecar import (
    decode_classes,
    decode_params,
    dump_sidecar,
    encode_classes,
    encode_params,
    qualname,
    read_sidecar,
    trusted_class,
)

FAMILY_MODULE = "manabu.models.xgboost.family"
SIDECAR_VERSION = 1
MODEL_FILE = "model.xgb.ubj"
SIDECAR_FILE = "model.xgb.json"


def is_xgboost(estimator: Any) -> bool:
    """True for XGBoost's scikit-learn estimators (and their subclasses)."""
    return instance_of(estimator, "xgboost", "XGBModel")


def dump_xgboost(estimator: Any, step: str) -> tuple[bytes, bytes]:
    """(booster UBJSON, sidecar JSON) for a fitted XGBClassifier/XGBRegressor."""
    from xgboost import XGBClassifier, XGBRegressor

    if not isinstance(estimator, (XGBClassifier, XGBRegressor)):
        raise ArtifactError("artifact.unsupported_model", step=step, type=qualname(estimator))
    params = estimator.get_params(deep=False)
    for name in ("objective", "eval_metric"):
        if callable(params.get(name)):
            raise ArtifactError("artifact.custom_objective", library="XGBoost",
                                objective=getattr(params[name], "__name__", repr(params[name])))
    raw = bytes(estimator.get_booster().save_raw(raw_format="ubj"))
    sidecar: dict[str, Any] = {
        "sidecar_version": SIDECAR_VERSION,
        "class": qualname(estimator),
        "params": encode_params(params, where=f"{step}.params"),
        "n_classes": int(estimator.n_classes_) if isinstance(estimator, XGBClassifier) else None,
        # manabu's classifier keeps its labels (XGBoost's own knows only 0..k-1)
        "labels": encode_classes(estimator.labels_) if getattr(estimator, "labels_", None) is not None else None,
    }
    return raw, dump_sidecar(sidecar)


def load_xgboost(raw: bytes, sidecar_bytes: bytes, folder: str, prefix: str = "") -> Any:
    """The fitted estimator rebuilt from ``dump_xgboost``'s output (already checksum-verified);
    ``prefix`` is the files' sub-folder in the model folder (an ensemble member's)."""
    import xgboost
    from xgboost import XGBClassifier, XGBModel

    sidecar_file = prefix + SIDECAR_FILE
    sidecar = read_sidecar(sidecar_bytes, folder, sidecar_file, ("class", "n_classes", "labels"))
    cls = trusted_class(sidecar["class"], folder, sidecar_file, XGBModel)
    params = decode_params(sidecar["params"], folder, sidecar_file)
    try:
        estimator = cls(**params)
        booster = xgboost.Booster(model_file=bytearray(raw))
        if estimator.n_jobs is not None:
            booster.set_param("nthread", estimator.n_jobs)  # as fit leaves it; the file has no threads
    except Exception as error:
        raise ArtifactError("artifact.load_failed", path=folder, file=prefix + MODEL_FILE,
                            error=f"{type(error).__name__}: {error}") from error
    # The state that XGBModel.fit leaves behind (xgboost/sklearn.py, XGBClassifier.fit).
    estimator._Booster = booster
    if isinstance(estimator, XGBClassifier):
        if not isinstance(sidecar["n_classes"], int) or sidecar["n_classes"] < 2:
            raise ArtifactError("artifact.corrupt_file", path=folder, file=sidecar_file, error="bad n_classes")
        estimator.n_classes_ = sidecar["n_classes"]
        if sidecar["labels"] is not None:
            labels = decode_classes(sidecar["labels"], folder, sidecar_file)
            if len(labels) != estimator.n_classes_:
                raise ArtifactError("artifact.corrupt_file", path=folder, file=sidecar_file,
                                    error="labels do not match n_classes")
            estimator.labels_ = labels
    return estimator


CODEC = ModelCodec("xgboost", MODEL_FILE, SIDECAR_FILE, "xgboost", is_xgboost, dump_xgboost, load_xgboost, distributions=("xgboost", "xgboost-cpu"))

# XGBoost's own estimators, and where folders saved by manabu 0.1.0 name the family's (here, not
# in ``family``, so that those folders load before XGBoost is imported)
register_trusted("xgboost.sklearn.XGBClassifier", "xgboost.sklearn.XGBRegressor", native=True)
register_moved("manabu.models.xgboost_entry", FAMILY_MODULE, "EarlyStoppingXGBClassifier", "EarlyStoppingXGBRegressor")
