"""The three search strategies: grid walks its grid once, random stays in the space, and the
Bayesian one learns from what it is told."""
from __future__ import annotations

import itertools
from collections import Counter

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, ModelEntry
from manabu.models.space import Choice, Integer, Real
from manabu.models.zoo import ZOO
from manabu.search.strategies import make_strategy


def toy(name: str, space) -> ModelEntry:
    return ModelEntry(name, ALL_TASKS, PreprocessKind.TREE, lambda task, params, seed: None, space)


SPACE = {"depth": Integer(1, 9), "rate": Real(0.01, 1.0, log=True), "kind": Choice(("a", "b"))}


def test_grid_walks_every_combination_once_then_stops():
    strategy = make_strategy("grid", [toy("m", SPACE)], seed=0, counts={})
    proposed = list(iter(strategy.propose, None))
    combos = {(c.params["depth"], round(c.params["rate"], 6), c.params["kind"]) for c in proposed}
    assert len(proposed) == len(combos) == 3 * 3 * 2
    assert {c.params["depth"] for c in proposed} == {1, 5, 9}
    assert {round(c.params["rate"], 6) for c in proposed} == {0.01, 0.1, 1.0}, "log scale: geometric middle"


def test_grid_takes_families_in_turn():
    strategy = make_strategy("grid", [toy("a", {"k": Choice((1, 2))}), toy("b", {"k": Choice((1, 2, 3))})],
                             seed=0, counts={})
    families = [c.family for c in iter(strategy.propose, None)]
    assert families[:4] == ["a", "b", "a", "b"] and families[4:] == ["b"]


def test_random_search_stays_in_the_space_and_repeats_with_the_seed():
    def draws(seed):
        strategy = make_strategy("random", [ZOO["lightgbm"], ZOO["linear"]], seed=seed, counts={})
        return [(c.family, c.params) for c in itertools.islice(iter(strategy.propose, None), 30)]

    first = draws(3)
    assert first == draws(3) and first != draws(4)
    for family, params in first:
        for name, value in params.items():
            assert ZOO[family].space[name].contains(value), (family, name, value)
    assert {family for family, _ in first} == {"lightgbm", "linear"}


def test_candidates_are_numbered_per_family():
    counts = {"m": 2}  # two portfolio candidates ran already
    strategy = make_strategy("random", [toy("m", SPACE)], seed=0, counts=counts)
    assert [strategy.propose().name for _ in range(2)] == ["m #3", "m #4"]


def test_bayes_learns_which_family_scores_well():
    good, bad = toy("good", {"x": Real(0.0, 1.0)}), toy("bad", {"x": Real(0.0, 1.0)})
    strategy = make_strategy("bayes", [good, bad], seed=0, counts={})
    proposals = []
    for _ in range(40):
        candidate = strategy.propose()
        value = 1.0 - abs(candidate.params["x"] - 0.7) if candidate.family == "good" else -1.0
        strategy.tell(candidate, value, "ok")
        proposals.append(candidate)
    late = proposals[20:]
    assert Counter(c.family for c in late)["good"] >= 16, "TPE should settle on the family that scores"
    xs = [c.params["x"] for c in late if c.family == "good"]
    assert sum(abs(x - 0.7) < 0.2 for x in xs) >= len(xs) // 2, "and near its best value"


def test_bayes_is_taught_by_portfolio_results_and_ignores_failures():
    entry = toy("m", {"x": Real(0.0, 1.0)})
    strategy = make_strategy("bayes", [entry], seed=0, counts={})
    from manabu.search.candidate import Candidate
    strategy.tell(Candidate("m", entry, {"x": 0.5, "unknown": 3}, "portfolio"), 0.9, "ok", [0.9, 0.8])
    strategy.tell(Candidate("m #2", entry, {"x": 5.0}, "portfolio"), 0.1, "ok")  # outside the space
    assert len(strategy.study.trials) == 2
    assert strategy.study.trials[0].params == {"family": "m", "m.x": 0.5}
    candidate = strategy.propose()
    strategy.tell(candidate, None, "failed")
    assert strategy.study.trials[-1].state.name == "FAIL"
