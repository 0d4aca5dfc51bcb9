"""Where an agent's world comes from: a Gymnasium id (``CartPole-v1``), a user's own environment
in a file (``path/to/file.py:MyEnv``, a class or a function that returns an environment), or,
from Python, such a class or function itself.

Each is resolved once into an ``EnvSource`` that makes as many copies as training needs (several
for the vectorised algorithms, others for the evaluation episodes). A user's environment is
checked with Gymnasium's ``env_checker`` first: what makes it unusable is one clear message,
what is merely odd one notice. An environment that never ends by itself (no time limit) gets
one, since an evaluation episode must end.
"""
from __future__ import annotations

import difflib
import hashlib
import importlib.util
import inspect
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manabu.base.errors import ConfigError
from manabu.base.i18n import Notice
from manabu.reinforcement.library import gymnasium

DEFAULT_MAX_STEPS = 1000   # the time limit given to a user's environment that has none
_FILE = re.compile(r"^(?P<path>.+\.py)(?::(?P<name>[A-Za-z_][A-Za-z0-9_]*))?$")
_VERSION = re.compile(r"-v\d+$")


@dataclass
class EnvSource:
    """A resolved environment: ``make()`` gives a fresh copy (``render_mode="rgb_array"`` for
    the animation); ``name`` is how the record and messages call it."""

    name: str
    kind: str                                  # "registry", "file" or "python"
    factory: Callable[..., Any] | None = None  # a file's or Python's class or function
    notices: list[Notice] = field(default_factory=list)
    time_limit: int | None = None              # the TimeLimit added to an environment with none

    def make(self, render_mode: str | None = None) -> Any:
        gym = gymnasium()
        if self.kind == "registry":
            try:
                return gym.make(self.name, render_mode=render_mode)
            except gym.error.DependencyNotInstalled as error:
                raise ConfigError("rl.env_dependency", env=self.name, error=str(error).strip()) from None
        env = _construct(self.factory, render_mode)
        if self.time_limit is not None:
            env = gym.wrappers.TimeLimit(env, max_episode_steps=self.time_limit)
        return env

    def renders(self) -> bool:
        """Whether the environment draws its frames as arrays (``rgb_array``)."""
        env = self.make()
        try:
            return "rgb_array" in (env.metadata or {}).get("render_modes", [])
        finally:
            env.close()

    def describe(self, env: Any) -> dict[str, Any]:
        """What the record keeps of the environment (``env`` one of its copies)."""
        spec = getattr(env, "spec", None)
        return {"id": self.name, "kind": self.kind,
                "max_episode_steps": self.time_limit or getattr(spec, "max_episode_steps", None),
                "reward_threshold": getattr(spec, "reward_threshold", None),
                "grid": grid_of(env)}


def resolve(env: Any) -> EnvSource:
    """The ``EnvSource`` of what the user named, checked; a mistake is one clear ``ConfigError``."""
    gym = gymnasium()
    if isinstance(env, gym.Env):
        raise ConfigError("rl.env_instance", type=type(env).__name__)
    if callable(env) and not isinstance(env, str):
        name = f"{getattr(env, '__module__', '?')}.{getattr(env, '__qualname__', repr(env))}"
        return _checked(EnvSource(name, "python", env))
    text = str(env).strip()
    found = _FILE.match(text)
    if found:
        return _checked(_from_file(Path(found["path"]).expanduser(), found["name"]))
    if text not in gym.registry:
        raise _unknown(text, list(gym.registry))
    return EnvSource(text, "registry")


def _unknown(name: str, known: list[str]) -> ConfigError:
    """The message for an id Gymnasium does not know, with the ids closest to it."""
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=5, cutoff=0.6)
    base = _VERSION.sub("", name).lower()
    close += [k.lower() for k in known if _VERSION.sub("", k).lower() == base and k.lower() not in close]
    if close:
        return ConfigError("rl.unknown_env", env=name, close=", ".join(lowered[c] for c in close[:5]))
    return ConfigError("rl.unknown_env_far", env=name)


# ------------------------------------------------------------------------- a user's file

