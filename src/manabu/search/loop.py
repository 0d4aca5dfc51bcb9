"""The search: known-good configurations of every family first (the portfolio), then the chosen
strategy (Bayesian, random or grid), until the time budget, less a reserve for the final refit,
runs out or the user stops it."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from manabu.data.schema import ColumnType, Schema
from manabu.base.errors import Terminated
from manabu.evaluate.metrics import Metric, signed
from manabu.base.i18n import Message
from manabu.base.interrupts import interrupts_noted, raise_if_interrupted
from manabu.features.shared_fits import shared_text_fits
from manabu.models.entry import ModelEntry
from manabu.search.budget import REFIT_SAFETY, Budget, CostModel
from manabu.search.candidate import Candidate
from manabu.search.crossval import CandidateResult, Folds, OutOfTime, Pruned, cross_validate
from manabu.search.listener import SearchListener
from manabu.search.memory import memory_problem, release_free_memory, return_large_blocks
from manabu.search.opening import (SHARED, Opening, budget_facts, check_sizes, cheapest_candidate, fixed_entries,
                                   portfolio_candidates, quick_candidates, shared_candidates, usable_entries,
                                   with_fixed)
from manabu.search.pacing import MIN_LAST_CHANCE_ROWS, Pacing, default_number, time_share
from manabu.search.pool import ensemble_pool
from manabu.search.pruning import FoldPruner
from manabu.search.strategies import Strategy, make_strategy

MAX_SKIPS_IN_A_ROW = 200    # proposals that all miss the budget: the time left fits nothing, so stop
LEADING_FAMILIES = 3        # only these families get their second and later default configurations
LAST_CHANCE_SLACK = (0.05, 1.0)  # (share of the limit, seconds): what a late first model may add


@dataclass
class SearchProblem:
    """Everything fixed for one search."""

    X: pd.DataFrame
    y: np.ndarray
    schema: Schema
    task: str
    metric: Metric
    folds: Folds
    n_classes: int
    seed: int = 0
    read_row_ms: float = 0.0  # reading one raw row for a prediction, before any model: added to each latency

    @cached_property
    def facts(self) -> frozenset[str]:
        """What some portfolio configurations need to know of the data (``zoo.portfolio``)."""
        positive = self.task == "regression" and len(self.y) > 0 and float(np.min(self.y)) > 0
        molecules = bool(self.schema.of_type(ColumnType.SMILES))  # thousands of sparse fingerprint columns
        return frozenset({"positive_target"} if positive else ()) | frozenset({"molecules"} if molecules else ())

    @cached_property
    def data_bytes(self) -> int:
        return int(self.X.memory_usage(deep=True).sum())

    def refit_seconds(self, result: CandidateResult) -> float:
        """What refitting ``result``'s model on all rows should take (``refit_seconds``)."""
        return refit_seconds(result, len(self.y))


@dataclass(frozen=True)
class SearchSettings:
    strategy: str = "bayes"              # "bayes", "random" or "grid"
    max_trials: int | None = None
    max_latency_ms: float | None = None  # candidates slower on one row are not eligible
    prune: bool = True                   # successive halving over folds
    refit_reserve_models: int = 1        # how many of the best models the final refit may need
    reserve_seconds: float = 0.0         # set aside for work after the search (ensemble selection)
    keep_predictions: int = 1            # out-of-fold predictions kept for this many of the best models
    memory_limit: int | None = None      # bytes the process may reach: a fit that would pass it is skipped
    # with no model yet and no time for every fold, the first folds alone may validate (k-fold
    # plans: each fold is a hold-out of its own)
    fewer_folds: bool = False
    opening: Opening = Opening()         # what searches sharing this one's time limit learnt before it


@dataclass
class SearchOutcome:
    results: list[CandidateResult] = field(default_factory=list)
    notices: list[Message] = field(default_factory=list)
    interrupted: bool = False
    folds_used: int | None = None  # only the first folds validated (``_Run.use_fewer_folds``)

    def finished(self) -> list[CandidateResult]:
        """Candidates with a score that may be chosen: finished, and fast enough."""
        return [r for r in self.results if r.choosable]

    def best(self, metric: Metric) -> CandidateResult | None:
        ok = self.finished()
        return max(ok, key=lambda r: signed(metric, r.score)) if ok else None

    def forget_predictions(self, metric: Metric, keep: int) -> None:
        """Drop the out-of-fold predictions of every model outside the ensemble pool of ``keep``
        (``manabu.search.pool``): a model once outside it never returns. On a large data set a
        search of a hundred models would otherwise hold a hundred copies of a column per class."""
        kept = {id(r) for r in ensemble_pool(self.results, metric, keep)}
        for result in self.results:
            if id(result) not in kept:
                result.oof = None


