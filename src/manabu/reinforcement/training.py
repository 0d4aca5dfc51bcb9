"""``manabu.rl``: train an agent on an environment within a time limit, judge it honestly, keep it.

The steps: resolve the environment (``environments``), choose the algorithm from its spaces
(``choice``) and its known-good settings (``hyperparams``), learn while a ``Watch`` keeps the
best policy on validation episodes and stops at the deadline (``anytime``), then evaluate the
best policy on episodes of their own beside a random agent (``evaluation``), trace its value
estimates along one episode, draw a few episodes (``animation``) and save the folder.

Ctrl-C during learning keeps the best policy so far: it is evaluated and saved like a finished
one, its record saying it was interrupted; ``resume=True`` goes on from the saved folder.
"""
from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from manabu.base.errors import ArtifactError, ConfigError
from manabu.base.i18n import Notice
from manabu.reinforcement.agent import Agent
from manabu.reinforcement.anytime import Watch
from manabu.reinforcement.choice import choose
from manabu.reinforcement.environments import EnvSource, resolve
from manabu.reinforcement.evaluation import VALIDATION, run_episodes, seeds
from manabu.reinforcement.hyperparams import Hyperparams, settings_for
from manabu.reinforcement.library import versions
from manabu.reinforcement.record import ANIMATION_SECONDS, judge, training_record
from manabu.reinforcement.spaces import describe

MIN_EPISODES = 20          # the final evaluation, at least (RL is noisy: fewer say little)
SAVE_SECONDS = 1.0         # kept back for writing the folder
VALIDATION_EPISODES = {"q": 100, "network": 10}  # a Q-table's episodes are cheap, and FrozenLake's 0/1 noisy


@dataclass(frozen=True)
class Settings:
    """How an agent is trained (``rl``'s keywords, ``manabu rl``'s options)."""

    time_limit: float = 120.0
    algo: str = "auto"
    seed: int = 0
    episodes: int = MIN_EPISODES  # of the final evaluation

    def __post_init__(self) -> None:
        if not isinstance(self.time_limit, (int, float)) or not math.isfinite(self.time_limit) or self.time_limit <= 0:
            raise ConfigError("search.bad_time_limit", value=self.time_limit)
        if not isinstance(self.episodes, int) or self.episodes < MIN_EPISODES:
            raise ConfigError("rl.too_few_episodes", episodes=self.episodes, minimum=MIN_EPISODES)
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError("rl.bad_seed", seed=self.seed)


Progress = Callable[[float, dict[str, Any]], None]


def rl(env: Any, output: str | Path | None = None, *, time_limit: float = 120.0, algo: str = "auto", seed: int = 0,
       resume: bool = False, episodes: int = MIN_EPISODES, overwrite: bool = False, report: bool = True,
       progress: Progress | None = None, started: float | None = None) -> Agent:
    """Train an agent on ``env`` within ``time_limit`` seconds (evaluation and saving included)
    and return it.

    ``env`` is a Gymnasium id ("CartPole-v1"), "path/to/file.py:MyEnv" (a class or a function
    that returns an environment; checked with Gymnasium's ``env_checker`` first), or such a
    class or function. ``algo`` is "auto" (chosen from the spaces), "q" (manabu's Q-table),
    "dqn", "ppo", "a2c", "sac" or "td3". The agent is judged on ``episodes`` evaluation
    episodes (seeds training never used) beside a random agent. With ``output`` the agent is
    saved there (an existing folder is replaced only with ``overwrite``); ``resume=True`` goes
    on from the agent saved in ``output`` and replaces it. ``progress(fraction, status)`` is
    called as training goes.
    """
    started = time.monotonic() if started is None else started
    settings = Settings(time_limit, algo, seed, episodes)
    previous = previous_agent(output, resume, overwrite)
    source = resolve(env)
    agent = train(source, settings, previous=previous, progress=progress, started=started)
    if output is not None:
        agent.save(output, overwrite=overwrite or resume, report=report)
    return agent


def previous_agent(output: str | Path | None, resume: bool, overwrite: bool) -> Agent | None:
    """The saved agent to go on from (``resume``), after checking that ``output`` may be
    written: an existing folder is replaced only with ``overwrite`` or ``resume``."""
    if output is not None and Path(output).exists() and not (overwrite or resume):
        raise ArtifactError("artifact.exists", path=str(output))
    if not resume:
        return None
    if output is None:
        raise ConfigError("rl.resume_needs_output")
    if not Path(output).exists():
        raise ConfigError("rl.resume_missing", path=str(output))
    return Agent.load(output)


