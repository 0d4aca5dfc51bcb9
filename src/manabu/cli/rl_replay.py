"""``manabu predict AGENT_DIR --env ENV --episodes N``: a saved agent replayed on new episodes.

The agent plays ``N`` episodes (of the environment it learnt, or of another with the same
spaces: a Gymnasium id or a user's ``path.py:Class``) beside a random agent on the very same
episodes, and the command says each one's mean ± std return (and success rate where every return
is 0 or 1); ``-o`` writes one row per episode as CSV.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from manabu.base.errors import ConfigError
from manabu.base.i18n import t
from manabu.cli.common import out, say, write_atomically

DEFAULT_EPISODES = 20
MIN_EPISODES = 1


def replay(model_dir: Path, env: str | None, episodes: int | None, output: Path | None, seed: int = 0) -> None:
    """Replay the agent and say how it did beside a random agent."""
    episodes = DEFAULT_EPISODES if episodes is None else episodes
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < MIN_EPISODES:
        raise ConfigError("rl.too_few_episodes", episodes=episodes, minimum=MIN_EPISODES)
    from manabu.reinforcement.agent import Agent
    from manabu.reinforcement.environments import resolve

    agent = Agent.load(model_dir)
    source = resolve(env or agent.env_id)
    _check_spaces(agent, source)
    scores = agent.evaluate(env or agent.env_id, episodes, seed)
    say(summary_line(agent.algo, source.name, scores), console=out)
    if output is not None:
        write_atomically(output, lambda partial: _write_csv(partial, scores))
        say(t("rl_replay.written", path=str(output), episodes=episodes))


def summary_line(algo: str, env: str, scores: dict[str, Any]) -> str:
    """"<env>, N episodes: the agent m ± s (success r), random m ± s (success r)"."""
    def scored(found: dict[str, Any]) -> str:
        text = f"{found['mean']:.3f} ± {found['std']:.3f}"
        if "success_rate" in found:
            text += " " + t("rl_replay.success", rate=f"{found['success_rate']:.0%}")
        return text
    return t("rl_replay.summary", env=env, episodes=scores["agent"]["episodes"], algo=algo,
             agent=scored(scores["agent"]), random=scored(scores["random"]))


def _check_spaces(agent: Any, source: Any) -> None:
    """Another environment must have the spaces the agent learnt on."""
    from manabu.reinforcement.spaces import describe, shown

    probe = source.make()
    try:
        found = {"observation_space": describe(probe.observation_space), "action_space": describe(probe.action_space)}
    finally:
        probe.close()
    for which, space in found.items():
        learnt = agent.settings[which]
        if shown(space) != shown(learnt) or space.get("dtype", "") != learnt.get("dtype", ""):
            raise ConfigError("rl_replay.other_spaces", env=source.name, learnt=agent.env_id,
                              observation=shown(agent.settings["observation_space"]),
                              action=shown(agent.settings["action_space"]),
                              found_observation=shown(found["observation_space"]),
                              found_action=shown(found["action_space"]))


def _write_csv(path: Path, scores: dict[str, Any]) -> None:
    agent, random = scores["agent"], scores["random"]
    first = agent["seeds"][0]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["episode", "seed", "agent_return", "agent_length", "random_return", "random_length"])
        for i, (ret, length, r_ret, r_length) in enumerate(zip(agent["returns"], agent["lengths"], random["returns"],
                                                                random["lengths"])):
            writer.writerow([i + 1, first + i, ret, length, r_ret, r_length])