def _from_file(path: Path, name: str | None) -> EnvSource:
    if not path.is_file():
        raise ConfigError("rl.env_file_missing", path=str(path))
    module = _import_file(path)
    defined = _env_classes(module)
    if name is None:
        if len(defined) != 1:
            key = "rl.no_env_in_file" if not defined else "rl.several_envs"
            raise ConfigError(key, path=str(path), names=", ".join(defined))
        name = defined[0]
    factory = getattr(module, name, None)
    if factory is None:
        raise ConfigError("rl.env_name_missing", path=str(path), name=name,
                          names=", ".join(defined) or "-")
    if not callable(factory) or (inspect.isclass(factory) and not issubclass(factory, gymnasium().Env)):
        raise ConfigError("rl.not_an_env", name=f"{path}:{name}", type=type(factory).__name__)
    return EnvSource(f"{path.resolve()}:{name}", "file", factory)


def _import_file(path: Path) -> Any:
    """The user's file imported as a module of its own (its folder on the path while it is, so
    that it may import its neighbours); an error inside it is named with the file."""
    resolved = path.resolve()
    module_name = "manabu_env_" + hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(resolved.parent))
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[module_name]
        raise ConfigError("rl.env_file_failed", path=str(path), error=f"{type(error).__name__}: {error}") from None
    finally:
        sys.path.remove(str(resolved.parent))
    return module


def _env_classes(module: Any) -> list[str]:
    """The names of the environment classes the file itself defines (not those it imports)."""
    env = gymnasium().Env
    return [name for name, value in vars(module).items()
            if inspect.isclass(value) and issubclass(value, env) and value.__module__ == module.__name__]


def _construct(factory: Callable[..., Any], render_mode: str | None) -> Any:
    """One environment from the user's class or function, with ``render_mode`` when it takes one."""
    try:
        if render_mode is not None and "render_mode" in _parameters(factory):
            return factory(render_mode=render_mode)
        return factory()
    except ConfigError:
        raise
    except Exception as error:
        raise ConfigError("rl.env_failed", env=getattr(factory, "__name__", str(factory)),
                          error=f"{type(error).__name__}: {error}") from None


def _parameters(factory: Callable[..., Any]) -> set[str]:
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return set()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return {"render_mode"}
    return {p.name for p in parameters}


def _checked(source: EnvSource) -> EnvSource:
    """The user's environment through Gymnasium's ``check_env``: an error is one message naming
    the environment and the problem; the checker's warnings become one notice. An environment
    with no time limit is given one (``DEFAULT_MAX_STEPS``)."""
    from gymnasium.utils.env_checker import check_env

    gym = gymnasium()
    env = _construct(source.factory, None)
    if not isinstance(env, gym.Env):
        raise ConfigError("rl.not_an_env", name=source.name, type=type(env).__name__)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            check_env(env.unwrapped, skip_render_check=True, skip_close_check=True)
        except Exception as error:
            problem = str(error).strip() or type(error).__name__
            raise ConfigError("rl.env_check_failed", env=source.name, problem=_plain(problem)) from None
    said = list(dict.fromkeys(_plain(str(w.message)) for w in caught))
    if said:
        source.notices.append(Notice("rl.env_check_warnings", {"env": source.name, "warnings": " | ".join(said[:5])}))
    if getattr(getattr(env, "spec", None), "max_episode_steps", None) is None and not _has_time_limit(env):
        source.time_limit = DEFAULT_MAX_STEPS
        source.notices.append(Notice("rl.time_limit_added", {"env": source.name, "steps": DEFAULT_MAX_STEPS}))
    env.close()
    return source


def _has_time_limit(env: Any) -> bool:
    time_limit = gymnasium().wrappers.TimeLimit
    while env is not None:
        if isinstance(env, time_limit):
            return True
        env = getattr(env, "env", None)
    return False


def _plain(text: str) -> str:
    """Gymnasium's warning without its colour codes and "WARN:" prefix."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text).replace("WARN: ", "").strip()


def grid_of(env: Any) -> dict[str, Any] | None:
    """A grid world's map (FrozenLake's rows of S, F, H, G; CliffWalking's shape), when each
    state is one cell, so that the report can draw the values and the policy on it."""
    unwrapped = getattr(env, "unwrapped", env)
    states = getattr(getattr(unwrapped, "observation_space", None), "n", None)
    desc = getattr(unwrapped, "desc", None)
    if desc is not None and states is not None:
        rows = ["".join(c.decode() if isinstance(c, bytes) else str(c) for c in row) for row in desc]
        if len(rows) * len(rows[0]) == int(states):
            return {"rows": rows, "shape": [len(rows), len(rows[0])]}
    shape = getattr(unwrapped, "shape", None)
    if isinstance(shape, tuple) and len(shape) == 2 and states is not None and shape[0] * shape[1] == int(states):
        return {"rows": None, "shape": [int(shape[0]), int(shape[1])]}
    return None
