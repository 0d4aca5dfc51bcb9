"""A trained agent: what ``manabu.rl`` returns and ``manabu.load`` gives back.

``act(observation)`` answers the action the policy takes (always the same for the same
observation: the deterministic policy, not the exploring one); ``values`` its estimate of how
much reward is still to come from a state; ``evaluate`` plays episodes beside a random agent.

The agent is a policy (a Q-table, or a Stable-Baselines3 policy), its settings as JSON (the
algorithm, the spaces, the hyperparameters, the environment's name, the observation
normaliser's constants) and the record of its training. Its folder (``codec``):

```
AGENT_DIR/
  manifest.json       kind "rl", the record of the training (``record``), sha256 of every file
  agent.safetensors   the weights: "q_table", or "policy/<tensor>" and "normalize/obs_mean|obs_var"
  agent.json          the settings: algo, policy class, spaces, hyperparameters, env, normaliser
  animation.gif       a few evaluation episodes, where the environment draws itself
  report.html         the page (when a page maker "rl" is installed)
```
"""
from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import numpy as np

from manabu.artifact import REPORT_FILE, load_model, save_model
from manabu.artifact.pages import GROUP, page
from manabu.base.errors import ArtifactError
from manabu.reinforcement import codec  # noqa: F401  (registers the storage format)
from manabu.reinforcement.evaluation import EVALUATION, random_actor, run_episodes, seeds, stack, summary
from manabu.reinforcement.hyperparams import Hyperparams
from manabu.reinforcement.spaces import shown

KIND = "rl"


class Agent:
    """A policy with its settings and record. ``policy`` is a ``tabular.QLearning`` (algo "q") or
    a Stable-Baselines3 policy; ``arrays`` holds the normaliser's statistics and the extra
    tensors a resumed training needs (SAC's entropy coefficient)."""

    KIND = KIND

    def __init__(self, settings: dict[str, Any], policy: Any, record: dict[str, Any] | None = None,
                 arrays: dict[str, np.ndarray] | None = None, animation: bytes | None = None) -> None:
        self.settings = settings
        self.policy = policy
        self.record = record or {}
        self.arrays = arrays or {}
        self.animation = animation

    @property
    def algo(self) -> str:
        return self.settings["algo"]

    @property
    def env_id(self) -> str:
        return self.settings["env"]["id"]

    @property
    def q_table(self) -> np.ndarray | None:
        """The Q-table (states × actions) of the tabular agent; None for a network."""
        return self.policy.q_table if self.algo == "q" else None

    @property
    def hyperparams(self) -> Hyperparams:
        saved = self.settings["hyperparams"]
        return Hyperparams(saved["algo"], saved["values"], saved["source"], "")

    # -- answering ----------------------------------------------------------------------------
    def act(self, observation: Any) -> Any:
        """The action the policy takes for one observation: an int for a Discrete action space,
        an array for a Box."""
        action = self.act_batch(stack([observation]))[0]
        return int(action) if self.settings["action_space"]["kind"] == "Discrete" else np.asarray(action)

    def act_batch(self, observations: Any) -> np.ndarray:
        """The actions for a batch of observations (the first axis), as ``act`` decides them."""
        if self.algo == "q":
            states = np.asarray(observations, dtype=np.int64).reshape(-1) - self._start("observation_space")
            return self.policy.q_table[states].argmax(axis=1) + self._start("action_space")
        actions, _ = self.policy.predict(self.normalized(observations), deterministic=True)
        return actions

    def values(self, observations: Any) -> np.ndarray:
        """The policy's estimate of each state's value (the discounted reward still to come):
        the largest Q of the state for a Q-table, the critic's for a network (``sb3.values``)."""
        if self.algo == "q":
            states = np.asarray(observations, dtype=np.int64).reshape(-1) - self._start("observation_space")
            return self.policy.q_table[states].max(axis=1)
        from manabu.reinforcement.sb3 import values
        return values(self.policy, self.algo, self.normalized(observations))

    def normalized(self, observations: Any) -> Any:
        """Observations as the network saw them in training (scaled by the running mean and
        variance, when the settings normalised them)."""
        constants = self.settings.get("normalization")
        if not constants or "normalize/obs_mean" not in self.arrays:
            return observations
        mean, var = self.arrays["normalize/obs_mean"], self.arrays["normalize/obs_var"]
        scaled = (np.asarray(observations, dtype=np.float64) - mean) / np.sqrt(var + constants["epsilon"])
        return np.clip(scaled, -constants["clip_obs"], constants["clip_obs"]).astype(np.float32)

    def _start(self, which: str) -> int:
        return int(self.settings[which].get("start", 0))

    # -- judging ------------------------------------------------------------------------------
    def evaluate(self, env: Any = None, episodes: int = 100, seed: int = 0) -> dict[str, Any]:
        """The agent and a random agent on ``episodes`` episodes of ``env`` (by default the
        environment it learnt, by name), on the evaluation seeds of a run seeded ``seed``: each one's mean ± std
        of the return (and success rate where returns are 0 or 1)."""
        from manabu.reinforcement.environments import resolve

        source = resolve(env if env is not None else self.env_id)
        chosen = seeds(seed, EVALUATION, int(episodes))
        agent = summary(*run_episodes(source.make, self.act_batch, chosen), chosen)
        probe = source.make()
        random = summary(*run_episodes(source.make, random_actor(probe.action_space, seed), chosen), chosen)
        probe.close()
        return {"agent": agent, "random": random}

    # -- keeping ------------------------------------------------------------------------------
    def save(self, path: str | Path, *, overwrite: bool = False, report: bool = True,
             lang: str | None = None) -> Path:
        """The agent's folder, atomically; with ``report.html`` when a page maker named "rl" is
        installed (``manabu.pages`` entry points) and ``report`` is true."""
        derived = {REPORT_FILE: page(KIND, self, lang)} if report and has_page() else None
        return save_model(path, self, {"kind": KIND, KIND: self.record}, overwrite=overwrite, derived=derived)

    @classmethod
    def load(cls, path: str | Path) -> Agent:
        saved, manifest = load_model(path)
        if manifest.get("kind") != KIND or not isinstance(saved, codec.SavedAgent):
            raise ArtifactError("rl.not_agent", path=str(path))
        return cls(saved.settings, saved.policy, manifest.get(KIND) or {}, saved.arrays, saved.animation)

    def __repr__(self) -> str:
        evaluation = (self.record.get("evaluation") or {}).get("agent") or {}
        score = f"{evaluation['mean']:.2f} ± {evaluation['std']:.2f}" if "mean" in evaluation else "-"
        return (f"Agent(env={self.env_id!r}, algo={self.algo!r}, "
                f"observation={shown(self.settings['observation_space'])}, "
                f"action={shown(self.settings['action_space'])}, return={score})")


def has_page() -> bool:
    """Whether a page maker for agents is installed (the report's page arrives separately)."""
    return bool(entry_points(group=GROUP, name=KIND))
