"""What a trained agent's record holds (the manifest's "rl" entry), for the command line and the
report: the environment and its spaces, the algorithm and its settings, how training went (every
training episode's return and length with their moving average, the validations, why it
stopped), and how the best policy did on evaluation episodes beside a random agent, with its
value estimates along one episode and, where the environment draws itself, an animation.

``judge`` plays the final evaluation within what is left of the time limit; the animation is
left out (with a notice) when too little is left.
"""
from __future__ import annotations

import time
from typing import Any

from manabu.base.i18n import Notice
from manabu.reinforcement.agent import Agent
from manabu.reinforcement.anytime import Watch
from manabu.reinforcement.environments import EnvSource
from manabu.reinforcement.evaluation import EVALUATION, random_actor, run_episodes, seeds, summary, value_trace

ANIMATION_SECONDS = 3.0  # at least this much must be left for the animation to be drawn


def training_record(agent: Agent, environment: dict[str, Any], settings: Any, watch: Watch, learner: Any,
                    previous: Agent | None, notices: list[Notice]) -> dict[str, Any]:
    """The record of the training, before the final evaluation.

    Keys: env (id, kind, max_episode_steps, reward_threshold, grid: a grid world's rows and
    shape, or None), algo, observation_space, action_space, hyperparams (values, source: rl_zoo,
    default or manabu), seed, time_limit, budget (unit: timesteps or episodes, total, done),
    timesteps, stopped (budget, deadline or interrupted), interrupted, resumed (how many times),
    history (``Watch.history``: train.episode/timestep/return/length/moving_average, validation
    points), notices. ``runs.Runs.record`` adds runs (each seed's run), tuning (the trials, or
    None) and kept (which of them is the agent; the history above is its own).
    """
    return {"env": environment, "algo": agent.algo, "observation_space": agent.settings["observation_space"],
            "action_space": agent.settings["action_space"], "hyperparams": agent.settings["hyperparams"],
            "seed": settings.seed, "time_limit": settings.time_limit,
            "budget": {"unit": learner.unit, "total": int(learner.budget), "done": int(learner.done)},
            "timesteps": int(learner.timesteps), "stopped": watch.stopped,
            "interrupted": watch.stopped == "interrupted",
            "resumed": int(previous.record.get("resumed", 0)) + 1 if previous is not None else 0,
            "history": watch.history(), "notices": [n.to_dict() for n in notices]}


def judge(agent: Agent, source: EnvSource, seed: int, episodes: int, end: float) -> None:
    """The final evaluation into ``agent.record``: "evaluation" (agent and random, each with
    mean, std, min, max, returns, lengths, and success_rate where returns are 0 or 1), "values"
    (``evaluation.value_trace`` of the first evaluation episode), "animation" (what the GIF
    shows, or None) and the GIF itself in ``agent.animation``."""
    chosen = seeds(seed, EVALUATION, episodes)
    played = summary(*run_episodes(source.make, agent.act_batch, chosen), chosen)
    probe = source.make()
    randomly = summary(*run_episodes(source.make, random_actor(probe.action_space, seed), chosen), chosen)
    probe.close()
    gamma = float(agent.hyperparams.values.get("gamma", 0.99))
    agent.record["evaluation"] = {"agent": played, "random": randomly}
    agent.record["values"] = value_trace(source.make, agent.act_batch, agent.values, chosen[0], gamma)
    agent.record["animation"] = None
    if end - time.monotonic() < ANIMATION_SECONDS:
        agent.record["notices"].append(Notice("rl.animation_skipped", {}).to_dict())
        return
    if source.renders():
        from manabu.reinforcement.animation import animate

        drawn = animate(source.make, agent.act_batch, chosen, agent.record["env"].get("max_episode_steps"))
        if drawn is not None:
            agent.animation, agent.record["animation"] = drawn