def run_search(problem: SearchProblem, entries: list[ModelEntry], budget: Budget, listener: SearchListener,
               settings: SearchSettings = SearchSettings(), previous: list[CandidateResult] = (),
               on_result: Callable[[CandidateResult], None] | None = None) -> SearchOutcome:
    """``previous`` are results of an earlier, stopped search on the same data (``--resume``):
    they count as tried, and the search goes on from them. ``on_result`` hears every new result
    (to save a checkpoint)."""
    check_sizes(entries, len(problem.y))
    return_large_blocks()
    outcome = SearchOutcome()
    run = _Run(problem, usable_entries(entries, len(problem.y), outcome.notices), budget, listener, settings, outcome)
    for result in previous:
        run.learn(result)
    scored = [len(r.fold_scores) for r in previous if r.ok]
    if settings.fewer_folds and scored and min(scored) < len(problem.folds):  # the run resumed did
        run.use_fewer_folds(min(scored), None)
    elif settings.fewer_folds and settings.opening.folds and settings.opening.folds < len(problem.folds):
        run.use_fewer_folds(settings.opening.folds, None)
    listener.search_started(budget)
    try:
        with interrupts_noted(), shared_text_fits():  # a fold's text features, counted once
            run.loop(on_result)
    except KeyboardInterrupt as stop:
        outcome.interrupted = True
        terminated = isinstance(stop, Terminated) or Terminated.received.is_set()
        run.notify(Message("search.terminated" if terminated else "search.interrupted", {}))
    listener.search_finished()
    return outcome


