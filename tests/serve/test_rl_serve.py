"""Serving an agent: ``POST /act`` answers the action the policy takes (``Agent.act``) for one
observation or a batch, and refuses an observation that does not fit the space, naming it."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium", reason="the rl extra is not installed: pip install \"manabu[rl]\"")
pytest.importorskip("stable_baselines3", reason="the rl extra is not installed: pip install \"manabu[rl]\"")

import manabu  # noqa: E402
from tests.serve.conftest import AUTH, TOKEN  # noqa: E402


def _client(folder, token=None):
    from fastapi.testclient import TestClient

    from manabu.serve.server import load_app

    served = load_app(folder, token)  # the folder's kind "rl" chooses the app
    assert "/act" in served.listening("http://host")
    return TestClient(served.app)


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve_rl") / "lake"
    manabu.rl("FrozenLake-v1", folder, time_limit=3, seed=0)
    return manabu.load(folder), _client(folder, TOKEN)


@pytest.fixture(scope="module")
def pole(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve_rl") / "pole"
    manabu.rl("CartPole-v1", folder, time_limit=3, algo="ppo", seed=0)
    return manabu.load(folder), _client(folder)


def test_a_discrete_state_gets_the_agents_action(lake):
    agent, api = lake
    for state in range(16):
        answer = api.post("/act", json={"observation": state}, headers=AUTH)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"action": agent.act(state)}
    batch = api.post("/act", json={"observations": list(range(16))}, headers=AUTH)
    assert batch.json() == {"actions": [agent.act(s) for s in range(16)]}
    metadata = api.get("/metadata", headers=AUTH).json()
    assert metadata["task"] == "rl" and metadata["env"] == "FrozenLake-v1" and metadata["observation_space"]["n"] == 16


def test_token_health_and_bad_observations(lake):
    _, api = lake
    assert api.get("/health").status_code == 200
    assert api.post("/act", json={"observation": 0}).status_code == 401
    for body, words in (({"observation": 16}, "outside 0..15"), ({"observation": "a"}, "whole number"),
                        ({"observation": [1, 2]}, "whole number"), ({"observations": [0, 1.5]}, "observation 2"),
                        ({"state": 3}, "\"observation\"")):
        answer = api.post("/act", json=body, headers=AUTH)
        assert answer.status_code == 422, body
        assert "Discrete(16)" in answer.json()["message"] and words in answer.json()["message"], answer.json()
        assert "Discrete(16)" in answer.json()["message_ja"] and "観測" in answer.json()["message_ja"]
    wrong_type = api.post("/act", content=b"0", headers={**AUTH, "content-type": "text/plain"})
    assert wrong_type.status_code == 415


def test_a_box_observation_gets_the_agents_action(pole):
    agent, api = pole
    observations = np.random.default_rng(0).normal(0, 0.05, size=(8, 4)).tolist()
    one = api.post("/act", json={"observation": observations[0]})
    assert one.status_code == 200, one.text
    assert one.json()["action"] == agent.act(np.asarray(observations[0], dtype=np.float32))
    batch = api.post("/act", json={"observations": observations}).json()["actions"]
    assert batch == agent.act_batch(np.asarray(observations, dtype=np.float32)).tolist()
    for bad in ([0.1, 0.2, 0.3], [[0.1] * 4], "left", [0.1, None, 0.2, 0.3]):
        answer = api.post("/act", json={"observation": bad})
        assert answer.status_code == 422, bad
        assert "Box(" in answer.json()["message"] and "(4,)" in answer.json()["message"]
