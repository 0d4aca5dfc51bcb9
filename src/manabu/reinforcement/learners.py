"""The two ways an agent learns, behind one small interface that ``training`` drives:
``learn(watch)`` until the watch says stop, ``act_batch`` (the greedy policy, for the
validations), ``snapshot``/``restore`` (the best policy so far), and ``agent(settings)``.

``TabularLearner`` runs manabu's Q-learning one episode at a time (its budget is in episodes);
``NetworkLearner`` hands a Stable-Baselines3 model its vectorised environment and the watch as a
callback (its budget is in environment steps). Either can start from a saved agent (``--resume``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from manabu.reinforcement.agent import Agent
from manabu.reinforcement.anytime import Watch
from manabu.reinforcement.environments import EnvSource
from manabu.reinforcement.hyperparams import Hyperparams
from manabu.reinforcement.tabular import SETTINGS, QLearning


class TabularLearner:
    unit = "episodes"

    def __init__(self, source: EnvSource, hyper: Hyperparams, spaces: tuple[dict, dict], seed: int,
                 previous: Agent | None = None) -> None:
        observation, action = spaces
        self.source, self.seed = source, seed
        self.offset = int(observation.get("start", 0))
        self.agent_ = QLearning(observation["n"], action["n"], seed=seed,
                                **{k: v for k, v in hyper.values.items() if k in SETTINGS})
        if previous is not None:
            self.agent_.q_table = previous.q_table.copy()
            self.agent_.episodes_done = previous.policy.episodes_done
        self.start = self.agent_.episodes_done
        self.budget = self.agent_.episodes if self.start < self.agent_.episodes else self.start + self.agent_.episodes
        self.timesteps = int((previous.record.get("timesteps") or 0) if previous is not None else 0)

    @property
    def done(self) -> int:
        return self.agent_.episodes_done

    def learn(self, watch: Watch) -> None:
        env = self.source.make()
        try:
            first = self.seed if self.start == 0 else self.seed + self.start  # later episodes go on from its stream
            while self.done < self.budget:
                total, length = self.agent_.episode(env, first, self.offset)
                first = None
                self.timesteps += length
                watch.episode(total, length, self.timesteps)
                if not watch.step(self.done):
                    return
            watch.stopped = "budget"
        finally:
            env.close()

    def act_batch(self, observations: Any) -> np.ndarray:
        states = np.asarray(observations, dtype=np.int64).reshape(-1) - self.offset
        return self.agent_.q_table[states].argmax(axis=1)

    def snapshot(self) -> np.ndarray:
        return self.agent_.q_table.copy()

    def restore(self, table: np.ndarray) -> None:
        self.agent_.q_table = table

    def agent(self, settings: dict[str, Any]) -> Agent:
        settings = {**settings, "policy_class": "QTable", "normalization": None,
                    "episodes_done": self.agent_.episodes_done}
        return Agent(settings, self.agent_)

    def close(self) -> None:
        pass


class NetworkLearner:
    unit = "timesteps"

    def __init__(self, source: EnvSource, algo: str, hyper: Hyperparams, observation: dict, seed: int,
                 previous: Agent | None = None) -> None:
        from manabu.reinforcement.sb3 import build, policy_name, training_env

        self.source, self.algo, self.hyper, self.observation = source, algo, hyper, observation
        self.env = training_env(source.make, hyper, seed)
        self.model = build(algo, hyper, self.env, observation, seed)
        self.policy_class = policy_name(observation)
        if previous is not None:
            self._take(previous)
        self.start = int(self.model.num_timesteps)
        total = int(hyper.run("n_timesteps", 1_000_000))
        self.budget = total if self.start < total else self.start + total

    def _take(self, previous: Agent) -> None:
        """Go on from a saved agent: its weights, its normaliser's statistics, SAC's entropy
        coefficient and its step count (the replay buffer and the optimisers' moments are not
        saved, and start afresh)."""
        self.model.policy.load_state_dict(previous.policy.state_dict())
        self._set_entropy(previous.arrays)
        self._set_normalizer(previous.arrays, previous.settings.get("normalization") or {})
        self.model.num_timesteps = int(previous.record.get("timesteps") or 0)

    @property
    def done(self) -> int:
        return int(self.model.num_timesteps)

    @property
    def timesteps(self) -> int:
        return self.done

    def learn(self, watch: Watch) -> None:
        from manabu.reinforcement.sb3 import callback

        fresh = self.start == 0
        self.model.learn(self.budget - self.start, callback=callback(watch), reset_num_timesteps=fresh)
        if self.done >= self.budget:
            watch.stopped = "budget"

    def act_batch(self, observations: Any) -> np.ndarray:
        return self.model.policy.predict(self.normalized(observations), deterministic=True)[0]

    def normalized(self, observations: Any) -> Any:
        normalize = getattr(self.env, "normalize_obs", None)
        return normalize(np.asarray(observations)).astype(np.float32) if normalize else observations

    def snapshot(self) -> dict[str, Any]:
        from manabu.reinforcement.sb3 import weights

        return {"weights": weights(self.model), "normalizer": self._normalizer()}

    def restore(self, snapshot: dict[str, Any]) -> None:
        from manabu.reinforcement.sb3 import load_weights

        load_weights(self.model.policy, snapshot["weights"])
        self._set_entropy(snapshot["weights"])
        arrays, constants = snapshot["normalizer"]
        self._set_normalizer(arrays, constants)

    def _set_entropy(self, arrays: dict[str, np.ndarray]) -> None:
        """SAC's learnt entropy coefficient, where ``arrays`` hold one and the model has one."""
        from manabu.reinforcement.sb3 import ENTROPY_KEY

        if ENTROPY_KEY not in arrays or getattr(self.model, "log_ent_coef", None) is None:
            return
        import torch

        with torch.no_grad():
            self.model.log_ent_coef.copy_(torch.from_numpy(np.array(arrays[ENTROPY_KEY])))

    def _normalizer(self) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
        """The observation (and return) normaliser's statistics, as arrays and constants."""
        obs_rms = getattr(self.env, "obs_rms", None)
        if obs_rms is None or isinstance(obs_rms, dict):
            return {}, None
        ret_rms = self.env.ret_rms
        arrays = {"normalize/obs_mean": obs_rms.mean.copy(), "normalize/obs_var": obs_rms.var.copy(),
                  "normalize/ret_mean": np.atleast_1d(ret_rms.mean).copy(),
                  "normalize/ret_var": np.atleast_1d(ret_rms.var).copy()}
        return arrays, {"clip_obs": float(self.env.clip_obs), "epsilon": float(self.env.epsilon),
                        "obs_count": float(obs_rms.count), "ret_count": float(ret_rms.count)}

    def _set_normalizer(self, arrays: dict[str, np.ndarray], constants: dict[str, Any] | None) -> None:
        obs_rms = getattr(self.env, "obs_rms", None)
        if not constants or obs_rms is None or "normalize/obs_mean" not in arrays:
            return
        obs_rms.mean, obs_rms.var = np.array(arrays["normalize/obs_mean"]), np.array(arrays["normalize/obs_var"])
        obs_rms.count = constants["obs_count"]
        self.env.ret_rms.mean = float(np.array(arrays["normalize/ret_mean"]).reshape(-1)[0])
        self.env.ret_rms.var = float(np.array(arrays["normalize/ret_var"]).reshape(-1)[0])
        self.env.ret_rms.count = constants["ret_count"]

    def agent(self, settings: dict[str, Any]) -> Agent:
        from manabu.reinforcement.sb3 import ENTROPY_KEY, weights

        arrays, constants = self._normalizer()
        entropy = weights(self.model).get(ENTROPY_KEY)
        if entropy is not None:
            arrays[ENTROPY_KEY] = entropy
        self.model.policy.set_training_mode(False)
        settings = {**settings, "policy_class": self.policy_class, "normalization": constants}
        return Agent(settings, self.model.policy, arrays=arrays)

    def close(self) -> None:
        self.env.close()