class _Run(Pacing):
    """The state of one search: what was tried, what it cost, what each strategy learnt."""

    def __init__(self, problem: SearchProblem, entries: list[ModelEntry], budget: Budget,
                 listener: SearchListener, settings: SearchSettings, outcome: SearchOutcome) -> None:
        self.problem, self.budget, self.listener = problem, budget, listener
        self.settings, self.outcome = settings, outcome
        self.costs = CostModel()
        self.counts: dict[str, int] = {}
        opening = settings.opening
        tight = frozenset({"tight_budget"}) if opening.tight else frozenset()
        entries = fixed_entries(entries, opening)
        self.entries, self.facts = entries, problem.facts | budget_facts(problem, budget.time_limit) | tight
        portfolio_queue = with_fixed(portfolio_candidates(entries, self.facts), opening)
        self.queue = (with_fixed(shared_candidates(entries, opening), opening)
                      + quick_candidates(portfolio_queue, opening) + portfolio_queue)
        self.strategy: Strategy = make_strategy(settings.strategy, entries, problem.seed, self.counts)
        self.pruner = FoldPruner(len(problem.folds)) if settings.prune else None
        self.tried: dict[str, CandidateResult] = {}
        self.warned: set[tuple[str, str]] = set()
        self.errors: dict[str, set[str]] = {}  # family -> the errors its candidates failed with
        self.dropped: set[str] = set()         # families that failed alike under two settings
        self.retrying: dict[str, CandidateResult] = {}  # out of time on all the folds: tried again on fewer
        self.warmed: set[str] = set()          # families whose libraries were imported (ModelEntry.warm_up)

    # -- the loop ---------------------------------------------------------------------------
    def loop(self, on_result) -> None:
        skips = 0
        max_trials = self.settings.max_trials
        while skips < MAX_SKIPS_IN_A_ROW:
            raise_if_interrupted()  # a Ctrl-C that a library swallowed in a callback
            if max_trials is not None and len(self.outcome.results) >= max_trials:
                break  # the last chance still runs where none of the trials gave a model
            if self.search_deadline() <= time.monotonic():
                break
            candidate = self.next_candidate()
            if candidate is None:
                break
            candidate = self.runnable(candidate)
            if candidate is None:
                skips += 1
                continue
            skips = 0
            self.run_one(candidate, on_result, self.search_deadline())
        self.last_chance(on_result)

    def run_one(self, candidate: Candidate, on_result, deadline: float) -> None:
        self.listener.candidate_started(candidate)
        if candidate.family not in self.warmed:
            self.warmed.add(candidate.family)
            candidate.entry.warm_up()
        result = self.evaluate(candidate, deadline)
        release_free_memory()
        self.learn(result)
        if on_result is not None:
            on_result(result)
        self.listener.candidate_finished(result, self.outcome.best(self.problem.metric))
        self.fewer_folds_if_none_fit(result)

    def fewer_folds_if_none_fit(self, result: CandidateResult) -> None:
        """After a candidate that ran out of time with no model yet: the first folds alone, as
        many as its folds and refit fit in the time left, where the plan allows it."""
        if self.settings.fewer_folds and result.status == "out_of_time" and self.outcome.best(self.problem.metric) is None:
            used = self.folds_that_fit(result)
            if used is not None:
                self.use_fewer_folds(used, result.candidate)

    def use_fewer_folds(self, used: int, gave_up: Candidate | None) -> None:
        """Validate on the first ``used`` folds from now on: with no model yet, a model validated
        on a hold-out beats none (chABSA at --time-limit 10: no text model could fit its five
        folds). The candidates that ran out of time are tried again on them, first; a result
        of one tried again replaces its first."""
        problem, before = self.problem, len(self.problem.folds)
        problem.folds = problem.folds[:used]
        self.outcome.folds_used = used
        if self.pruner is not None:
            self.pruner = FoldPruner(used)
        retried = [r for r in self.outcome.results if r.status == "out_of_time"]
        for result in retried:
            self.retrying[_key(result.candidate)] = self.tried.pop(_key(result.candidate), result)
        self.queue[:0] = [result.candidate for result in retried]
        if gave_up is not None:
            self.notify(Message("search.fewer_folds", {"model": gave_up.name, "n_splits": before, "used": used,
                                                       "pct": round(100 * used / before)}))

    def last_chance(self, on_result) -> None:
        """At the search's end with no model (a machine far busier than planned for, a slow
        read, every family too slow for the time left): the cheapest family's default may use the time kept for the refit and the report,
        up to the limit, or the limit's slack (LAST_CHANCE_SLACK) where the limit has passed. A
        model with a shorter report beats an error."""
        if self.outcome.best(self.problem.metric) is not None:
            return
        candidate = cheapest_candidate(self.entries, self.facts)
        if candidate is not None:
            candidate = with_fixed([candidate], self.settings.opening)[0]
            slack = LAST_CHANCE_SLACK[0] * self.budget.time_limit + LAST_CHANCE_SLACK[1]
            deadline = max(self.budget.deadline, time.monotonic() + slack)
            sampled = self.sampled(candidate, deadline - time.monotonic(), MIN_LAST_CHANCE_ROWS)
            self.run_one(sampled or candidate, on_result, deadline)

    def next_candidate(self) -> Candidate | None:
        while self.queue:
            candidate = self.queue.pop(0)
            if _key(candidate) in self.tried or candidate.family in self.dropped:  # ran already, or broken
                continue
            if default_number(candidate.name) > 1 and candidate.origin != SHARED \
                    and candidate.family not in self.leading_families():
                continue  # more defaults of a family that is not competitive: not worth the time
            return candidate
        return self.strategy.propose()

    def leading_families(self) -> set[str]:
        """The families whose best model so far ranks among the first LEADING_FAMILIES."""
        best: dict[str, float] = {}
        for r in self.outcome.finished():
            value = signed(self.problem.metric, r.score)
            best[r.candidate.family] = max(best.get(r.candidate.family, -np.inf), value)
        return set(sorted(best, key=lambda family: -best[family])[:LEADING_FAMILIES])

    def runnable(self, candidate: Candidate) -> Candidate | None:
        """The candidate; or, for a strong family that would not finish on all rows in time, the
        candidate on a sample of them that fits (``on_a_sample``); or None (with a notice, once
        per family and reason) for a repeat, or a candidate that would not fit the time or
        memory left."""
        earlier = self.tried.get(_key(candidate))
        if earlier is not None:  # the strategy proposed a configuration it already has
            self.strategy.tell(candidate, self._value(earlier), earlier.status if earlier.ok else "failed")
            return None
        reason = None
        problem, limit = self.problem, self.settings.memory_limit
        memory = memory_problem(candidate.entry, candidate.params, problem.data_bytes, len(problem.y),
                                max(problem.n_classes, 1), limit)
        if memory is not None:
            reason = "search.skipped_memory" if memory == "free" else "search.skipped_memory_limit"
        elif not self.affordable(candidate):
            sampled = self.on_a_sample(candidate)
            if sampled is not None:
                return sampled
            reason = "search.skipped_budget"
        if reason is None:
            return candidate
        if (candidate.family, reason) not in self.warned:
            self.warned.add((candidate.family, reason))
            self.notify(Message(reason, {"model": candidate.name, "limit_mb": round((limit or 0) / 2**20)}))
        self.strategy.tell(candidate, self._worst_value(), "skipped")
        return None

    def evaluate(self, candidate: Candidate, deadline: float) -> CandidateResult:
        problem = self.problem
        should_stop = None
        if self.pruner is not None and candidate.origin != "portfolio":
            pruner, metric = self.pruner, problem.metric
            should_stop = lambda step, score: pruner.should_stop(step, signed(metric, score))
        if self.outcome.best(problem.metric) is not None:  # the share holds while it runs, not only in estimates
            deadline = min(deadline, time.monotonic() + time_share(candidate) * self.budget.time_limit)
        try:
            result = cross_validate(candidate, problem.X, problem.y, problem.folds, schema=problem.schema,
                                    task=problem.task, metric=problem.metric, n_classes=problem.n_classes,
                                    seed=problem.seed, deadline=deadline, should_stop=should_stop)
            result.latency_ms += problem.read_row_ms
            return result
        except Pruned as stopped:
            return CandidateResult(candidate, "pruned", fold_scores=stopped.fold_scores,
                                   fit_seconds=stopped.fold_seconds, rows_per_fold=len(problem.folds[0][0]))
        except OutOfTime as stopped:
            return CandidateResult(candidate, "out_of_time", fit_seconds=stopped.fold_seconds,
                                   rows_per_fold=len(problem.folds[0][0]))
        except KeyboardInterrupt:
            raise
        except Exception as error:  # one broken candidate must not end the search
            return CandidateResult(candidate, "failed", error=f"{type(error).__name__}: {error}"[:300])

    def learn(self, result: CandidateResult) -> None:
        """Record a result, teach the cost model, the pruner and the strategy from it."""
        candidate, problem = result.candidate, self.problem
        limit = self.settings.max_latency_ms
        if result.ok and limit is not None and not result.latency_ms <= limit:
            result.eligible = False
            if (candidate.family, "latency") not in self.warned:
                self.warned.add((candidate.family, "latency"))
                self.notify(Message("search.too_slow", {"model": candidate.name, "ms": round(result.latency_ms, 2),
                                                        "limit": limit}))
        if result.status in ("ok", "out_of_time", "pruned"):
            self.costs.observe(candidate.family, result.rows_per_fold or len(problem.folds[0][0]),
                               result.fit_seconds + result.predict_seconds, candidate.size_scale,
                               candidate.entry.cost_exponent)
        elif result.status == "failed":
            self.notify(Message("search.failed", {"model": candidate.name, "error": result.error}))
            self._drop_if_failed_alike(candidate.family, result.error or "")
        if result.stopped_at_deadline and (candidate.family, "deadline") not in self.warned:
            self.warned.add((candidate.family, "deadline"))
            self.notify(Message("search.stopped_at_deadline", {"model": candidate.name}))
        step_values = [signed(problem.metric, s) for s in result.fold_scores]
        if self.pruner is not None and result.status in ("ok", "pruned"):
            self.pruner.record(step_values)
        self.strategy.tell(candidate, self._value(result), result.status if result.status != "out_of_time"
                           else "failed", step_values)
        self.tried[_key(candidate)] = result
        replaced = self.retrying.pop(_key(candidate), None)
        if replaced is not None:
            self.outcome.results.remove(replaced)
        self.counts[candidate.family] = max(self.counts.get(candidate.family, 0), default_number(candidate.name))
        self.outcome.results.append(result)
        self.outcome.forget_predictions(problem.metric, self.settings.keep_predictions)

    def _drop_if_failed_alike(self, family: str, error: str) -> None:
        """A family that fails with the same error under two settings fails for the data, not
        for its settings: its other settings are not tried (on 3,772 rows with a class of 2,
        two families failed 8 and 18 times alike)."""
        seen = self.errors.setdefault(family, set())
        if error in seen and family not in self.dropped:
            self.dropped.add(family)
            self.strategy.drop(family)
            self.notify(Message("search.family_dropped", {"model": family, "error": error}))
        seen.add(error)

    # -- helpers ----------------------------------------------------------------------------
    def _value(self, result: CandidateResult) -> float | None:
        return signed(self.problem.metric, result.score) if result.ok and np.isfinite(result.score) else None

    def _worst_value(self) -> float | None:
        values = [signed(self.problem.metric, r.score) for r in self.outcome.finished()]
        return min(values) if values else None

    def notify(self, message: Message) -> None:
        self.outcome.notices.append(message)
        self.listener.notice(message)


def refit_seconds(result: CandidateResult, n_rows: int) -> float:
    """What refitting a candidate on all ``n_rows`` rows should take, with a safety margin."""
    exponent = result.candidate.entry.cost_exponent
    rows = n_rows * result.candidate.row_fraction
    return result.fit_seconds * (rows / max(result.rows_per_fold, 1)) ** min(exponent, 1.5) * REFIT_SAFETY


def _key(candidate: Candidate) -> str:
    return candidate.family + json.dumps(candidate.params, sort_keys=True, default=str)
