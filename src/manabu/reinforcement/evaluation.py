"""Honest scores: an agent judged on evaluation episodes whose seeds training never used, beside
a random agent on the very same episodes, as mean ± standard deviation of the return.

Three sets of seeds never meet: training uses ``seed`` (and the next ones, one per copy of the
environment), the validations that pick the best policy during training ``VALIDATION + STRIDE ·
seed`` on, the final evaluation ``EVALUATION + STRIDE · seed`` on. The final figure is thus not
the one the best policy was chosen on (which would flatter it), and runs with other seeds are
judged on other episodes (so that several seeds are several samples, not the same one again).

Episodes run side by side (``BATCH`` copies of the environment), so that the policy answers
them all in one call.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

VALIDATION = 1_000_000
EVALUATION = 2_000_000
STRIDE = 10_000  # the episodes of one seed's run, at most
BATCH = 20


def seeds(seed: int, offset: int, count: int) -> list[int]:
    """The episode seeds of a run seeded ``seed``: ``offset`` (VALIDATION or EVALUATION) marks
    the set, ``seed`` the run."""
    return [offset + STRIDE * seed + i for i in range(min(count, STRIDE))]


def run_episodes(make: Callable[[], Any], act: Callable[[Any], np.ndarray], episode_seeds: list[int],
                 batch: int = BATCH) -> tuple[np.ndarray, np.ndarray]:
    """(returns, lengths) of one episode per seed, ``act`` answering a batch of observations."""
    returns, lengths = np.zeros(len(episode_seeds)), np.zeros(len(episode_seeds), dtype=np.int64)
    envs = [make() for _ in range(min(batch, len(episode_seeds)))]
    try:
        for first in range(0, len(episode_seeds), len(envs)):
            chunk = list(range(first, min(first + len(envs), len(episode_seeds))))
            observations = [envs[j].reset(seed=episode_seeds[i])[0] for j, i in enumerate(chunk)]
            active = list(range(len(chunk)))
            while active:
                actions = act(stack([observations[j] for j in active]))
                still = []
                for action, j in zip(actions, active):
                    observation, reward, terminated, truncated, _ = envs[j].step(action)
                    observations[j] = observation
                    returns[chunk[j]] += float(reward)
                    lengths[chunk[j]] += 1
                    if not (terminated or truncated):
                        still.append(j)
                active = still
    finally:
        for env in envs:
            env.close()
    return returns, lengths


def stack(observations: list[Any]) -> Any:
    """Observations of several environments as one batch (a dict of batches for Dict spaces)."""
    if isinstance(observations[0], dict):
        return {key: np.stack([np.asarray(o[key]) for o in observations]) for key in observations[0]}
    return np.stack([np.asarray(o) for o in observations])


def random_actor(action_space: Any, seed: int) -> Callable[[Any], list[Any]]:
    """The random agent: a uniformly drawn action for each observation (seeded, so that it
    plays the same episodes the same way every time)."""
    action_space.seed(seed)

    def act(observations: Any) -> list[Any]:
        count = len(next(iter(observations.values()))) if isinstance(observations, dict) else len(observations)
        return [action_space.sample() for _ in range(count)]
    return act


def summary(returns: np.ndarray, lengths: np.ndarray, episode_seeds: list[int]) -> dict[str, Any]:
    """What the record keeps of a set of episodes. A world whose every return is 0 or 1
    (reaching the goal or not, as in FrozenLake) also gets its success rate."""
    found = {"episodes": len(returns), "seeds": [episode_seeds[0], episode_seeds[-1]],
             "mean": float(np.mean(returns)), "std": float(np.std(returns)),
             "min": float(np.min(returns)), "max": float(np.max(returns)),
             "mean_length": float(np.mean(lengths)),
             "returns": np.round(returns, 6).tolist(), "lengths": lengths.tolist()}
    if np.all(np.isin(returns, (0.0, 1.0))):
        found["success_rate"] = float(np.mean(returns))
    return found


def value_trace(make: Callable[[], Any], act: Callable[[Any], np.ndarray],
                values: Callable[[Any], np.ndarray], seed: int, gamma: float) -> dict[str, Any]:
    """One evaluation episode step by step: the policy's value estimate of each state beside
    the reward that followed and the discounted return actually obtained from that state on,
    so that the report can show how well the agent foresees its future."""
    env = make()
    try:
        observation, _ = env.reset(seed=seed)
        estimates, rewards, done = [], [], False
        while not done:
            batch = stack([observation])
            estimates.append(float(values(batch)[0]))
            observation, reward, terminated, truncated, _ = env.step(act(batch)[0])
            rewards.append(float(reward))
            done = terminated or truncated
    finally:
        env.close()
    realised = np.zeros(len(rewards))
    running = 0.0
    for i in range(len(rewards) - 1, -1, -1):
        running = rewards[i] + gamma * running
        realised[i] = running
    return {"seed": seed, "gamma": gamma, "value": np.round(estimates, 6).tolist(),
            "reward": np.round(rewards, 6).tolist(), "discounted_return": np.round(realised, 6).tolist()}