@dataclass(frozen=True)
class Plan:
    """What training will do, known before it starts (the command line says it first): the
    spaces, the environment's description, the algorithm, why, and its settings."""

    observation: dict[str, Any]
    action: dict[str, Any]
    environment: dict[str, Any]
    algo: str
    reason: Notice
    hyper: Hyperparams


def plan(source: EnvSource, settings: Settings, previous: Agent | None = None) -> Plan:
    """The plan for ``source``: a resumed agent keeps its own algorithm and settings (and must
    have learnt the same environment)."""
    probe = source.make()
    observation, action = describe(probe.observation_space), describe(probe.action_space)
    environment = source.describe(probe)
    probe.close()
    if previous is None:
        chosen = choose(source.name, observation, action, settings.algo)
        return Plan(observation, action, environment, chosen.algo, chosen.reason,
                    settings_for(chosen.algo, source.name))
    if settings.algo not in ("auto", previous.algo):
        raise ConfigError("rl.resume_other_algo", algo=settings.algo, saved=previous.algo)
    if previous.env_id != source.name or previous.settings["observation_space"] != observation:
        raise ConfigError("rl.resume_other_env", env=source.name, saved=previous.env_id)
    return Plan(observation, action, environment, previous.algo, Notice("rl.chose_resumed", {"algo": previous.algo}),
                previous.hyperparams)


def train(source: EnvSource, settings: Settings, *, previous: Agent | None = None, progress: Progress | None = None,
          started: float | None = None, planned: Plan | None = None) -> Agent:
    """``rl`` once the environment is resolved (the command line resolves it and shows the plan
    first); the time limit counts from ``started`` (time.monotonic())."""
    started = time.monotonic() if started is None else started
    planned = planned or plan(source, settings, previous)
    learner = _learner(source, planned, settings.seed, previous)
    with _one_thread():
        watch = _watch(learner, planned.algo, settings, started, progress, previous, source.renders())
        began = time.monotonic()
        try:
            learner.learn(watch)
        except KeyboardInterrupt:
            watch.stopped = "interrupted"
        learning = time.monotonic() - began
        if watch.stopped != "interrupted":
            watch.finish(learner.done)
        if watch.best is not None:
            learner.restore(watch.best)
        agent = learner.agent({"algo": planned.algo, "observation_space": planned.observation,
                               "action_space": planned.action, "hyperparams": planned.hyper.to_dict(),
                               "env": {"id": source.name, "kind": source.kind}, "libraries": versions()})
        learner.close()
        agent.record = training_record(agent, planned.environment, settings, watch, learner, previous, source.notices)
        agent.record.update({"choice": planned.reason.to_dict(), "hyperparams_note": planned.hyper.note,
                             "learning_seconds": round(learning, 3)})
        judge(agent, source, settings.seed, settings.episodes, started + settings.time_limit)
    agent.record["seconds"] = round(time.monotonic() - started, 3)
    return agent


def _learner(source: EnvSource, planned: Plan, seed: int, previous: Agent | None) -> Any:
    from manabu.reinforcement.learners import NetworkLearner, TabularLearner

    if planned.algo == "q":
        return TabularLearner(source, planned.hyper, (planned.observation, planned.action), seed, previous)
    return NetworkLearner(source, planned.algo, planned.hyper, planned.observation, seed, previous)


def _watch(learner: Any, algo: str, settings: Settings, started: float, progress: Progress | None,
           previous: Agent | None, renders: bool) -> Watch:
    count = VALIDATION_EPISODES["q" if algo == "q" else "network"]
    chosen = seeds(settings.seed, VALIDATION, count)

    def validate() -> tuple[float, float]:
        returns, _ = run_episodes(learner.source.make, learner.act_batch, chosen)
        return float(np.mean(returns)), float(np.std(returns))

    watch = Watch(end=started + settings.time_limit, validate=validate, snapshot=learner.snapshot,
                  budget=learner.budget, unit=learner.unit, validation_episodes=count,
                  final_episodes=settings.episodes, time_limit=settings.time_limit, progress=progress,
                  start=learner.start, kept_back=SAVE_SECONDS + (ANIMATION_SECONDS if renders else 0.0))
    if previous is not None:
        watch.resume_from(previous.record.get("history") or {})
        best = (previous.record.get("history") or {}).get("validation", {}).get("best_mean")
        if best is not None:  # the saved agent is the one to beat
            watch.best_mean, watch.best, watch.best_step = float(best), learner.snapshot(), learner.start
    return watch


@contextmanager
def _one_thread():
    """PyTorch on one thread while the agent learns and plays: its networks are small, and two
    threads on a busy pair of cores spent more time waiting on each other than computing
    (PPO on CartPole ran 9× faster on one, measured beside other work). The tabular agent
    imports no torch, and none is imported for it."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
