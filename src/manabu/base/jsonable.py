"""Turn metadata (numpy scalars, arrays, pandas objects, dataclasses, enums) into plain JSON."""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from enum import Enum
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from manabu.base.errors import ArtifactError


def to_jsonable(value: Any, where: str = "metadata") -> Any:
    """``value`` as dicts, lists, str, int, float, bool and None, so that ``json.dumps`` takes it.

    Non-finite floats become ``None`` (JSON has no NaN); dict keys become strings, as JSON's are;
    sets become sorted lists. Anything else raises ``ArtifactError("artifact.not_jsonable")``
    naming where it was found, so that a manifest is never written half-converted.
    """
    if isinstance(value, np.generic):
        return _numpy_scalar(value, where)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Enum):
        return to_jsonable(value.value, where)
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (dt.timedelta, pd.Timedelta)):
        return str(value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, dict):
        return {_key(k, where): to_jsonable(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        items = [to_jsonable(v, f"{where}{{}}") for v in value]
        return sorted(items, key=lambda x: (type(x).__name__, str(x)))
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist(), where)
    if isinstance(value, pd.DataFrame):
        return to_jsonable(value.to_dict(orient="records"), where)
    if isinstance(value, pd.Series):
        return to_jsonable(value.to_dict(), where)
    if isinstance(value, pd.Index):
        return to_jsonable(value.tolist(), where)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_dict = getattr(value, "to_dict", None)
        raw = to_dict() if callable(to_dict) else dataclasses.asdict(value)
        return to_jsonable(raw, where)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_jsonable(to_dict(), where)
    raise ArtifactError("artifact.not_jsonable", where=where, type=type(value).__name__)


def _numpy_scalar(value: np.generic, where: str) -> Any:
    if isinstance(value, (np.datetime64, np.timedelta64)):
        if np.isnat(value):
            return None
        return str(value)
    if isinstance(value, (np.bool_, np.integer, np.floating, np.str_)):
        return to_jsonable(value.item(), where)
    raise ArtifactError("artifact.not_jsonable", where=where, type=type(value).__name__)


def _key(key: Any, where: str) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, Enum):
        return _key(key.value, where)
    if isinstance(key, np.generic):
        key = key.item()
    if key is None or isinstance(key, (bool, int, float)):
        return str(key)
    raise ArtifactError("artifact.not_jsonable", where=f"{where} (key {key!r})", type=type(key).__name__)
