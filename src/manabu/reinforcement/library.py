"""The ``rl`` extra's libraries, imported in this one place: Gymnasium (the environments and their
checker) and Stable-Baselines3 (the agents, with PyTorch). A missing one is said in one sentence
naming the extra, before anything is trained.

The tabular agent needs neither to act: a saved Q-table loads and answers with numpy alone.
"""
from __future__ import annotations

from types import ModuleType

from manabu.base.errors import MissingExtraError


def gymnasium() -> ModuleType:
    """The ``gymnasium`` module, or the message naming the extra."""
    try:
        import gymnasium as module
    except ModuleNotFoundError:
        raise MissingExtraError("rl.missing_extra", library="gymnasium") from None
    return module


def stable_baselines3() -> ModuleType:
    """The ``stable_baselines3`` module (which imports torch), or the message naming the extra."""
    gymnasium()
    try:
        import stable_baselines3 as module
    except ModuleNotFoundError as error:
        raise MissingExtraError("rl.missing_extra", library=error.name or "stable-baselines3") from None
    return module


def versions() -> dict[str, str | None]:
    """The versions of the libraries an agent's files depend on, for its settings."""
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {}
    for name in ("gymnasium", "stable-baselines3", "torch", "numpy"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found
