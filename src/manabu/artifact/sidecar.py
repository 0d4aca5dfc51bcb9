"""What the native-format codecs share: the JSON sidecar beside a booster file, the exact
round trip of a wrapper's parameters through JSON, and importing a class only when trusted.

A sidecar names the scikit-learn wrapper's class and holds its parameters; loading imports that
class only when the allowlist names it and it is a subclass of the library's own base class.
"""
from __future__ import annotations

import importlib
import json
import math
from typing import Any

import numpy as np

from manabu.base.errors import ArtifactError

from manabu.base.jsonable import to_jsonable
from manabu.base.trust import current_name, trusted_native_types, widen_trust

_CLASS_DTYPE_KINDS = frozenset("biufUO")
# JSON has no tuples, non-finite floats or non-text keys; parameters holding them are tagged
_TUPLE, _FLOAT, _DICT = "__tuple__", "__float__", "__dict__"


def qualname(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def dump_sidecar(sidecar: dict[str, Any]) -> bytes:
    return json.dumps(sidecar, indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8")


def read_sidecar(data: bytes, folder: str, file: str, required: tuple[str, ...]) -> dict[str, Any]:
    """The parsed sidecar, refused as corrupt unless it is an object with ``required`` keys."""
    try:
        sidecar = json.loads(data.decode("utf-8"))
        if not isinstance(sidecar, dict) or not isinstance(sidecar.get("params"), dict):
            raise ValueError("not a model sidecar")
        for key in required:
            if key not in sidecar:
                raise ValueError(f"{key} is missing")
    except (UnicodeDecodeError, ValueError) as error:
        raise ArtifactError("artifact.corrupt_file", path=folder, file=file, error=str(error)) from error
    return sidecar


def encode_params(params: dict[str, Any], where: str) -> dict[str, Any]:
    """A wrapper's ``get_params()`` as JSON that ``decode_params`` turns back into equal values
    (tuples, NaN and dicts with non-text keys included); anything else is refused, naming it."""
    return {str(name): _encode_value(value, f"{where}[{name!r}]") for name, value in params.items()}


def _encode_value(value: Any, where: str) -> Any:
    if isinstance(value, np.generic) and not isinstance(value, (np.datetime64, np.timedelta64)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return {_FLOAT: repr(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {_TUPLE: [_encode_value(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {_DICT: [[_encode_value(k, where), _encode_value(v, f"{where}[{k!r}]")] for k, v in value.items()]}
    return to_jsonable(value, where)  # names the type in artifact.not_jsonable when it cannot


def decode_params(encoded: dict[str, Any], folder: str, file: str) -> dict[str, Any]:
    try:
        return {name: _decode_value(value) for name, value in encoded.items()}
    except (TypeError, ValueError) as error:
        raise ArtifactError("artifact.corrupt_file", path=folder, file=file, error=f"params: {error}") from error


def _decode_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise ValueError(f"unexpected object {sorted(value)}")
    (tag, content), = value.items()
    if tag == _FLOAT and content in ("nan", "inf", "-inf"):
        return float(content)
    if tag == _TUPLE and isinstance(content, list):
        return tuple(_decode_value(v) for v in content)
    if tag == _DICT and isinstance(content, list) and all(isinstance(p, list) and len(p) == 2 for p in content):
        return {_hashable(_decode_value(k)): _decode_value(v) for k, v in content}
    raise ValueError(f"unexpected object {tag!r}")


def _hashable(key: Any) -> Any:
    if isinstance(key, list):
        raise ValueError("a list cannot be a key")
    return key


def encode_classes(classes: np.ndarray) -> dict[str, Any]:
    dtype = "object" if classes.dtype == object else classes.dtype.str
    return {"dtype": dtype, "values": to_jsonable(classes.tolist(), where="classes_")}


def decode_classes(encoded: Any, folder: str, file: str) -> np.ndarray:
    try:
        dtype = np.dtype(encoded["dtype"]) if encoded["dtype"] != "object" else np.dtype(object)
        if dtype.kind not in _CLASS_DTYPE_KINDS:
            raise ValueError(f"unexpected dtype {dtype}")
        return np.array(encoded["values"], dtype=dtype)
    except (KeyError, TypeError, ValueError) as error:
        raise ArtifactError("artifact.load_failed", path=folder, file=file, error=f"classes: {error}") from error


def trusted_class(name: Any, folder: str, file: str, base: type) -> type:
    """Import the estimator class only when the allowlist names it (manabu's own modules are
    imported first so that they can register their subclasses), and only if it derives from
    ``base``, the library's own estimator class."""
    if not isinstance(name, str) or "." not in name:
        raise ArtifactError("artifact.corrupt_file", path=folder, file=file, error="bad class name")
    name = current_name(name)  # a class a family has moved since the folder was saved
    module, _, attribute = name.rpartition(".")
    if name not in trusted_native_types() and name.startswith("manabu."):
        try:
            importlib.import_module(module)
        except ImportError:
            pass
    if name not in trusted_native_types() and widen_trust():
        return trusted_class(name, folder, file, base)
    if name not in trusted_native_types():
        raise ArtifactError("artifact.untrusted_types", path=folder, file=file, types=name)
    try:
        cls = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as error:
        raise ArtifactError("artifact.load_failed", path=folder, file=file, error=str(error)) from error
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ArtifactError("artifact.untrusted_types", path=folder, file=file, types=name)
    return cls


# ---------------------------------------------------------------- a network family's sidecar

def head_fields(estimator: Any) -> dict[str, Any]:
    """What a network's task head learnt beside its weights: its classes, or the mean and
    spread its regression target was standardised by."""
    return {"classes": encode_classes(estimator.classes_) if hasattr(estimator, "classes_") else None,
            "target": [estimator.target_mean_, estimator.target_std_] if hasattr(estimator, "target_mean_") else None}


def restore_head(estimator: Any, sidecar: dict[str, Any], folder: str, file: str) -> None:
    """``head_fields`` set back on ``estimator``."""
    if sidecar.get("classes") is not None:
        estimator.classes_ = decode_classes(sidecar["classes"], folder, file)
    if sidecar.get("target") is not None:
        estimator.target_mean_, estimator.target_std_ = (float(v) for v in sidecar["target"])


def load_weights(estimator: Any, data: bytes, folder: str, file: str) -> None:
    """The safetensors weights of a network family, a damaged file named as such."""
    from safetensors.numpy import load

    try:
        estimator.weights_ = load(data)
    except Exception as error:
        raise ArtifactError("artifact.load_failed", path=folder, file=file,
                            error=f"{type(error).__name__}: {error}") from error


def check_network(estimator: Any, folder: str, file: str) -> None:
    """The weights must be exactly the described network's: the network is built now, so a
    mismatch is named at load rather than at the first prediction."""
    try:
        estimator.network()
    except Exception as error:
        raise ArtifactError("artifact.load_failed", path=folder, file=file,
                            error=f"{type(error).__name__}: {error}") from error
