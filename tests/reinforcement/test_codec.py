"""Every algorithm's agent saved as safetensors and JSON and loaded into a fresh policy that acts
and values exactly as the original (no training needed for that: a policy just built will do)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from manabu.base.errors import ArtifactError
from manabu.reinforcement.agent import Agent
from manabu.reinforcement.environments import resolve
from manabu.reinforcement.hyperparams import settings_for
from manabu.reinforcement.learners import NetworkLearner
from manabu.reinforcement.spaces import describe


def _untrained(env_id: str, algo: str) -> Agent:
    source = resolve(env_id)
    probe = source.make()
    observation, action = describe(probe.observation_space), describe(probe.action_space)
    learner = NetworkLearner(source, algo, settings_for(algo, env_id), observation, seed=0)
    if learner.env.__class__.__name__ == "VecNormalize":  # statistics that are not the identity
        learner.env.obs_rms.mean = np.arange(observation["shape"][0], dtype=np.float64)
        learner.env.obs_rms.var = np.full(observation["shape"][0], 4.0)
    agent = learner.agent({"algo": algo, "observation_space": observation, "action_space": action,
                           "hyperparams": learner.hyper.to_dict(), "env": {"id": env_id, "kind": "registry"},
                           "libraries": {}})
    learner.close()
    return agent


@pytest.mark.parametrize("env_id, algo", [("Acrobot-v1", "dqn"), ("Pendulum-v1", "a2c"), ("Pendulum-v1", "sac"),
                                          ("Pendulum-v1", "td3"), ("Pendulum-v1", "ppo")])
def test_a_saved_agent_acts_and_values_as_the_original(tmp_path, env_id, algo):
    agent = _untrained(env_id, algo)
    agent.save(tmp_path / algo, report=False)
    loaded = Agent.load(tmp_path / algo)
    observations = resolve(env_id).make().observation_space.sample()[None].repeat(8, axis=0)
    observations = observations + np.random.default_rng(0).normal(size=observations.shape).astype(np.float32)
    assert np.array_equal(loaded.act_batch(observations), agent.act_batch(observations))
    assert np.allclose(loaded.values(observations), agent.values(observations))
    if algo == "a2c":  # the Zoo normalises Pendulum's observations for A2C: the statistics travel
        assert loaded.settings["normalization"]["clip_obs"] == 10.0
        assert np.array_equal(loaded.arrays["normalize/obs_mean"], np.arange(3.0))
    if algo == "sac":
        assert "algo/log_ent_coef" in loaded.arrays
    action = loaded.act(observations[0])
    assert isinstance(action, np.ndarray) and action.shape == (1,) or algo == "dqn"


def test_a_damaged_settings_file_is_refused(tmp_path):
    agent = _untrained("Acrobot-v1", "dqn")
    folder = agent.save(tmp_path / "a", report=False)
    settings = json.loads((folder / "agent.json").read_text("utf-8"))
    (folder / "agent.json").write_text(json.dumps({**settings, "algo": "reinforce"}), encoding="utf-8")
    with pytest.raises(ArtifactError) as error:
        Agent.load(folder)
    assert error.value.key == "artifact.tampered"
