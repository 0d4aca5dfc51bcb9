"""An agent's files in its model folder (a ``ContainerCodec`` of kind "rl"): the weights as
safetensors (arrays only, never code), the settings as JSON, and the animation of a few
evaluation episodes as a GIF when there is one.

Loading builds the policy anew from the settings (``sb3.fresh_policy``: the algorithm, the
spaces, the hyperparameters) and loads the arrays into it; Stable-Baselines3's own zip, which
holds cloudpickled objects, is never written nor read. The description in the manifest names
the only class it builds (``Agent``). Like every codec module this one is light: it imports no
RL library until a folder is read (it is an entry point of ``manabu.plugins``).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from manabu.artifact.codecs import ContainerCodec, register_codec
from manabu.artifact.sidecar import dump_sidecar
from manabu.base.errors import ArtifactError, MissingExtraError
from manabu.base.loaded import instance_of

KIND = "rl"
MODULE = "manabu.reinforcement.agent"
CLASS_NAME = f"{MODULE}.Agent"
WEIGHTS_FILE = "agent.safetensors"
SETTINGS_FILE = "agent.json"
ANIMATION_FILE = "animation.gif"
SETTINGS_VERSION = 1
ALGOS = ("q", "dqn", "ppo", "a2c", "sac", "td3")
_REQUIRED = ("settings_version", "algo", "policy_class", "observation_space", "action_space", "hyperparams", "env")


@dataclass(frozen=True)
class SavedAgent:
    """An agent's parts as read from its folder: settings, policy, other arrays, animation."""

    settings: dict[str, Any]
    policy: Any
    arrays: dict[str, np.ndarray]
    animation: bytes | None


def is_agent(model: Any) -> bool:
    return instance_of(model, MODULE, "Agent")


def _safetensors() -> Any:
    try:
        import safetensors.numpy as module
    except ModuleNotFoundError:
        raise MissingExtraError("rl.missing_extra", library="safetensors") from None
    return module


def encode(agent: Any) -> tuple[dict[str, bytes], dict[str, Any]]:
    save = _safetensors().save

    arrays = {"q_table": agent.policy.q_table} if agent.algo == "q" else _policy_arrays(agent)
    arrays.update(agent.arrays)
    arrays = {name: np.ascontiguousarray(value) for name, value in arrays.items()}
    settings = {"settings_version": SETTINGS_VERSION, **agent.settings}
    files = {WEIGHTS_FILE: save(arrays),
             SETTINGS_FILE: dump_sidecar(settings)}
    if agent.animation:
        files[ANIMATION_FILE] = agent.animation
    return files, {"kind": KIND, "class": CLASS_NAME, "algo": agent.algo, "animation": bool(agent.animation)}


def _policy_arrays(agent: Any) -> dict[str, np.ndarray]:
    from manabu.reinforcement.sb3 import POLICY_PREFIX

    return {POLICY_PREFIX + k: v.detach().cpu().numpy() for k, v in agent.policy.state_dict().items()}


def decode(description: dict[str, Any], blobs: dict[str, bytes], folder: str) -> Any:
    load = _safetensors().load
    if description.get("class") != CLASS_NAME:
        raise ArtifactError("artifact.untrusted_types", path=folder, file="manifest.json",
                            types=str(description.get("class")))
    settings = _settings(blobs[SETTINGS_FILE], folder)
    try:
        arrays = load(blobs[WEIGHTS_FILE])
        policy = _policy(settings, arrays)
    except (ArtifactError, MissingExtraError):
        raise
    except Exception as error:
        raise ArtifactError("artifact.load_failed", path=folder, file=WEIGHTS_FILE,
                            error=f"{type(error).__name__}: {error}") from error
    kept = {k: v for k, v in arrays.items() if not k.startswith("policy/") and k != "q_table"}
    return SavedAgent(settings, policy, kept, blobs.get(ANIMATION_FILE))


def _settings(data: bytes, folder: str) -> dict[str, Any]:
    try:
        settings = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArtifactError("artifact.load_failed", path=folder, file=SETTINGS_FILE, error=str(error)) from None
    missing = [key for key in _REQUIRED if not isinstance(settings, dict) or key not in settings]
    if missing or settings.get("algo") not in ALGOS:
        raise ArtifactError("artifact.load_failed", path=folder, file=SETTINGS_FILE,
                            error=f"missing or wrong settings: {', '.join(missing) or settings.get('algo')}")
    if int(settings["settings_version"]) > SETTINGS_VERSION:
        raise ArtifactError("artifact.newer_format", path=folder, version=settings["settings_version"],
                            supported=SETTINGS_VERSION)
    settings.pop("settings_version")
    return settings


def _policy(settings: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    """The tabular agent from its table (numpy alone); a network from a fresh policy of the saved
    algorithm, spaces and settings, with the arrays loaded into it."""
    if settings["algo"] == "q":
        from manabu.reinforcement.tabular import SETTINGS, QLearning

        table = arrays["q_table"]
        values = settings["hyperparams"]["values"]
        agent = QLearning(*table.shape, **{k: v for k, v in values.items() if k in SETTINGS})
        agent.q_table = np.array(table, dtype=np.float64)
        agent.episodes_done = int(settings.get("episodes_done", 0))
        return agent
    from manabu.reinforcement.hyperparams import Hyperparams
    from manabu.reinforcement.sb3 import fresh_policy, load_weights
    from manabu.reinforcement.spaces import rebuild

    saved = settings["hyperparams"]
    hyper = Hyperparams(saved["algo"], saved["values"], saved["source"], "")
    policy = fresh_policy(settings["algo"], hyper, rebuild(settings["observation_space"]),
                          rebuild(settings["action_space"]), settings["observation_space"])
    load_weights(policy, arrays)
    policy.set_training_mode(False)
    return policy


def expected_files(description: dict[str, Any], invalid: Callable[[str], Exception]) -> set[str]:
    if description.get("algo") not in ALGOS:
        raise invalid("pipeline.algo must be one of " + ", ".join(ALGOS))
    if not isinstance(description.get("animation"), bool):
        raise invalid("pipeline.animation must be true or false")
    return {WEIGHTS_FILE, SETTINGS_FILE} | ({ANIMATION_FILE} if description["animation"] else set())


CODEC = ContainerCodec(KIND, CLASS_NAME, is_agent, encode, decode, expected_files)
register_codec(CODEC)
