"""How the next candidate is chosen once the portfolio is done: the three strategies of the
textbook (``--search grid|random|bayes``).

- ``grid`` walks every combination of a few values per hyperparameter, family by family in
  turn, in a shuffled order so that a search cut short by the budget still spans the grid;
- ``random`` draws a family and its hyperparameters uniformly;
- ``bayes`` lets Optuna's TPE sampler model which families and values score well (the portfolio's
  results teach it first), and proposes where improvement is likely.

Every strategy hears how each candidate went (``tell``), so that the Bayesian one learns and all
of them avoid repeating a configuration.
"""
from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np

from manabu.models.entry import ModelEntry, Params
from manabu.models.space import Choice, Dimension, Integer, Real
from manabu.search.candidate import Candidate

class Strategy(Protocol):
    def propose(self) -> Candidate | None:
        """The next candidate, or None when the strategy has nothing left to try."""

    def tell(self, candidate: Candidate, value: float | None, state: str,
             step_values: list[float] | None = None) -> None:
        """How ``candidate`` went: ``value`` is its score with higher better (None when it has
        none); ``state`` is "ok", "pruned", "failed" or "skipped"."""

    def drop(self, family: str) -> None:
        """Propose no more candidates of ``family`` (it fails whatever its settings)."""


def make_strategy(name: str, entries: list[ModelEntry], seed: int, counts: dict[str, int]) -> Strategy:
    """``counts`` numbers candidates per family ("lightgbm #4"), shared with the portfolio."""
    if name == "grid":
        return GridStrategy(entries, seed, counts)
    if name == "random":
        return RandomStrategy(entries, seed, counts)
    return BayesStrategy(entries, seed, counts)


def _named(entry: ModelEntry, params: Params, origin: str, counts: dict[str, int]) -> Candidate:
    counts[entry.name] = counts.get(entry.name, 0) + 1
    n = counts[entry.name]
    return Candidate(entry.name if n == 1 else f"{entry.name} #{n}", entry, params, origin)


class RandomStrategy:
    def __init__(self, entries: list[ModelEntry], seed: int, counts: dict[str, int]) -> None:
        self.entries = [e for e in entries if e.space]
        self.rng = np.random.default_rng(seed)
        self.counts = counts

    def propose(self) -> Candidate | None:
        if not self.entries:
            return None
        entry = self.entries[int(self.rng.integers(len(self.entries)))]
        return _named(entry, entry.sample(self.rng), "random", self.counts)

    def tell(self, candidate, value, state, step_values=None) -> None:
        pass  # random search learns nothing from results

    def drop(self, family: str) -> None:
        self.entries = [e for e in self.entries if e.name != family]


class GridStrategy:
    def __init__(self, entries: list[ModelEntry], seed: int, counts: dict[str, int]) -> None:
        self.counts = counts
        rng = np.random.default_rng(seed)
        self.walks = [(entry, _shuffled_grid(entry, rng)) for entry in entries if entry.space]
        self.turn = itertools.cycle(range(len(self.walks))) if self.walks else iter(())

    def propose(self) -> Candidate | None:
        for _ in range(len(self.walks)):
            entry, walk = self.walks[next(self.turn)]
            params = next(walk, None)
            if params is not None:
                return _named(entry, params, "grid", self.counts)
        return None  # every grid is exhausted

    def tell(self, candidate, value, state, step_values=None) -> None:
        pass

    def drop(self, family: str) -> None:
        self.walks = [(entry, walk) for entry, walk in self.walks if entry.name != family]
        self.turn = itertools.cycle(range(len(self.walks))) if self.walks else iter(())


def _shuffled_grid(entry: ModelEntry, rng: np.random.Generator) -> Iterator[Params]:
    names = list(entry.space)
    combos = list(itertools.product(*(entry.space[name].grid() for name in names)))
    for index in rng.permutation(len(combos)):
        yield {name: _plain(value) for name, value in zip(names, combos[index])}


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


