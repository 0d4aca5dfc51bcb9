"""A short hyperparameter search around the known-good settings, for when time is left over.

The RL Zoo's settings were tuned for the Zoo's budget, on the Zoo's machines; a few short trials
near them may find settings that learn better in the time given here. Each trial draws every
setting of the algorithm's space around its known-good value (this environment's entry in
``hyperparams/<algo>.json``), with Optuna's TPE sampler seeded by the run's seed, and reports its
validations to a median pruner, which stops a trial whose validations lag behind the finished
trials' at the same point.

The spaces are data (``hyperparams/tuning.json``, which names the Zoo commit its samplers follow
and says how each kind of draw works); this module reads a space, draws one value per setting,
and builds the trial's ``Hyperparams``. Optuna is imported only when a search runs.
"""
from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from manabu.reinforcement.hyperparams import Hyperparams

TUNED = "tuned"     # the source of a trial's settings (``Hyperparams.source``)
WARMUP = 2          # validations a trial makes before the pruner may stop it
STARTUP = 3         # trials drawn at random before TPE models the good ones (a short search has few)


@cache
def _file() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("hyperparams", "tuning.json").read_text("utf-8")
    return json.loads(text)


def tunable(algo: str) -> bool:
    """Whether ``algo`` has a space to search (the network algorithms and the Q-table)."""
    return algo in _file() and not algo.startswith("_")


def space(algo: str) -> dict[str, dict[str, Any]]:
    """The sampling space of ``algo``: a spec per setting (see the file's ``_source``)."""
    return _file()[algo]


def source_note() -> str:
    """The spaces' own account of where they come from (the Zoo's commit)."""
    return _file()["_source"]


