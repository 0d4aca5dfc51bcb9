"""Several runs when time allows: other seeds with the same settings, then a short Optuna search;
the agent with the best validation is kept, the final evaluation (on its own seeds) judges it
alone, Ctrl-C keeps the best so far, and ``seeds=1, tune=False`` is one run as before.

The budgets are cut small (``small_budget``) so that each test trains several agents in seconds."""
from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

import manabu
from manabu.base.errors import ConfigError
from manabu.base.i18n import t
from manabu.reinforcement import training, tuning
from manabu.reinforcement.evaluation import EVALUATION
from manabu.reinforcement.hyperparams import Hyperparams, settings_for
from manabu.reinforcement.runs import Runs

from .conftest import write


@pytest.fixture(scope="module", autouse=True)
def libraries_loaded():
    """torch, Stable-Baselines3 and Optuna imported before the clocks start."""
    import optuna  # noqa: F401
    import stable_baselines3  # noqa: F401


@pytest.fixture
def small_budget(monkeypatch):
    """The known-good settings with a budget of ``size`` episodes (the Q-table) or steps."""
    def cut(size: int, **changed):
        def settings(algo: str, env_id: str) -> Hyperparams:
            known = settings_for(algo, env_id)
            values = {**known.values, ("episodes" if algo == "q" else "n_timesteps"): size, **changed}
            return Hyperparams(known.algo, values, known.source, known.note)
        monkeypatch.setattr(training, "settings_for", settings)
    return cut


def best_of(rows):
    """The first row with the largest best validation mean (the earlier wins a tie)."""
    means = [-math.inf if row["best_mean"] is None else row["best_mean"] for row in rows]
    return rows[int(np.argmax(means))]


def test_other_seeds_train_when_time_allows_and_the_best_validation_is_kept(small_budget):
    small_budget(300)
    agent = manabu.rl("FrozenLake-v1", time_limit=20, seed=0, seeds=3, tune=False)
    record = agent.record
    runs = record["runs"]
    assert [run["seed"] for run in runs] == [0, 1, 2]
    assert all(run["steps"] == 300 and run["stopped"] == "budget" and run["settings"] == "manabu" for run in runs)
    assert all(run["seconds"] > 0 and run["best_std"] is not None for run in runs)
    kept = best_of(runs)
    assert [run["kept"] for run in runs] == [run is kept for run in runs]
    assert record["kept"] == {"kind": "seed", "seed": kept["seed"], "number": None, "best_mean": kept["best_mean"]}
    assert record["history"]["validation"]["best_mean"] == kept["best_mean"]  # the kept run's own history
    assert record["tuning"] is None
    assert record["evaluation"]["agent"]["seeds"] == [EVALUATION, EVALUATION + 19]  # seed 0's, whichever is kept
    assert record["seed"] == 0 and record["seconds"] < 20


def test_one_seed_and_no_tuning_is_one_run_as_before(small_budget):
    small_budget(300)
    agent = manabu.rl("FrozenLake-v1", time_limit=20, seed=0, seeds=1, tune=False)
    record = agent.record
    assert len(record["runs"]) == 1 and record["runs"][0]["kept"] and record["tuning"] is None
    assert record["kept"]["seed"] == 0 and record["budget"] == {"unit": "episodes", "total": 300, "done": 300}
    assert record["stopped"] == "budget" and not record["interrupted"] and record["notices"] == []


def test_a_trial_that_beats_the_known_settings_is_kept_and_saved_with_its_settings(small_budget, monkeypatch,
                                                                                    tmp_path):
    """The "known-good" learning rate is made hopeless (0.0005: the table hardly moves in 300
    episodes) and the space chooses 0.3 or 0.5, so that a trial beats the run."""
    small_budget(300, learning_rate=0.0005)
    space = {**tuning.space("q"), "learning_rate": {"type": "choice", "values": [0.3, 0.5]}}
    monkeypatch.setattr(tuning, "space", lambda algo: space)
    agent = manabu.rl("FrozenLake-v1", tmp_path / "lake", time_limit=10, seed=0, seeds=1, tune=True)
    record = agent.record
    trials = record["tuning"]["trials"]
    assert len(trials) >= 2 and [trial["number"] for trial in trials] == list(range(1, len(trials) + 1))
    for trial in trials:
        params = trial["params"]
        assert params["learning_rate"] in (0.3, 0.5) and 0.95 <= params["gamma"] <= 1 - 0.002
        assert 0.25 <= params["exploration_fraction"] <= 0.75 and 0.0 <= params["epsilon_end"] <= 0.06
        assert trial["seconds"] <= record["tuning"]["slice_seconds"] + 1.0
    kept = best_of(record["runs"] + trials)
    assert kept in trials and kept["kept"] and record["kept"]["kind"] == "trial"
    assert record["kept"]["number"] == kept["number"] and kept["best_mean"] > record["runs"][0]["best_mean"]
    loaded = manabu.load(tmp_path / "lake")
    saved = loaded.settings["hyperparams"]
    assert saved["source"] == "tuned" and saved["values"]["learning_rate"] == kept["params"]["learning_rate"]
    assert np.array_equal(loaded.q_table, agent.q_table)
    page = (tmp_path / "lake" / "report.html").read_text("utf-8")
    assert '<section id="tuning">' in page and '<section id="runs">' not in page
    for key in ("rl_runs_report.title_tuning", "rl_runs_report.col_pruned"):
        assert t(key, "en") in page and t(key, "ja") in page


