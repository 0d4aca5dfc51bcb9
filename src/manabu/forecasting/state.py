"""A fitted statsforecast model as JSON and arrays, never a pickle.

statsforecast keeps a fitted model in plain attributes: numbers, strings, tuples, dicts, numpy
arrays, a DataFrame (MSTL's decomposition) and, inside MSTL, the fitted trend model. ``encode``
writes that tree as JSON with every array set aside (for safetensors); ``decode`` builds it back.
The only class a decoded tree may name is one of ``ALLOWED``, statsforecast's own models, made
without calling code of the file's choosing, so a model folder cannot run anything on loading.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from manabu.base.errors import ArtifactError

ALLOWED = frozenset({"Naive", "SeasonalNaive", "HistoricAverage", "RandomWalkWithDrift", "AutoETS", "AutoARIMA",
                     "AutoTheta", "MSTL", "ARIMA", "AutoCES", "Theta", "OptimizedTheta",
                     "DynamicTheta", "DynamicOptimizedTheta"})


def encode(value: Any, arrays: dict[str, np.ndarray], path: str) -> Any:
    """``value`` as a JSON tree; its arrays go into ``arrays`` under names that start with ``path``."""
    if isinstance(value, np.generic):
        return {"scalar": value.dtype.str, "value": encode(value.item(), arrays, path)}
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return {"objects": [encode(v, arrays, f"{path}.{i}") for i, v in enumerate(value.tolist())]}
        arrays[path] = np.ascontiguousarray(value)
        return {"array": path}
    if isinstance(value, (tuple, list)):
        items = [encode(v, arrays, f"{path}.{i}") for i, v in enumerate(value)]
        return {"tuple": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {"dict": [[_key(k), encode(v, arrays, f"{path}.{k}")] for k, v in value.items()]}
    if isinstance(value, pd.DataFrame):
        return {"frame": {"columns": [str(c) for c in value.columns],
                          "index": encode(value.index.to_numpy(), arrays, f"{path}.index"),
                          "data": [encode(value[c].to_numpy(), arrays, f"{path}.{c}") for c in value.columns]}}
    if type(value).__module__.startswith("statsforecast.") and type(value).__name__ in ALLOWED:
        return {"model": type(value).__name__, "state": encode(dict(vars(value)), arrays, path)}
    raise TypeError(f"cannot store {type(value).__qualname__} at {path}")


def decode(node: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    """The value that ``encode`` wrote; a class outside ``ALLOWED`` is refused."""
    if not isinstance(node, (dict, list)):
        return node
    if isinstance(node, list):
        return [decode(v, arrays, where) for v in node]
    if "float" in node:
        return float(node["float"])
    if "scalar" in node:
        return np.dtype(node["scalar"]).type(decode(node["value"], arrays, where))
    if "array" in node:
        if node["array"] not in arrays:
            raise ArtifactError("forecast.state_broken", path=where, problem=f"array {node['array']} is missing")
        return np.array(arrays[node["array"]])
    if "objects" in node:
        return np.array([decode(v, arrays, where) for v in node["objects"]], dtype=object)
    if "tuple" in node:
        return tuple(decode(v, arrays, where) for v in node["tuple"])
    if "dict" in node:
        return {_unkey(k): decode(v, arrays, where) for k, v in node["dict"]}
    if "frame" in node:
        frame = node["frame"]
        data = {c: decode(v, arrays, where) for c, v in zip(frame["columns"], frame["data"])}
        return pd.DataFrame(data, index=decode(frame["index"], arrays, where))
    if "model" in node:
        return _model(node, arrays, where)
    raise ArtifactError("forecast.state_broken", path=where, problem=f"unknown node {sorted(node)[:3]}")


def _model(node: dict, arrays: dict[str, np.ndarray], where: str) -> Any:
    import statsforecast.models as models

    name = node["model"]
    if name not in ALLOWED or not isinstance(getattr(models, name, None), type):
        raise ArtifactError("forecast.state_broken", path=where, problem=f"{name!r} is not a statsforecast model")
    cls = getattr(models, name)
    model = cls.__new__(cls)
    model.__dict__.update(decode(node["state"], arrays, where))
    return model


def _key(key: Any) -> Any:
    return key if isinstance(key, str) else {"int": int(key)}


def _unkey(key: Any) -> Any:
    return key["int"] if isinstance(key, dict) else key
