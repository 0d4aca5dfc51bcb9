"""``manabu.rl`` end to end: an agent trained within a time limit, judged beside a random agent on
seeds of its own, saved without pickle and loaded back to the same actions; resumed; and kept
when training is interrupted."""
from __future__ import annotations

import json

import numpy as np
import pytest

import manabu
from manabu.reinforcement.agent import Agent
from manabu.reinforcement.anytime import MAX_EPISODES_KEPT
from manabu.reinforcement.evaluation import EVALUATION, VALIDATION

from .conftest import write


@pytest.fixture(scope="module", autouse=True)
def libraries_loaded():
    """torch and Stable-Baselines3 imported before the clocks start, so that the short time
    limits below go to training."""
    import stable_baselines3  # noqa: F401


def test_frozen_lake_learns_a_q_table_and_beats_the_random_agent(tmp_path):
    agent = manabu.rl("FrozenLake-v1", tmp_path / "lake", time_limit=8, seed=0)
    record = agent.record
    assert agent.algo == "q" and agent.q_table.shape == (16, 4)
    evaluation = record["evaluation"]
    assert evaluation["agent"]["episodes"] == 20 and evaluation["random"]["episodes"] == 20
    assert evaluation["agent"]["seeds"] == [EVALUATION, EVALUATION + 19]  # never the training's
    assert evaluation["agent"]["success_rate"] >= 0.3 > evaluation["random"]["success_rate"]
    assert record["env"]["grid"] == {"rows": ["SFFF", "FHFH", "FFFH", "HFFG"], "shape": [4, 4]}
    history = record["history"]
    # every episode, or as many as the record keeps on a fast machine (thinned evenly)
    assert len(history["train"]["return"]) == min(history["train"]["episodes"], MAX_EPISODES_KEPT)
    assert history["train"]["episodes"] > 100
    assert history["validation"]["points"] and history["validation"]["best_mean"] is not None
    assert len(record["values"]["value"]) == len(record["values"]["reward"]) == evaluation["agent"]["lengths"][0]
    loaded = manabu.load(tmp_path / "lake")
    assert isinstance(loaded, Agent) and np.array_equal(loaded.q_table, agent.q_table)
    assert [loaded.act(s) for s in range(16)] == [agent.act(s) for s in range(16)]
    assert loaded.record["evaluation"]["agent"]["mean"] == evaluation["agent"]["mean"]


def test_cartpole_ppo_saves_weights_and_json_and_loads_into_a_fresh_policy(tmp_path):
    agent = manabu.rl("CartPole-v1", tmp_path / "pole", time_limit=10, algo="ppo", seed=1)
    files = {p.name for p in (tmp_path / "pole").iterdir()}
    # the animation when time was left for it, the page when a page maker "rl" is installed
    assert {"agent.json", "agent.safetensors", "manifest.json"} <= files
    assert files <= {"agent.json", "agent.safetensors", "manifest.json", "animation.gif", "report.html"}
    assert ("animation.gif" in files) == (agent.record["animation"] is not None)
    manifest = json.loads((tmp_path / "pole" / "manifest.json").read_text("utf-8"))
    assert manifest["kind"] == "rl" and manifest["pipeline"]["algo"] == "ppo"
    settings = json.loads((tmp_path / "pole" / "agent.json").read_text("utf-8"))
    assert settings["policy_class"] == "MlpPolicy" and settings["hyperparams"]["source"] == "rl_zoo"
    loaded = manabu.load(tmp_path / "pole")
    observations = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    assert np.array_equal(loaded.act_batch(observations), agent.act_batch(observations))
    assert np.allclose(loaded.values(observations), agent.values(observations))
    action = loaded.act(observations[0])
    assert isinstance(action, int) and action in (0, 1)
    assert loaded.act(observations[0]) == action  # deterministic
    assert agent.record["evaluation"]["random"]["mean"] < 40