def test_settings_the_algorithm_refuses_fail_their_trial_and_the_search_goes_on(small_budget, monkeypatch):
    small_budget(200)
    monkeypatch.setattr(tuning, "space", lambda algo: {"learning_rate": {"type": "choice", "values": ["fast"]}})
    agent = manabu.rl("FrozenLake-v1", time_limit=8, seed=0, seeds=1, tune=True)
    record = agent.record
    trials = record["tuning"]["trials"]
    assert len(trials) == 10 and all(trial["error"].startswith("ValueError") for trial in trials)
    assert record["kept"]["kind"] == "seed" and record["runs"][0]["kept"] and record["evaluation"]["agent"]


def test_ctrl_c_during_a_later_run_keeps_the_best_so_far(tmp_path, small_budget):
    """The environment raises KeyboardInterrupt 200 steps into the run seeded 1 (the second);
    the first run's agent or the second's, whichever validated better, is evaluated and saved."""
    small_budget(300)
    path = write(tmp_path, "pressed.py", '''
        import gymnasium as gym
        from gymnasium.envs.toy_text.frozen_lake import FrozenLakeEnv

        STEPS = [0]

        def make_lake(render_mode=None):
            return gym.wrappers.TimeLimit(Pressed(render_mode=render_mode), max_episode_steps=100)

        class Pressed(FrozenLakeEnv):
            marked = False

            def reset(self, *, seed=None, options=None):
                self.marked = self.marked or seed == 1  # the second run's training copy
                return super().reset(seed=seed, options=options)

            def step(self, action):
                if self.marked:
                    STEPS[0] += 1
                    if STEPS[0] == 200:
                        raise KeyboardInterrupt
                return super().step(action)
    ''')
    agent = manabu.rl(f"{path}:make_lake", tmp_path / "kept", time_limit=30, seed=0, seeds=3, tune=True)
    record = agent.record
    assert record["interrupted"] and record["stopped"] == "interrupted"
    assert [run["seed"] for run in record["runs"]] == [0, 1] and record["runs"][1]["stopped"] == "interrupted"
    assert record["tuning"] is None and record["seconds"] < 25
    assert best_of(record["runs"])["kept"]
    assert manabu.load(tmp_path / "kept").record["interrupted"]


def test_a_resumed_agent_trains_one_run_and_says_so(tmp_path, small_budget):
    small_budget(200)
    folder = tmp_path / "lake"
    manabu.rl("FrozenLake-v1", folder, time_limit=10, seed=0, seeds=1, tune=False)
    again = manabu.rl("FrozenLake-v1", folder, time_limit=10, seed=0, seeds=3, resume=True)
    record = again.record
    assert record["resumed"] == 1 and record["resumed_run"] and len(record["runs"]) == 1
    assert record["tuning"] is None and record["budget"]["done"] == 400
    assert [n["key"] for n in record["notices"] if n["key"].startswith("rl_runs")] == ["rl_runs.resumed_one_run"]


def test_ppo_runs_and_trials_build_valid_agents(small_budget, monkeypatch, tmp_path):
    """PPO with the Zoo's CartPole settings (1,024 steps) on CartPole cut to 50 steps an episode,
    so that a good policy's validations stay short: two seeds, then trials."""
    path = write(tmp_path, "short_pole.py", '''
        import gymnasium as gym

        def short_pole(render_mode=None):
            return gym.make("CartPole-v1", max_episode_steps=50, render_mode=render_mode)
    ''')
    known = settings_for("ppo", "CartPole-v1")
    monkeypatch.setattr(training, "settings_for", lambda algo, env_id: Hyperparams(
        "ppo", {**known.values, "n_timesteps": 1024}, known.source, known.note))
    agent = manabu.rl(f"{path}:short_pole", tmp_path / "pole", time_limit=12, algo="ppo", seed=0, seeds=2)
    record = agent.record
    assert [run["seed"] for run in record["runs"]] in ([0], [0, 1])  # the second when a whole run fits
    assert all(run["stopped"] == "budget" and run["steps"] == 1024 for run in record["runs"])
    trials = (record["tuning"] or {}).get("trials") or []
    assert trials and all("error" not in trial and trial["params"]["n_epochs"] in (1, 5, 10, 20) for trial in trials)
    assert best_of(record["runs"] + trials)["kept"]
    loaded = manabu.load(tmp_path / "pole")
    observations = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    assert np.array_equal(loaded.act_batch(observations), agent.act_batch(observations))
    assert loaded.settings["hyperparams"]["source"] == ("tuned" if record["kept"]["kind"] == "trial" else "rl_zoo")
    assert record["seconds"] < 12


