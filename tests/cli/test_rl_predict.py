"""``manabu predict AGENT_DIR``: the agent replayed on new episodes beside a random agent, on
its own environment, on a user's file with the same spaces, with a per-episode CSV; and one
clear message for an environment it cannot play."""
from __future__ import annotations

import textwrap

import pandas as pd
import pytest

pytest.importorskip("gymnasium", reason="the rl extra is not installed: pip install \"manabu[rl]\"")
pytest.importorskip("stable_baselines3", reason="the rl extra is not installed: pip install \"manabu[rl]\"")

import manabu  # noqa: E402
from tests.cli.conftest import Cli, assert_refused  # noqa: E402

# a 16-state, 4-action world where action 2 walks right to the goal: a file the agent never saw
WALK = '''
import gymnasium as gym


class Walk(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self):
        self.observation_space = gym.spaces.Discrete(16)
        self.action_space = gym.spaces.Discrete(4)
        self.position = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.position = 0
        return self.position, {}

    def step(self, action):
        self.position = min(15, self.position + (1 if action == 2 else 0))
        done = self.position == 15
        return self.position, (1.0 if done else 0.0), done, False, {}
'''


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rl_predict") / "lake"
    manabu.rl("FrozenLake-v1", folder, time_limit=3, seed=0)
    return folder


def test_replay_says_the_mean_beside_the_random_agent_and_writes_episodes(lake, tmp_path):
    agent = manabu.load(lake)
    result = Cli()("predict", lake, "--episodes", 25, "-o", tmp_path / "episodes.csv")
    assert result.exit_code == 0, result.output
    expected = agent.evaluate(episodes=25)
    for phrase in ("FrozenLake-v1, 25 episodes", f"the q agent {expected['agent']['mean']:.3f} ± "
                   f"{expected['agent']['std']:.3f}", f"random actions {expected['random']['mean']:.3f} ±",
                   "success"):
        assert phrase in result.output, (phrase, result.output)
    rows = pd.read_csv(tmp_path / "episodes.csv")
    assert len(rows) == 25 and list(rows.columns[:3]) == ["episode", "seed", "agent_return"]
    assert rows["agent_return"].mean() == pytest.approx(expected["agent"]["mean"])
    japanese = Cli()("predict", lake, "--episodes", 3, "--lang", "ja")
    assert japanese.exit_code == 0 and "ランダムな行動" in japanese.output and "成功率" in japanese.output


def test_another_environment_with_the_same_spaces_or_one_clear_message(lake, tmp_path):
    walk = tmp_path / "walk.py"
    walk.write_text(textwrap.dedent(WALK), encoding="utf-8")
    result = Cli()("predict", lake, "--env", f"{walk}:Walk", "--episodes", 5)
    assert result.exit_code == 0, result.output
    assert "5 episodes" in result.output and "random actions" in result.output
    assert_refused(Cli()("predict", lake, "--env", "CartPole-v1"), "Discrete(16)", "CartPole-v1", "same spaces")
    assert_refused(Cli()("predict", lake, "--episodes", 0), "--episodes 0")
