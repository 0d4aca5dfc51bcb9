"""Known-good settings, kept as data: the RL Zoo's published hyperparameters for the classic
environments and Stable-Baselines3's algorithms (``hyperparams/<algo>.json``, each file saying
which Zoo commit it was read from), manabu's own for the tabular agent (``q.json``), and the
algorithm ``--algo auto`` takes where the Zoo lists several (``auto.json``).

An environment the Zoo does not list gets the file's ``default`` (Stable-Baselines3's own
defaults). A setting is JSON: a schedule that the Zoo writes ``lin_0.001`` is ``{"linear":
0.001}``, turned into a function of the training's progress only when the agent is built.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# the settings that shape the run around the algorithm rather than the algorithm itself
RUN_KEYS = ("n_envs", "n_timesteps", "normalize", "noise_type", "noise_std", "episodes")


@dataclass(frozen=True)
class Hyperparams:
    """The settings of one algorithm on one environment, and where they come from."""

    algo: str
    values: dict[str, Any]
    source: str  # "rl_zoo" (the Zoo's entry for this environment), "default", or "manabu"
    note: str    # the file's own account of its origin

    def algorithm_kwargs(self) -> dict[str, Any]:
        """The keywords of the algorithm's constructor, schedules still as JSON."""
        return {k: v for k, v in self.values.items() if k not in RUN_KEYS}

    def run(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        return {"algo": self.algo, "values": self.values, "source": self.source}


@cache
def _table(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath("hyperparams", f"{name}.json").read_text("utf-8")
    return json.loads(text)


def settings_for(algo: str, env_id: str) -> Hyperparams:
    """The listed settings of ``algo`` for ``env_id``, else the file's default."""
    table = _table(algo)
    listed = env_id in table and not env_id.startswith("_") and env_id != "default"
    source = ("manabu" if algo == "q" else "rl_zoo") if listed else "default"
    return Hyperparams(algo, dict(table[env_id if listed else "default"]), source, table["_source"])


def auto_choice(env_id: str) -> str | None:
    """The algorithm that ``--algo auto`` takes for ``env_id``, where one is listed."""
    chosen = _table("auto").get(env_id)
    return chosen if isinstance(chosen, str) and not env_id.startswith("_") else None


def schedule(value: Any) -> Any:
    """A setting as Stable-Baselines3 takes it: ``{"linear": x}`` becomes the function of the
    remaining progress (1 at the start, 0 at the end of the budget) that decays to 0."""
    if isinstance(value, dict) and set(value) == {"linear"}:
        start = float(value["linear"])
        return lambda remaining: remaining * start
    return value