@pytest.mark.parametrize("algo, env", [("q", "FrozenLake-v1"), ("ppo", "CartPole-v1"), ("a2c", "CartPole-v1"),
                                       ("dqn", "CartPole-v1"), ("sac", "Pendulum-v1"), ("td3", "Pendulum-v1")])
def test_sampled_settings_lie_in_the_declared_space_and_build_a_model(algo, env):
    from manabu.reinforcement.environments import resolve
    from manabu.reinforcement.sb3 import build, fresh_policy, load_weights, training_env, weights
    from manabu.reinforcement.spaces import describe

    known = settings_for(algo, env)
    study = tuning.study(0)
    source = resolve(env)
    for _ in range(4):
        trial = study.ask()
        hyper, drawn = tuning.sample(trial, known)
        assert hyper.source == "tuned" and set(drawn) >= set(tuning.space(algo)) - {"noise_std"}
        for key, spec in tuning.space(algo).items():
            if key in drawn and spec["type"] == "choice":
                assert drawn[key] in spec["values"]
        start = {k: v["linear"] if isinstance(v, dict) and "linear" in v else v for k, v in hyper.values.items()}
        if "gamma" in drawn:
            assert 0.9 < start["gamma"] < 1
        assert start.get("learning_rate", 0.001) > 0
        if algo != "q":
            env_ = training_env(source.make, hyper, 0)
            probe = source.make()
            observation = describe(probe.observation_space)
            model = build(algo, hyper, env_, observation, 0)
            saved = Hyperparams(algo, json.loads(json.dumps(hyper.values)), hyper.source, "")  # as agent.json keeps it
            load_weights(fresh_policy(algo, saved, probe.observation_space, probe.action_space, observation),
                         weights(model))  # a saved agent of these settings loads into the same network
            probe.close()
            env_.close()
        study.tell(trial, 0.0)
    again = tuning.study(0).ask()
    assert tuning.sample(again, known)[1] == tuning.sample(tuning.study(0).ask(), known)[1]  # seeded


def test_the_tie_keeps_the_earlier_run_and_releases_the_others():
    from manabu.reinforcement.runs import Run

    closed = []

    def run(mean):
        learner = SimpleNamespace(close=lambda: closed.append(mean))
        watch = SimpleNamespace(best=None if mean is None else object(), best_mean=-np.inf if mean is None else mean)
        return Run(learner, watch, settings_for("q", "FrozenLake-v1"), 0, 1.0, 10, "episodes")
    runs = Runs.__new__(Runs)
    runs.kept = None
    first, tie, better, empty = run(0.5), run(0.5), run(0.7), run(None)
    for each in (first, tie, better, empty):
        runs.offer(each)
    assert runs.kept is better and closed == [0.5, 0.5, None]
    assert first.learner is None and first.watch.best is None and first.best_mean == 0.5  # let go, still reported
    assert better.learner is not None and better.watch.best is not None


@pytest.mark.parametrize("seeds, tune", [(0, None), ("x", None), (True, None), (2.5, None), (None, "yes")])
def test_bad_seeds_or_tune_is_one_clear_error_in_both_languages(seeds, tune):
    with pytest.raises(ConfigError) as raised:
        manabu.rl("FrozenLake-v1", time_limit=5, seeds=seeds, tune=tune)
    error = raised.value
    assert error.key == ("rl_runs.bad_seeds" if tune is None else "rl_runs.bad_tune")
    assert "--seeds" in error.render("en") or "--tune" in error.render("en")
    assert error.render("ja") != error.render("en") and ("指定" in error.render("ja"))


def test_the_command_line_takes_seeds_and_tune_and_says_which_run_was_kept(tmp_path, small_budget):
    from tests.cli.conftest import Cli, assert_refused

    small_budget(300)
    cli = Cli()
    assert_refused(cli("rl", "FrozenLake-v1", "--seeds", "0", "-o", tmp_path / "a"), "--seeds")
    result = cli("rl", "FrozenLake-v1", "-o", tmp_path / "lake", "--time-limit", "10", "--seeds", "2", "--tune")
    assert result.exit_code == 0, result.output
    assert "Kept " in result.output and "trials of" in result.output, result.output
    record = manabu.load(tmp_path / "lake").record
    assert [run["seed"] for run in record["runs"]] == [0, 1] and record["tuning"]["trials"]
