"""Stable-Baselines3's agents (DQN, PPO, A2C, SAC, TD3), built from manabu's settings and kept
without pickle.

An SB3 model is built from the algorithm's name, the Zoo's settings (``hyperparams``) and an
environment; what manabu stores is its policy's ``state_dict`` as arrays, the observation
normaliser's statistics, and JSON. To load, a fresh model of the same algorithm and settings is
built on an environment that only has the spaces (``spaces_env``: never stepped), and the
weights are loaded into its policy: the policy is exactly the one that was trained, and no
cloudpickled object (SB3's own zip holds some) is ever read.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from manabu.reinforcement.hyperparams import Hyperparams, schedule
from manabu.reinforcement.library import gymnasium, stable_baselines3

POLICY_PREFIX = "policy/"
NORMALIZE_PREFIX = "normalize/"
ENTROPY_KEY = "algo/log_ent_coef"  # SAC's learnt entropy coefficient, for --resume
ACTIVATIONS = {"tanh": "Tanh", "relu": "ReLU", "elu": "ELU", "leaky_relu": "LeakyReLU"}


def policy_name(observation: dict[str, Any]) -> str:
    """SB3's policy for the observations: several inputs, images, or a vector."""
    if observation["kind"] == "Dict":
        return "MultiInputPolicy"
    image = observation["kind"] == "Box" and len(observation["shape"]) == 3 and observation["dtype"] == "uint8"
    return "CnnPolicy" if image else "MlpPolicy"


def algorithm(algo: str) -> Any:
    """The SB3 class of ``algo`` ("ppo" → PPO)."""
    return getattr(stable_baselines3(), algo.upper())


def build(algo: str, hyper: Hyperparams, env: Any, observation: dict[str, Any], seed: int | None,
          **overrides: Any) -> Any:
    """A new SB3 model of ``algo`` on ``env`` (a VecEnv) with the settings, on the CPU."""
    import torch

    kwargs = {key: schedule(value) for key, value in hyper.algorithm_kwargs().items()}
    policy_kwargs = dict(kwargs.pop("policy_kwargs", {}) or {})
    if isinstance(policy_kwargs.get("activation_fn"), str):
        policy_kwargs["activation_fn"] = getattr(torch.nn, ACTIVATIONS[policy_kwargs["activation_fn"]])
    noise = _action_noise(hyper, env.action_space)
    if noise is not None:
        kwargs["action_noise"] = noise
    kwargs.update(overrides)
    return algorithm(algo)(policy_name(observation), env, policy_kwargs=policy_kwargs or None, seed=seed,
                           device="cpu", verbose=0, **kwargs)


def _action_noise(hyper: Hyperparams, action_space: Any) -> Any:
    """TD3's exploration noise, as the Zoo writes it (noise_type, noise_std)."""
    kind = hyper.run("noise_type")
    if kind is None:
        return None
    from stable_baselines3.common.noise import NormalActionNoise, OrnsteinUhlenbeckActionNoise

    size = int(np.prod(action_space.shape))
    sigma = float(hyper.run("noise_std", 0.1)) * np.ones(size)
    noise = OrnsteinUhlenbeckActionNoise if kind == "ornstein-uhlenbeck" else NormalActionNoise
    return noise(mean=np.zeros(size), sigma=sigma)


def training_env(make: Any, hyper: Hyperparams, seed: int) -> Any:
    """The vectorised environment training steps: ``n_envs`` copies seeded ``seed``, ``seed+1``…,
    each recording its episodes (Monitor), normalised when the Zoo says so."""
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

    env = make_vec_env(make, n_envs=int(hyper.run("n_envs", 1)), seed=seed, vec_env_cls=DummyVecEnv)
    if hyper.run("normalize"):
        env = VecNormalize(env, gamma=float(hyper.values.get("gamma", 0.99)))
    return env


def spaces_env(observation_space: Any, action_space: Any) -> Any:
    """Stands for the environment when an agent is loaded: its spaces and nothing else (the
    class is made here, since Gymnasium is imported only when an agent needs it)."""
    gym = gymnasium()

    class SpacesEnv(gym.Env):
        def __init__(self) -> None:
            self.observation_space, self.action_space = observation_space, action_space

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            return self.observation_space.sample(), {}

        def step(self, action):
            return self.observation_space.sample(), 0.0, True, False, {}
    return SpacesEnv()


def fresh_policy(algo: str, hyper: Hyperparams, observation_space: Any, action_space: Any,
                 observation: dict[str, Any]) -> Any:
    """An untrained policy of the saved shape (the model is built on ``spaces_env``; its replay
    buffer, which acting does not need, holds one transition)."""
    from stable_baselines3.common.vec_env import DummyVecEnv

    env = DummyVecEnv([lambda: spaces_env(observation_space, action_space)])
    small = {"buffer_size": 1} if algo in ("dqn", "sac", "td3") else {}
    plain = Hyperparams(hyper.algo, {k: v for k, v in hyper.values.items() if k not in ("noise_type",)},
                        hyper.source, hyper.note)
    with warnings.catch_warnings():  # PPO's remark that batch_size does not divide one copy's n_steps
        warnings.simplefilter("ignore", UserWarning)
        return build(algo, plain, env, observation, seed=None, **small).policy


def weights(model: Any) -> dict[str, np.ndarray]:
    """The policy's tensors as arrays (and SAC's entropy coefficient), as safetensors takes them."""
    found = {POLICY_PREFIX + k: v.detach().cpu().numpy().copy() for k, v in model.policy.state_dict().items()}
    entropy = getattr(model, "log_ent_coef", None)
    if entropy is not None:
        found[ENTROPY_KEY] = entropy.detach().cpu().numpy().copy()
    return found


def load_weights(policy: Any, arrays: dict[str, np.ndarray]) -> None:
    """``weights``' arrays into a policy of the same shape; every tensor must be there."""
    import torch

    state = {k[len(POLICY_PREFIX):]: torch.from_numpy(np.array(v)) for k, v in arrays.items()
             if k.startswith(POLICY_PREFIX)}
    policy.load_state_dict(state, strict=True)


def values(policy: Any, algo: str, observations: Any) -> np.ndarray:
    """The policy's estimate of each state's value: the critic's V(s) for PPO and A2C, the best
    Q(s, a) for DQN, Q(s, π(s)) of the more cautious of the two critics for SAC and TD3."""
    import torch

    with torch.no_grad():
        tensor = policy.obs_to_tensor(observations)[0]
        if algo in ("ppo", "a2c"):
            found = policy.predict_values(tensor).flatten()
        elif algo == "dqn":
            found = policy.q_net(tensor).max(dim=1).values
        else:
            actions = policy.actor(tensor, deterministic=True) if algo == "sac" else policy.actor(tensor)
            found = torch.cat(policy.critic(tensor, actions), dim=1).min(dim=1).values
    return found.cpu().numpy().astype(np.float64)


def callback(watch: Any) -> Any:
    """SB3's callback that hands every finished episode and step to ``watch`` (``anytime``)."""
    from stable_baselines3.common.callbacks import BaseCallback

    class Anytime(BaseCallback):
        def _on_step(self) -> bool:
            for info in self.locals.get("infos", []):
                if "episode" in info:
                    watch.episode(info["episode"]["r"], info["episode"]["l"], self.num_timesteps)
            return watch.step(self.num_timesteps)
    return Anytime()