def test_the_animation_is_a_small_gif_of_a_few_episodes():
    import io

    from PIL import Image

    from manabu.reinforcement.animation import MAX_FRAMES, animate
    from manabu.reinforcement.environments import resolve

    source = resolve("CartPole-v1")
    drawn = animate(source.make, lambda observations: np.zeros(len(observations), dtype=np.int64), [1, 2, 3], 500)
    data, shown = drawn
    image = Image.open(io.BytesIO(data))
    assert image.format == "GIF" and image.width == 320 and image.n_frames == shown["frames"] <= MAX_FRAMES + 3
    assert shown["episodes"] == 3


def test_a_users_environment_file_trains_and_is_named_in_the_record(tmp_path, corridor):
    agent = manabu.rl(f"{corridor}:Corridor", time_limit=4, seed=0)
    assert agent.algo == "q" and agent.record["env"]["kind"] == "file"
    assert agent.record["evaluation"]["agent"]["mean"] > agent.record["evaluation"]["random"]["mean"]
    assert agent.act(0) == 1  # right, towards the goal


def test_resume_goes_on_from_the_saved_agent(tmp_path):
    folder = tmp_path / "lake"
    first = manabu.rl("FrozenLake-v1", folder, time_limit=5, seed=0)
    again = manabu.rl("FrozenLake-v1", folder, time_limit=5, seed=0, resume=True)
    assert again.record["resumed"] == 1
    assert again.record["budget"]["done"] > first.record["budget"]["done"]
    assert again.record["history"]["train"]["episodes"] > first.record["history"]["train"]["episodes"]
    assert Agent.load(folder).record["resumed"] == 1
    from manabu.base.errors import ConfigError
    with pytest.raises(ConfigError):
        manabu.rl("FrozenLake-v1", tmp_path / "nothing", time_limit=5, resume=True)
    with pytest.raises(ConfigError):
        manabu.rl("FrozenLake-v1", folder, time_limit=5, algo="ppo", resume=True)


def test_a_network_agent_resumes_with_its_weights_and_step_count(tmp_path):
    folder = tmp_path / "pole"
    first = manabu.rl("CartPole-v1", folder, time_limit=6, algo="ppo", seed=0)
    again = manabu.rl("CartPole-v1", folder, time_limit=6, seed=0, resume=True)
    assert again.algo == "ppo" and again.record["resumed"] == 1
    assert again.record["timesteps"] > first.record["timesteps"] > 0
    points = again.record["history"]["validation"]["points"]
    assert points[0]["done"] <= first.record["timesteps"] < points[-1]["done"]


def test_ctrl_c_during_training_keeps_and_saves_the_best_so_far(tmp_path):
    """The environment raises KeyboardInterrupt at its 3,000th training step (as Ctrl-C would
    land in it); the agent trained so far is evaluated and saved, marked interrupted."""
    path = write(tmp_path, "interrupted.py", '''
        import gymnasium as gym
        from gymnasium.envs.toy_text.frozen_lake import FrozenLakeEnv

        STEPS = [0]

        def make_lake(render_mode=None):
            return gym.wrappers.TimeLimit(Pressed(render_mode=render_mode), max_episode_steps=100)

        class Pressed(FrozenLakeEnv):
            def step(self, action):
                STEPS[0] += 1
                if STEPS[0] == 3000:
                    raise KeyboardInterrupt
                return super().step(action)
    ''')
    agent = manabu.rl(f"{path}:make_lake", tmp_path / "kept", time_limit=30, seed=0)
    assert agent.record["interrupted"] and agent.record["stopped"] == "interrupted"
    assert agent.record["learning_seconds"] < 25
    assert manabu.load(tmp_path / "kept").record["interrupted"]


def test_training_validation_and_evaluation_seeds_never_meet_and_other_runs_get_other_episodes():
    from manabu.reinforcement.evaluation import seeds
    for seed in (0, 1, 7):
        training = set(range(seed, seed + 16))
        validation, evaluation = set(seeds(seed, VALIDATION, 100)), set(seeds(seed, EVALUATION, 100))
        assert not (training & validation or training & evaluation or validation & evaluation)
    assert not set(seeds(0, EVALUATION, 100)) & set(seeds(1, EVALUATION, 100))
