"""Tabular Q-learning: manabu's own agent for small worlds, short enough to read in one sitting.

The agent keeps a table ``Q[state, action]``: how much reward it expects in total (discounted)
if it takes ``action`` in ``state`` and acts well afterwards. It learns the table by trying:

1. In state ``s`` it picks an action ``a``: with probability ε a random one (exploration, to
   find out what the other actions do), else the best one the table knows (exploitation).
2. The environment answers with a reward ``r`` and the next state ``s'``.
3. It moves ``Q[s, a]`` a step ``α`` (the learning rate) towards what it has just seen:

       Q[s, a] ← Q[s, a] + α · (r + γ · max_a' Q[s', a'] − Q[s, a])

   where ``γ`` (the discount) weighs the future against the present reward; when the episode
   has ended (``terminated``: a goal or a hole, not a time limit) the future is worth 0.

ε starts high and decays, so the agent explores first and exploits later. The policy is then
"in each state, the action with the largest Q". The table is the agent's weights: it is what a
saved agent keeps (``codec``), and what the report draws on a grid world.
"""
from __future__ import annotations

from typing import Any

import numpy as np

# the hyperparameters (``hyperparams/q.json``), as the constructor takes them
SETTINGS = ("learning_rate", "gamma", "epsilon_start", "epsilon_end", "exploration_fraction", "episodes")


class QLearning:
    """A Q-table over ``n_states`` × ``n_actions``, learnt by ε-greedy Q-learning."""

    def __init__(self, n_states: int, n_actions: int, *, learning_rate: float = 0.1, gamma: float = 0.99,
                 epsilon_start: float = 1.0, epsilon_end: float = 0.05, exploration_fraction: float = 0.5,
                 episodes: int = 20_000, seed: int = 0) -> None:
        self.q_table = np.zeros((int(n_states), int(n_actions)), dtype=np.float64)
        self.learning_rate, self.gamma = float(learning_rate), float(gamma)
        self.epsilon_start, self.epsilon_end = float(epsilon_start), float(epsilon_end)
        self.exploration_fraction, self.episodes = float(exploration_fraction), int(episodes)
        self.episodes_done = 0  # carried over by --resume, so that ε goes on decaying
        self.rng = np.random.default_rng(seed)

    def epsilon(self) -> float:
        """ε now: from ``epsilon_start`` down to ``epsilon_end`` over the first
        ``exploration_fraction`` of the episodes, then constant."""
        span = max(1.0, self.exploration_fraction * self.episodes)
        done = min(1.0, self.episodes_done / span)
        return self.epsilon_start + done * (self.epsilon_end - self.epsilon_start)

    def act(self, state: int) -> int:
        """The greedy action (ties: the first), as the policy is judged and used."""
        return int(np.argmax(self.q_table[state]))

    def explore(self, state: int) -> int:
        """The ε-greedy action of training (ties broken at random, so that an untried table
        does not always push the same way)."""
        if self.rng.random() < self.epsilon():
            return int(self.rng.integers(self.q_table.shape[1]))
        row = self.q_table[state]
        return int(self.rng.choice(np.flatnonzero(row == row.max())))

    def update(self, state: int, action: int, reward: float, next_state: int, terminated: bool) -> None:
        """One step of the rule in the module's docstring."""
        future = 0.0 if terminated else self.gamma * float(self.q_table[next_state].max())
        target = reward + future
        self.q_table[state, action] += self.learning_rate * (target - self.q_table[state, action])

    def episode(self, env: Any, seed: int | None, offset: int = 0) -> tuple[float, int]:
        """Play and learn from one training episode; its return and length. ``offset`` is the
        observation space's ``start`` (states numbered from it)."""
        state, _ = env.reset(seed=seed)
        state, total, length, done = int(state) - offset, 0.0, 0, False
        while not done:
            action = self.explore(state)
            observed, reward, terminated, truncated, _ = env.step(action)
            observed = int(observed) - offset
            self.update(state, action, float(reward), observed, bool(terminated))
            state, total, length = observed, total + float(reward), length + 1
            done = terminated or truncated
        self.episodes_done += 1
        return total, length

    def settings(self) -> dict[str, Any]:
        """The hyperparameters, as the saved agent's JSON keeps them."""
        return {"learning_rate": self.learning_rate, "gamma": self.gamma, "epsilon_start": self.epsilon_start,
                "epsilon_end": self.epsilon_end, "exploration_fraction": self.exploration_fraction,
                "episodes": self.episodes, "episodes_done": self.episodes_done}