def study(seed: int) -> Any:
    """A new study that maximises the best validation mean: TPE seeded with ``seed`` (the same
    seed draws the same trials; ``STARTUP`` random ones first, Optuna's 10 being more than a
    short search makes), and a median pruner that waits for one finished trial and
    ``WARMUP`` validations."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(direction="maximize",
                               sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=STARTUP),
                               pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=WARMUP))


def sample(trial: Any, known: Hyperparams) -> tuple[Hyperparams, dict[str, Any]]:
    """The trial's settings: ``known`` with each setting of its space drawn anew, and the drawn
    values as the record shows them (a network's shape by its name)."""
    values, drawn = copy.deepcopy(known.values), {}
    for key, spec in space(known.algo).items():
        if spec.get("needs") and spec["needs"] not in values:
            continue
        current = _get(values, key)
        found = draw(trial, key, spec, current)
        if found is None:
            continue
        value, shown = found
        _set(values, key, value)
        drawn[key] = shown
    if known.algo == "ppo":  # a minibatch no larger than the rollout it is drawn from
        rollout = int(values.get("n_steps", 2048)) * int(values.get("n_envs", 1))
        values["batch_size"] = min(int(values.get("batch_size", 64)), rollout)
        drawn["batch_size"] = values["batch_size"]
    return Hyperparams(known.algo, values, TUNED, known.note), drawn


def draw(trial: Any, key: str, spec: dict[str, Any], current: Any) -> tuple[Any, Any] | None:
    """One setting drawn by ``trial`` around ``current`` (the known value, else the spec's
    default): (the value to use, the value to show), or None where there is nothing to draw
    around (a setting that is not a number, as a DQN's ``train_freq`` of ``[1, "episode"]``).
    A learning-rate schedule stays a schedule: the draw is its start."""
    linear = isinstance(current, dict) and set(current) == {"linear"}
    if spec["type"] == "choice":
        options = spec["values"]
        if isinstance(options, dict):
            name = trial.suggest_categorical(key, list(options))
            return copy.deepcopy(options[name]), name
        value = trial.suggest_categorical(key, options)
        return ({"linear": value} if linear else value), value
    center = current["linear"] if linear else (spec["default"] if current is None else current)
    if isinstance(center, bool) or not isinstance(center, (int, float)):
        return None
    value = _number(trial, key, spec, float(center))
    if value is None:
        return None
    return ({"linear": value} if linear else value), value


def _number(trial: Any, key: str, spec: dict[str, Any], center: float) -> float | int | None:
    """A number drawn around ``center`` as the spec's kind says (the kinds are described in
    ``tuning.json``'s ``_source``); Optuna's name for it says what was drawn (``one_minus_gamma``,
    ``batch_size_pow``), as the Zoo names them."""
    kind, around, low, high = spec["type"], spec["around"], spec["low"], spec["high"]
    if kind == "one_minus":
        bounds = _around_log(1.0 - center, around, low, high)
        return None if bounds is None else 1.0 - trial.suggest_float(f"one_minus_{key}", *bounds, log=True)
    if kind == "log":
        bounds = _around_log(center, around, low, high)
        return None if bounds is None else trial.suggest_float(key, *bounds, log=True)
    if kind == "uniform":
        bounds = _inside(center - around, center + around, center, low, high)
        return None if bounds is None else trial.suggest_float(key, *bounds)
    if kind == "int_log":
        bounds = _around_log(center, around, low, high) if center >= 1 else (low, high)
        whole = _whole(bounds, least=1)
        return None if whole is None else trial.suggest_int(key, *whole, log=True)
    if kind == "pow2":
        power = math.log2(max(center, 2.0))
        bounds = _inside(math.floor(power) - around, math.ceil(power) + around, power, math.log2(low), math.log2(high))
        whole = _whole(bounds, least=1)  # 2 at least: PPO's minibatch must hold two samples
        return None if whole is None else 2 ** trial.suggest_int(f"{key}_pow", *whole)
    raise ValueError(f"unknown kind of draw {kind!r} for {key} in tuning.json")


def _around_log(center: float, factor: float, low: float, high: float) -> tuple[float, float] | None:
    """Within ``center`` divided and multiplied by ``factor``; the Zoo's whole range where the
    known value is 0 (nothing to multiply)."""
    if center <= 0:
        return (low, high) if low > 0 else None
    return _inside(center / factor, center * factor, center, low, high)


def _inside(first: float, last: float, center: float, low: float, high: float) -> tuple[float, float] | None:
    """(first, last), cut to the Zoo's (low, high) when the known value lies inside them."""
    if low <= center <= high:
        first, last = max(first, low), min(last, high)
    return (first, last) if first < last else None


def _whole(bounds: tuple[float, float] | None, least: int) -> tuple[int, int] | None:
    """Float bounds as whole numbers (``least`` at the lowest), None when they hold fewer than two."""
    if bounds is None:
        return None
    first, last = max(least, math.floor(bounds[0] + 1e-9)), math.ceil(bounds[1] - 1e-9)
    return (first, last) if first < last else None


def reporter(trial: Any) -> Callable[[int, float], bool]:
    """What a trial's ``Watch`` calls after each validation (its count and mean): hands the mean
    to Optuna, and says whether to go on (False: the pruner stops the trial)."""
    def listen(count: int, mean: float) -> bool:
        trial.report(float(mean), int(count))
        return not trial.should_prune()
    return listen


def tell(study_: Any, trial: Any, best: float | None, pruned: bool) -> None:
    """The trial's outcome into the study: its best validation mean, or pruned, or failed
    (no validation at all)."""
    from optuna.trial import TrialState

    if pruned:
        study_.tell(trial, state=TrialState.PRUNED)
    elif best is None or not math.isfinite(best):
        study_.tell(trial, state=TrialState.FAIL)
    else:
        study_.tell(trial, float(best))


def _get(values: dict[str, Any], key: str) -> Any:
    """A setting by its key; ``policy_kwargs.net_arch`` reads inside ``policy_kwargs``."""
    head, _, rest = key.partition(".")
    return (values.get(head) or {}).get(rest) if rest else values.get(head)


def _set(values: dict[str, Any], key: str, value: Any) -> None:
    head, _, rest = key.partition(".")
    if rest:
        values[head] = {**(values.get(head) or {}), rest: value}
    else:
        values[head] = value
