"""Reinforcement learning's tests need the ``rl`` extra (Gymnasium, Stable-Baselines3): skipped
with the reason without it. The user environments they write are small Python files."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

pytest.importorskip("gymnasium", reason="the rl extra is not installed: pip install \"manabu[rl]\"")
pytest.importorskip("stable_baselines3", reason="the rl extra is not installed: pip install \"manabu[rl]\"")

CORRIDOR = '''
import gymnasium as gym
import numpy as np


class Corridor(gym.Env):
    """Walk right along {n} cells to the goal; each step costs a little."""

    metadata = {{"render_modes": []}}

    def __init__(self):
        self.observation_space = gym.spaces.Discrete({n})
        self.action_space = gym.spaces.Discrete(2)
        self.position = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.position = 0
        return self.position, {{}}

    def step(self, action):
        self.position = max(0, min({n} - 1, self.position + (1 if action == 1 else -1)))
        done = self.position == {n} - 1
        return self.position, (1.0 if done else -0.01), done, False, {{}}
'''


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def corridor(tmp_path: Path) -> Path:
    return write(tmp_path, "corridor.py", CORRIDOR.format(n=6))
