"""``manabu.rl``: train an agent on an environment within a time limit, judge it honestly, keep it.

The steps: resolve the environment (``environments``), choose the algorithm from its spaces
(``choice``) and its known-good settings (``hyperparams``), learn while a ``Watch`` keeps the
best policy on validation episodes and stops at the deadline (``anytime``); when time allows,
learn again with other seeds and in a short search around the settings, keeping the best run
(``runs``, ``tuning``); then evaluate the kept policy on episodes of their own beside a random
agent (``evaluation``), trace its value estimates along one episode, draw a few episodes
(``animation``) and save the folder.

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

from manabu.base.errors import ArtifactError, ConfigError
from manabu.base.i18n import Notice
from manabu.reinforcement.agent import Agent
from manabu.reinforcement.choice import choose
from manabu.reinforcement.environments import EnvSource, resolve
from manabu.reinforcement.hyperparams import Hyperparams, settings_for
from manabu.reinforcement.library import versions
from manabu.reinforcement.record import judge, training_record
from manabu.reinforcement.runs import Runs
from manabu.reinforcement.spaces import describe

MIN_EPISODES = 20          # the final evaluation, at least (RL is noisy: fewer say little)


@dataclass(frozen=True)
class Settings:
    """How an agent is trained (``rl``'s keywords, ``manabu rl``'s options)."""

    time_limit: float = 120.0
    algo: str = "auto"
    seed: int = 0
    episodes: int = MIN_EPISODES  # of the final evaluation
    seeds: int | None = None      # runs with seed, seed+1 … time allowing (None: up to 3)
    tune: bool | None = None      # a short search after them (None: when time is left)

    def __post_init__(self) -> None:
        if not isinstance(self.time_limit, (int, float)) or not math.isfinite(self.time_limit) or self.time_limit <= 0:
            raise ConfigError("search.bad_time_limit", value=self.time_limit)
        if not isinstance(self.episodes, int) or self.episodes < MIN_EPISODES:
            raise ConfigError("rl.too_few_episodes", episodes=self.episodes, minimum=MIN_EPISODES)
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError("rl.bad_seed", seed=self.seed)
        if self.seeds is not None and (isinstance(self.seeds, bool) or not isinstance(self.seeds, int)
                                       or self.seeds < 1):
            raise ConfigError("rl_runs.bad_seeds", seeds=self.seeds)
        if self.tune is not None and not isinstance(self.tune, bool):
            raise ConfigError("rl_runs.bad_tune", tune=self.tune)


Progress = Callable[[float, dict[str, Any]], None]


def rl(env: Any, output: str | Path | None = None, *, time_limit: float = 120.0, algo: str = "auto", seed: int = 0,
       resume: bool = False, episodes: int = MIN_EPISODES, overwrite: bool = False, report: bool = True,
       seeds: int | None = None, tune: bool | None = None, progress: Progress | None = None,
       started: float | None = None) -> Agent:
    """Train an agent on ``env`` within ``time_limit`` seconds (evaluation and saving included)
    and return it.

    ``env`` is a Gymnasium id ("CartPole-v1"), "path/to/file.py:MyEnv" (a class or a function
    that returns an environment; checked with Gymnasium's ``env_checker`` first), or such a
    class or function. ``algo`` is "auto" (chosen from the spaces), "q" (manabu's Q-table),
    "dqn", "ppo", "a2c", "sac" or "td3". The agent is judged on ``episodes`` evaluation
    episodes (seeds training never used) beside a random agent. With ``output`` the agent is
    saved there (an existing folder is replaced only with ``overwrite``); ``resume=True`` goes
    on from the agent saved in ``output`` and replaces it (one run). When the first run ends its
    budget with time to spare, up to ``seeds`` runs train with seed+1, seed+2 … (None: up to 3;
    1: one only), then, with ``tune`` (None: when time is left), a short search around the
    known-good settings; the agent with the best validation is kept (``runs``). ``progress(fraction,
    status)`` is called as training goes.
    """
    started = time.monotonic() if started is None else started
    settings = Settings(time_limit, algo, seed, episodes, seeds, tune)
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
    with _one_thread():
        runs = Runs(source, planned, settings, started, progress, previous)
        kept = runs.train()
        learner, watch = kept.learner, kept.watch
        if watch.best is not None:
            learner.restore(watch.best)
        agent = learner.agent({"algo": planned.algo, "observation_space": planned.observation,
                               "action_space": planned.action, "hyperparams": kept.hyper.to_dict(),
                               "env": {"id": source.name, "kind": source.kind}, "libraries": versions()})
        learner.close()
        agent.record = training_record(agent, planned.environment, settings, watch, learner, previous,
                                       [*source.notices, *runs.notices])
        agent.record.update({"choice": planned.reason.to_dict(), "hyperparams_note": planned.hyper.note,
                             "learning_seconds": round(kept.seconds, 3), **runs.record()})
        if runs.interrupted:
            agent.record.update({"stopped": "interrupted", "interrupted": True})
        judge(agent, source, settings.seed, settings.episodes, started + settings.time_limit)
    agent.record["seconds"] = round(time.monotonic() - started, 3)
    return agent


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
