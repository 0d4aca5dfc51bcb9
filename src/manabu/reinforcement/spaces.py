"""Gymnasium's spaces as JSON and back, so that a saved agent rebuilds its policy from its folder
alone, without the environment (which may be a user's file, not there any more) and without
pickle.

Only the spaces that the agents take are described: ``Discrete``, ``Box``, ``MultiDiscrete``,
``MultiBinary`` and a ``Dict`` of them (Stable-Baselines3's ``MultiInputPolicy``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from manabu.base.errors import ConfigError

KINDS = ("Discrete", "Box", "MultiDiscrete", "MultiBinary", "Dict")


def describe(space: Any) -> dict[str, Any]:
    """The space as plain JSON (a Box's bounds as one number when they are all equal)."""
    kind = type(space).__name__
    if kind == "Discrete":
        return {"kind": kind, "n": int(space.n), "start": int(space.start)}
    if kind == "Box":
        return {"kind": kind, "shape": list(space.shape), "dtype": str(space.dtype),
                "low": _bound(space.low), "high": _bound(space.high)}
    if kind == "MultiDiscrete":
        return {"kind": kind, "nvec": np.asarray(space.nvec).tolist()}
    if kind == "MultiBinary":
        return {"kind": kind, "n": np.asarray(space.n).tolist()}
    if kind == "Dict":
        return {"kind": kind, "spaces": {name: describe(sub) for name, sub in space.spaces.items()}}
    raise ConfigError("rl.unsupported_space", space=str(space), kinds=", ".join(KINDS))


def rebuild(description: dict[str, Any]) -> Any:
    """The Gymnasium space that ``describe`` wrote."""
    from manabu.reinforcement.library import gymnasium

    spaces = gymnasium().spaces
    kind = description["kind"]
    if kind == "Discrete":
        return spaces.Discrete(int(description["n"]), start=int(description.get("start", 0)))
    if kind == "Box":
        shape, dtype = tuple(description["shape"]), np.dtype(description["dtype"])
        return spaces.Box(_array(description["low"], shape, dtype), _array(description["high"], shape, dtype),
                          shape=shape, dtype=dtype)
    if kind == "MultiDiscrete":
        return spaces.MultiDiscrete(np.asarray(description["nvec"], dtype=np.int64))
    if kind == "MultiBinary":
        return spaces.MultiBinary(description["n"])
    if kind == "Dict":
        return spaces.Dict({name: rebuild(sub) for name, sub in description["spaces"].items()})
    raise ValueError(f"unknown space kind {kind!r}")


def shown(description: dict[str, Any]) -> str:
    """A space in a few words, for messages and tables: Discrete(4), Box(-1.0, 1.0, (3,))."""
    kind = description["kind"]
    if kind == "Discrete":
        return f"Discrete({description['n']})"
    if kind == "Box":
        return f"Box({_short(description['low'])}, {_short(description['high'])}, {tuple(description['shape'])})"
    if kind == "Dict":
        return "Dict(" + ", ".join(f"{k}: {shown(v)}" for k, v in description["spaces"].items()) + ")"
    return f"{kind}({description.get('nvec', description.get('n'))})"


def is_discrete(description: dict[str, Any]) -> bool:
    return description["kind"] == "Discrete"


def is_box(description: dict[str, Any]) -> bool:
    return description["kind"] == "Box"


def _bound(values: np.ndarray) -> Any:
    flat = np.asarray(values, dtype=np.float64).ravel()
    if flat.size and np.all(flat == flat[0]):
        return _number(flat[0])
    return [_number(v) for v in flat]


def _number(value: float) -> Any:
    """JSON has no infinity: unbounded sides are written as the strings "inf" and "-inf"."""
    if np.isinf(value):
        return "inf" if value > 0 else "-inf"
    return float(value)


def _array(value: Any, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    values = np.asarray([float(v) for v in value] if isinstance(value, list) else float(value), dtype=np.float64)
    return np.broadcast_to(values.reshape(shape) if values.ndim else values, shape).astype(dtype)


def _short(value: Any) -> str:
    return str(value) if not isinstance(value, list) else "[…]"
