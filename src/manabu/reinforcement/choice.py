"""Which algorithm learns an environment, read from its spaces.

A small world whose states and actions are both numbered (``Discrete``) gets the tabular agent
(``tabular``): its Q-table holds one value per state and action, which a learner can read.
Larger or continuous observations need a network: for actions taken from a list, PPO (or DQN,
A2C); for continuous actions (``Box``), SAC (or TD3, PPO). Where the RL Zoo lists several
algorithms for one environment, ``hyperparams/auto.json`` names the one that reached the
target soonest here (on Acrobot, PPO in 31 s of training against DQN's 254 s). ``--algo`` overrides the choice; one that cannot take the spaces is refused with
what it can take.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from manabu.base.errors import ConfigError
from manabu.base.i18n import Message
from manabu.reinforcement.hyperparams import auto_choice
from manabu.reinforcement.spaces import shown

ALGOS = ("q", "dqn", "ppo", "a2c", "sac", "td3")
TABLE_LIMIT = 100_000  # states × actions: a Q-table larger than this learns too slowly one cell at a time

# the action spaces each algorithm takes (every one takes any observation Stable-Baselines3 does)
ACTIONS = {"q": ("Discrete",), "dqn": ("Discrete",), "ppo": ("Discrete", "Box", "MultiDiscrete", "MultiBinary"),
           "a2c": ("Discrete", "Box", "MultiDiscrete", "MultiBinary"), "sac": ("Box",), "td3": ("Box",)}
OBSERVATIONS = ("Discrete", "Box", "MultiDiscrete", "MultiBinary", "Dict")


@dataclass(frozen=True)
class Choice:
    algo: str
    reason: Message  # why, for the command line and the report


def choose(env_id: str, observation: dict[str, Any], action: dict[str, Any], algo: str = "auto") -> Choice:
    """The algorithm for the spaces (``spaces.describe``'s descriptions) of ``env_id``."""
    algo = str(algo).lower()
    if algo not in (*ALGOS, "auto"):
        raise ConfigError("rl.unknown_algo", algo=algo, algos=", ".join(("auto", *ALGOS)))
    if algo != "auto":
        _check(algo, observation, action)
        return Choice(algo, Message("rl.chose_given", {"algo": algo}))
    if fits_table(observation, action):
        cells = observation["n"] * action["n"]
        return Choice("q", Message("rl.chose_table", {"states": observation["n"], "actions": action["n"],
                                                      "cells": cells}))
    listed = auto_choice(env_id)
    if listed is not None and handles(listed, observation, action):
        return Choice(listed, Message("rl.chose_listed", {"algo": listed, "env": env_id}))
    default = {"Discrete": ("ppo", "rl.chose_discrete"), "Box": ("sac", "rl.chose_continuous")}
    candidate, key = default.get(action["kind"], ("ppo", "rl.chose_other"))
    if not handles(candidate, observation, action):
        raise ConfigError("rl.no_algo", observation=shown(observation), action=shown(action),
                          observations=", ".join(OBSERVATIONS))
    return Choice(candidate, Message(key, {"algo": candidate, "action": shown(action)}))


def fits_table(observation: dict[str, Any], action: dict[str, Any]) -> bool:
    """Numbered states and actions, few enough for a table."""
    return (observation["kind"] == "Discrete" and action["kind"] == "Discrete"
            and observation["n"] * action["n"] <= TABLE_LIMIT)


def handles(algo: str, observation: dict[str, Any], action: dict[str, Any]) -> bool:
    if algo == "q":
        return fits_table(observation, action)
    return action["kind"] in ACTIONS[algo] and observation["kind"] in OBSERVATIONS


def _check(algo: str, observation: dict[str, Any], action: dict[str, Any]) -> None:
    if handles(algo, observation, action):
        return
    able = [a for a in ALGOS if handles(a, observation, action)]
    if algo == "q":
        raise ConfigError("rl.algo_needs_table", observation=shown(observation), action=shown(action),
                          limit=f"{TABLE_LIMIT:,}", able=", ".join(able) or "-")
    raise ConfigError("rl.algo_cannot", algo=algo, action=shown(action), observation=shown(observation),
                      takes=", ".join(ACTIONS[algo]), able=", ".join(able) or "-")
