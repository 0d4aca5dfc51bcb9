"""LightGBM estimators to and from the booster's native text plus a small JSON sidecar.

The text format is LightGBM's own, readable and stable within a major version; the sidecar holds
what the scikit-learn wrapper needs around the booster (its class and parameters, the classes
and their dtype, the objective, the feature names). Loading rebuilds the wrapper the way ``fit``
leaves it, so ``predict`` and ``predict_proba`` give the same numbers as before saving.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from manabu.base.loaded import instance_of
from manabu.artifact.codecs import ModelCodec
from manabu.base.errors import ArtifactError
from manabu.base.trust import register_moved, register_trusted
from manabu.base.jsonable import to_jsonable
from manabu.artifact.sidecar import decode_classes, dump_sidecar, encode_classes, qualname, read_sidecar, trusted_class

FAMILY_MODULE = "manabu.models.lightgbm.family"
SIDECAR_VERSION = 1
MODEL_FILE = "model.lgb.txt"
SIDECAR_FILE = "model.lgb.json"
_REQUIRED = ("class", "objective", "n_features_in", "fitted_with_feature_names", "best_iteration")


def is_lightgbm(estimator: Any) -> bool:
    """True for LightGBM's scikit-learn estimators (and their subclasses)."""
    return instance_of(estimator, "lightgbm", "LGBMModel")


def dump_lightgbm(estimator: Any, step: str) -> tuple[bytes, bytes]:
    """(model text, sidecar JSON) for a fitted LGBMClassifier/LGBMRegressor."""
    from lightgbm import LGBMClassifier, LGBMRegressor

    if not isinstance(estimator, (LGBMClassifier, LGBMRegressor)):
        raise ArtifactError("artifact.unsupported_model", step=step, type=qualname(estimator))
    objective = estimator.objective_
    if callable(objective) or callable(estimator.get_params().get("objective")):
        raise ArtifactError("artifact.lightgbm_callable", objective=getattr(objective, "__name__", repr(objective)))
    booster = estimator.booster_
    text = booster.model_to_string(num_iteration=-1)
    params = estimator.get_params(deep=False)
    class_weight = params.pop("class_weight", None)
    sidecar: dict[str, Any] = {
        "sidecar_version": SIDECAR_VERSION,
        "class": qualname(estimator),
        "params": to_jsonable(params, where=f"{step}.params"),
        "class_weight": _encode_class_weight(class_weight, step),
        "objective": objective,
        "n_features": int(booster.num_feature()),
        "n_features_in": int(estimator.n_features_in_),
        "fitted_with_feature_names": bool(estimator._fitted_with_feature_names),
        "feature_names": list(booster.feature_name()),
        "categorical_features": to_jsonable(booster.params.get("categorical_column", [])),
        "best_iteration": int(estimator.best_iteration_),
        "classes": encode_classes(estimator.classes_) if isinstance(estimator, LGBMClassifier) else None,
    }
    return text.encode("utf-8"), dump_sidecar(sidecar)


def load_lightgbm(text: bytes, sidecar_bytes: bytes, folder: str, prefix: str = "") -> Any:
    """The fitted estimator rebuilt from ``dump_lightgbm``'s output (already checksum-verified);
    ``prefix`` is the files' sub-folder in the model folder (an ensemble member's)."""
    import lightgbm
    from lightgbm import LGBMClassifier, LGBMModel

    sidecar_file = prefix + SIDECAR_FILE
    sidecar = read_sidecar(sidecar_bytes, folder, sidecar_file, _REQUIRED)
    cls = trusted_class(sidecar["class"], folder, sidecar_file, LGBMModel)
    params = dict(sidecar["params"])
    if sidecar.get("class_weight") is not None:
        params["class_weight"] = _decode_class_weight(sidecar["class_weight"])
    try:
        estimator = cls(**params)
        booster = lightgbm.Booster(model_str=text.decode("utf-8"))
    except Exception as error:
        raise ArtifactError("artifact.load_failed", path=folder, file=prefix + MODEL_FILE, error=f"{type(error).__name__}: {error}") from error
    booster.best_iteration = sidecar["best_iteration"]
    # The state that LGBMModel.fit leaves behind (lightgbm/sklearn.py, LGBMModel.fit).
    estimator._Booster = booster
    estimator._n_features = booster.num_feature()
    estimator._n_features_in = sidecar["n_features_in"]
    estimator._fitted_with_feature_names = sidecar["fitted_with_feature_names"]
    estimator._objective = sidecar["objective"]
    estimator._best_iteration = sidecar["best_iteration"]
    estimator._best_score = {}
    estimator._evals_result = {}
    if isinstance(estimator, LGBMClassifier):
        _restore_classes(estimator, decode_classes(sidecar["classes"], folder, sidecar_file))
    estimator.fitted_ = True
    return estimator


def _restore_classes(estimator: Any, classes: np.ndarray) -> None:
    """What LGBMClassifier.fit sets from the labels (its label encoder is scikit-learn's)."""
    from sklearn.preprocessing import LabelEncoder

    encoder = LabelEncoder()
    encoder.classes_ = classes
    estimator._le = encoder
    estimator._classes = classes
    estimator._n_classes = len(classes)
    estimator._class_map = dict(zip(classes, range(len(classes)), strict=True))
    if isinstance(estimator.class_weight, dict):
        estimator._class_weight = {estimator._class_map[k]: v for k, v in estimator.class_weight.items()}


def _encode_class_weight(class_weight: Any, step: str) -> Any:
    # A dict's keys are class labels (often ints); keep them as pairs, since JSON keys are text.
    if isinstance(class_weight, dict):
        return {"pairs": to_jsonable([[k, v] for k, v in class_weight.items()], where=f"{step}.class_weight")}
    return to_jsonable(class_weight, where=f"{step}.class_weight")


def _decode_class_weight(encoded: Any) -> Any:
    if isinstance(encoded, dict) and "pairs" in encoded:
        return {k: v for k, v in encoded["pairs"]}
    return encoded


CODEC = ModelCodec("lightgbm", MODEL_FILE, SIDECAR_FILE, "lightgbm", is_lightgbm, dump_lightgbm, load_lightgbm, distributions=())

# LightGBM's own estimators, and where folders saved by manabu 0.1.0 name the family's (here, not
# in ``family``, so that those folders load before LightGBM is imported)
register_trusted("lightgbm.sklearn.LGBMClassifier", "lightgbm.sklearn.LGBMRegressor")
register_moved("manabu.models.boosting", FAMILY_MODULE, "EarlyStoppingLGBMClassifier", "EarlyStoppingLGBMRegressor")
