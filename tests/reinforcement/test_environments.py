"""ENV resolved: a Gymnasium id, a user's file (checked with Gymnasium's env_checker), and the
one clear message for each mistake."""
from __future__ import annotations

import pytest

from manabu.base.errors import ConfigError, MissingExtraError
from manabu.reinforcement.choice import choose
from manabu.reinforcement.environments import resolve
from manabu.reinforcement.spaces import describe, rebuild

from .conftest import write


def test_a_registered_id_resolves_and_an_unknown_one_names_the_close_ones():
    assert resolve("CartPole-v1").kind == "registry"
    with pytest.raises(ConfigError) as error:
        resolve("CartPole-v9")
    assert error.value.key == "rl.unknown_env" and "CartPole-v1" in str(error.value)
    with pytest.raises(ConfigError) as error:
        resolve("frozenlake-v1")
    assert "FrozenLake-v1" in str(error.value)
    with pytest.raises(ConfigError) as error:
        resolve("Qwxyz")
    assert error.value.key == "rl.unknown_env_far"


def test_a_user_file_resolves_to_its_one_environment(corridor):
    source = resolve(str(corridor))
    assert source.kind == "file" and source.name.endswith("corridor.py:Corridor")
    env = source.make()
    assert env.observation_space.n == 6 and env.reset(seed=0)[0] == 0
    assert any(n.key == "rl.time_limit_added" for n in source.notices)  # it never ends by itself
    assert resolve(f"{corridor}:Corridor").name == source.name


def test_a_file_without_an_environment_or_the_name_is_refused(tmp_path, corridor):
    empty = write(tmp_path, "nothing.py", "x = 1\n")
    with pytest.raises(ConfigError) as error:
        resolve(str(empty))
    assert error.value.key == "rl.no_env_in_file"
    with pytest.raises(ConfigError) as error:
        resolve(f"{corridor}:Maze")
    assert error.value.key == "rl.env_name_missing" and "Corridor" in str(error.value)
    with pytest.raises(ConfigError) as error:
        resolve(str(tmp_path / "absent.py"))
    assert error.value.key == "rl.env_file_missing"
    broken = write(tmp_path, "broken.py", "import nonexistent_module_xyz\n")
    with pytest.raises(ConfigError) as error:
        resolve(str(broken))
    assert error.value.key == "rl.env_file_failed" and "nonexistent_module_xyz" in str(error.value)


def test_an_environment_that_breaks_gymnasiums_api_is_refused_with_the_checkers_words(tmp_path):
    bad = write(tmp_path, "bad.py", '''
        import gymnasium as gym

        class Bad(gym.Env):
            def __init__(self):
                self.observation_space = gym.spaces.Discrete(3)
                self.action_space = gym.spaces.Discrete(2)

            def reset(self, *, seed=None, options=None):
                super().reset(seed=seed)
                return 7, {}          # outside the observation space

            def step(self, action):
                return 0, 0.0, True, False, {}
    ''')
    with pytest.raises(ConfigError) as error:
        resolve(str(bad))
    assert error.value.key == "rl.env_check_failed" and "Bad" in str(error.value)


def test_the_algorithm_follows_the_spaces_and_a_wrong_one_is_refused():
    cartpole = resolve("CartPole-v1").make()
    observation, action = describe(cartpole.observation_space), describe(cartpole.action_space)
    assert choose("CartPole-v1", observation, action).algo == "ppo"
    assert choose("Other-v0", observation, action).algo == "ppo"
    with pytest.raises(ConfigError) as error:
        choose("CartPole-v1", observation, action, "sac")
    assert error.value.key == "rl.algo_cannot" and "dqn, ppo, a2c" in str(error.value)
    with pytest.raises(ConfigError) as error:
        choose("CartPole-v1", observation, action, "q")
    assert error.value.key == "rl.algo_needs_table"
    with pytest.raises(ConfigError):
        choose("CartPole-v1", observation, action, "reinforce")
    lake = resolve("FrozenLake-v1").make()
    assert choose("FrozenLake-v1", describe(lake.observation_space), describe(lake.action_space)).algo == "q"
    pendulum = resolve("Pendulum-v1").make()
    assert choose("Pendulum-v1", describe(pendulum.observation_space), describe(pendulum.action_space)).algo == "sac"


def test_spaces_survive_json():
    for name in ("CartPole-v1", "Pendulum-v1", "FrozenLake-v1", "MountainCarContinuous-v0"):
        env = resolve(name).make()
        for space in (env.observation_space, env.action_space):
            assert rebuild(describe(space)) == space


def test_a_missing_extra_is_one_message(monkeypatch):
    import sys

    from manabu.reinforcement.library import stable_baselines3
    monkeypatch.setitem(sys.modules, "stable_baselines3", None)  # import fails as if absent
    with pytest.raises(MissingExtraError) as error:
        stable_baselines3()
    assert 'pip install "manabu[rl]"' in str(error.value)