class BayesStrategy:
    """Optuna TPE over a conditional space: first the family, then that family's parameters
    (named ``family.param``), so one model learns both which family and which settings score
    well. Results arrive through ``tell``, including those of the portfolio."""

    def __init__(self, entries: list[ModelEntry], seed: int, counts: dict[str, int]) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        self.entries = {e.name: e for e in entries if e.space}
        self.counts = counts
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True,
                                                 n_startup_trials=len(self.entries) + 2)
        self.study = optuna.create_study(direction="maximize", sampler=sampler)
        self.family_choice = optuna.distributions.CategoricalDistribution(sorted(self.entries) or [""])
        self.pending: dict[int, Any] = {}  # id(candidate) -> its Optuna trial
        self.dropped: set[str] = set()
        self.rng = np.random.default_rng(seed)

    def propose(self) -> Candidate | None:
        if not set(self.entries) - self.dropped:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", self.optuna.exceptions.ExperimentalWarning)
            trial = self.study.ask()
            family = trial.suggest_categorical("family", self.family_choice.choices)
            if family in self.dropped:
                trial, family = self._instead_of_dropped(trial)
            entry = self.entries[family]
            params = {name: _suggest(trial, f"{family}.{name}", dimension)
                      for name, dimension in entry.space.items()}
        candidate = _named(entry, params, "bayes", self.counts)
        self.pending[id(candidate)] = trial
        return candidate

    def tell(self, candidate: Candidate, value: float | None, state: str,
             step_values: list[float] | None = None) -> None:
        trial = self.pending.pop(id(candidate), None)
        states = self.optuna.trial.TrialState
        if trial is None:  # a portfolio or resumed candidate: teach the model what it scored
            self._add_finished(candidate, value, state, step_values)
            return
        if state == "ok" and value is not None and np.isfinite(value):
            self.study.tell(trial, float(value))
        elif state == "pruned" and step_values:
            for step, v in enumerate(step_values):
                trial.report(float(v), step)
            self.study.tell(trial, state=states.PRUNED)
        elif state == "skipped" and value is not None:
            self.study.tell(trial, float(value))  # a costly proposal scores the worst seen
        else:
            self.study.tell(trial, state=states.FAIL)

    def drop(self, family: str) -> None:
        self.dropped.add(family)

    def _instead_of_dropped(self, trial) -> tuple[Any, str]:
        """A trial of a family still in the search, in place of one the sampler proposed from a
        dropped family. TPE learns nothing from failed trials, so asking again proposed the
        dropped family thousands of times (54 s of proposals in a 20 s search): the proposal is
        scored the worst seen, and the next trial is given one of the other families."""
        scored = [t.value for t in self.study.trials if t.value is not None]
        if scored:
            self.study.tell(trial, min(scored))
        else:
            self.study.tell(trial, state=self.optuna.trial.TrialState.FAIL)
        remaining = sorted(set(self.entries) - self.dropped)
        self.study.enqueue_trial({"family": remaining[int(self.rng.integers(len(remaining)))]})
        trial = self.study.ask()
        return trial, trial.suggest_categorical("family", self.family_choice.choices)

    def _add_finished(self, candidate: Candidate, value, state, step_values) -> None:
        entry = self.entries.get(candidate.family)
        if entry is None or state != "ok" or value is None or not np.isfinite(value):
            return
        params: dict[str, Any] = {"family": entry.name}
        distributions: dict[str, Any] = {"family": self.family_choice}
        for name, dimension in entry.space.items():
            given = candidate.params.get(name)
            if given is not None and dimension.contains(given):
                params[f"{entry.name}.{name}"] = given
                distributions[f"{entry.name}.{name}"] = _distribution(self.optuna, dimension)
        self.study.add_trial(self.optuna.trial.create_trial(
            params=params, distributions=distributions, value=float(value),
            intermediate_values=dict(enumerate(step_values or []))))


def _suggest(trial, name: str, dimension: Dimension) -> Any:
    if isinstance(dimension, Real):
        return trial.suggest_float(name, dimension.low, dimension.high, log=dimension.log)
    if isinstance(dimension, Integer):
        return trial.suggest_int(name, dimension.low, dimension.high, log=dimension.log)
    return trial.suggest_categorical(name, list(dimension.options))


def _distribution(optuna, dimension: Dimension):
    if isinstance(dimension, Real):
        return optuna.distributions.FloatDistribution(dimension.low, dimension.high, log=dimension.log)
    if isinstance(dimension, Integer):
        return optuna.distributions.IntDistribution(dimension.low, dimension.high, log=dimension.log)
    assert isinstance(dimension, Choice)
    return optuna.distributions.CategoricalDistribution(list(dimension.options))
