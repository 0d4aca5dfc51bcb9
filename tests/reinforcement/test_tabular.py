"""manabu's Q-learning: its update rule, and that it learns FrozenLake (4×4, slippery)."""
from __future__ import annotations

import gymnasium as gym
import numpy as np

from manabu.reinforcement.tabular import QLearning


def test_the_update_moves_q_a_step_towards_reward_plus_discounted_best_next():
    agent = QLearning(3, 2, learning_rate=0.5, gamma=0.9)
    agent.q_table[2] = [1.0, 3.0]
    agent.update(0, 1, 1.0, 2, terminated=False)
    assert agent.q_table[0, 1] == 0.5 * (1.0 + 0.9 * 3.0)
    agent.update(1, 0, 1.0, 2, terminated=True)  # the end of an episode: no future
    assert agent.q_table[1, 0] == 0.5


def test_epsilon_decays_linearly_then_stays():
    agent = QLearning(2, 2, epsilon_start=1.0, epsilon_end=0.1, exploration_fraction=0.5, episodes=100)
    seen = []
    for done in (0, 25, 50, 80):
        agent.episodes_done = done
        seen.append(round(agent.epsilon(), 6))
    assert seen == [1.0, 0.55, 0.1, 0.1]


def _success_probability(env, policy: np.ndarray, steps: int = 100) -> float:
    """The exact chance of reaching the goal within ``steps`` from the start, from the map's
    transition probabilities (no sampling noise)."""
    transitions = env.unwrapped.P
    value = np.zeros(len(policy))
    for _ in range(steps):
        value = np.array([sum(p * (r + (0.0 if done else value[nxt])) for p, nxt, r, done in transitions[s][policy[s]])
                          for s in range(len(policy))])
    return float(value[0])


def test_it_learns_slippery_frozen_lake_to_a_near_optimal_policy():
    env = gym.make("FrozenLake-v1")
    agent = QLearning(16, 4, learning_rate=0.1, gamma=0.99, epsilon_end=0.01, exploration_fraction=0.5,
                      episodes=2500, seed=0)
    first = 0
    for _ in range(2500):
        agent.episode(env, first)
        first = None
    # the best policy reaches the goal with probability 0.74 within FrozenLake's 100 steps; a
    # random one with 0.01
    assert _success_probability(env, agent.q_table.argmax(axis=1)) > 0.6
