"""The search's opening: the families that can take the data, and the queue of their known-good
configurations it starts from, in an order that suits the data's size and the budget."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from manabu.base.errors import ConfigError
from manabu.base.i18n import Message
from manabu.models.entry import ModelEntry, Params
from manabu.models.space import Choice
from manabu.models.zoo import portfolio
from manabu.search.candidate import Candidate

# Above this many cells (rows x columns) per second of the budget ("tight_budget"), the time is
# short for the data: the families with a strong start go first. adult at 60 s has 9,000; 54,000
# rows x 42 columns at 60 s, 38,000. (Larger learning rates for them were tried too, and cost
# 0.018 of log loss on the second and 0.002 of ROC-AUC on adult x 25 at 120 s.)
TIGHT_CELLS_PER_SECOND = 20_000
SHARED = "shared"  # a candidate's origin: a configuration that served another search sharing the time


@dataclass(frozen=True)
class Opening:
    """What a caller that shares one time limit among several searches (``training.multilabel``:
    one per label) knows before each starts. ``first``: the configurations that served the
    searches before, as (name, family, params), tried first; ``tight``: the time is short for
    the data, so the families with a strong start go first (as under "tight_budget");
    ``quick``: settings that make a configuration learn in less time (a larger learning rate),
    with which each family's first configuration is tried before the portfolio, where the
    family's space has them (``quick_candidates``); ``folds``: validate on the first ``folds``
    folds only (k-fold plans; None: all of them); ``fixed``: settings every configuration takes
    where its family's space has them (``fixed_entries``, ``with_fixed``): what the caller
    decided for all the searches, such as leaving out features too slow for the time."""

    first: tuple[tuple[str, str, Params], ...] = ()
    tight: bool = False
    quick: tuple[tuple[str, Any], ...] = ()
    folds: int | None = None
    fixed: tuple[tuple[str, Any], ...] = ()


def check_sizes(entries: list[ModelEntry], rows: int) -> None:
    """Fail at once, naming the limit, when every family chosen is too small for the data."""
    limits = [entry.max_rows for entry in entries]
    if entries and all(limit is not None and rows > limit for limit in limits):
        raise ConfigError("search.too_many_rows", models=", ".join(e.name for e in entries), rows=rows,
                          max_rows=max(limits))


def usable_entries(entries: list[ModelEntry], rows: int, notices: list[Message]) -> list[ModelEntry]:
    """The families that take this many rows; a notice for each of the others."""
    usable = []
    for entry in entries:
        if entry.max_rows is not None and rows > entry.max_rows:
            notices.append(Message("search.skipped_rows", {"model": entry.name, "rows": rows,
                                                                   "max_rows": entry.max_rows}))
        else:
            usable.append(entry)
    return usable


def budget_facts(problem, time_limit: float) -> frozenset[str]:
    """What the portfolio needs to know of the budget for ``problem``'s rows and features
    (``zoo.portfolio``, ``portfolio_candidates``)."""
    cells = len(problem.y) * max(1, len(problem.schema.features))
    return frozenset({"tight_budget"}) if cells > TIGHT_CELLS_PER_SECOND * time_limit else frozenset()


def portfolio_candidates(entries: list[ModelEntry], facts: frozenset[str]) -> list[Candidate]:
    """Every family's first known-good configuration (in the zoo's cheap-first order), then every
    family's second, and so on: a usable model of each kind comes early.

    Where the budget is tight for the data, the families with a strong start go first: on 976,825
    rows at 120 s the linear model and a decision tree took 26 s before LightGBM began, and
    LightGBM, cut at its share, scored 0.9201 where more trees would have scored higher."""
    if "tight_budget" in facts:
        entries = sorted(entries, key=lambda entry: not entry.strong_start)  # stable: cheap-first within
    lists = [(entry, portfolio(entry.name, facts)) for entry in entries]
    queue = []
    for round_ in range(max((len(configs) for _, configs in lists), default=0)):
        for entry, configs in lists:
            if round_ < len(configs):
                name = entry.name if round_ == 0 else f"{entry.name} #{round_ + 1}"
                queue.append(Candidate(name, entry, configs[round_], "portfolio"))
    return queue


def shared_candidates(entries: list[ModelEntry], opening: Opening) -> list[Candidate]:
    """The configurations ``opening`` carries from other searches, for the families at hand."""
    usable = {entry.name: entry for entry in entries}
    return [Candidate(name, usable[family], dict(params), SHARED) for name, family, params in opening.first
            if family in usable]


def quick_candidates(portfolio_queue: list[Candidate], opening: Opening) -> list[Candidate]:
    """Each family's first configuration with ``opening.quick``'s settings that its space has
    (a family with none of them has no quick one), named "<family> (quick)", in the queue's order."""
    quick = []
    for candidate in portfolio_queue:
        settings = {key: value for key, value in opening.quick if key in candidate.entry.space}
        if settings and candidate.name == candidate.family and settings.items() - candidate.params.items():
            quick.append(replace(candidate, name=f"{candidate.family} (quick)",
                                 params={**candidate.params, **settings}))
    return quick


def fixed_entries(entries: list[ModelEntry], opening: Opening) -> list[ModelEntry]:
    """The families with ``opening.fixed``'s settings as the only choice in their spaces, so that
    the search's own proposals keep them too."""
    if not opening.fixed:
        return entries
    return [replace(entry, space={**entry.space, **{key: Choice((value,)) for key, value in opening.fixed
                                                    if key in entry.space}}) for entry in entries]


def with_fixed(candidates: list[Candidate], opening: Opening) -> list[Candidate]:
    """The candidates with ``opening.fixed``'s settings, where their family's space has them."""
    return [replace(c, params={**c.params, **{k: v for k, v in opening.fixed if k in c.entry.space}})
            for c in candidates] if opening.fixed else candidates


def cheapest_candidate(entries: list[ModelEntry], facts: frozenset[str]) -> Candidate | None:
    """The first known-good configuration of the cheapest family (``ModelEntry.cost``): what a
    search that has no model yet tries with the time it kept for the report."""
    if not entries:
        return None
    cheapest = min(entries, key=lambda entry: entry.cost)
    return next(iter(portfolio_candidates([cheapest], facts)), None)
