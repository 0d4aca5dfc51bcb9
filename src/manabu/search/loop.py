"""The search: known-good defaults of every family first, then random configurations, until the
time budget (less a reserve for the final refit) runs out or the user presses Ctrl-C."""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from manabu.data.schema import Schema
from manabu.errors import ConfigError
from manabu.evaluate.metrics import Metric, signed
from manabu.i18n import Message
from manabu.models.entry import DeadlineExceeded, ModelEntry
from manabu.models.zoo import portfolio
from manabu.search.budget import REFIT_SAFETY, Budget, CostModel
from manabu.search.candidate import Candidate
from manabu.search.crossval import CandidateResult, Folds, OutOfTime, cross_validate, predict_scores
from manabu.search.listener import SearchListener

PROBE_ROWS = 1_000          # rows used to time a family before trusting it with a whole fold
MAX_SKIPS_IN_A_ROW = 200    # draws that all miss the budget: the time left fits nothing, so stop


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


@dataclass
class SearchOutcome:
    results: list[CandidateResult] = field(default_factory=list)
    notices: list[Message] = field(default_factory=list)
    interrupted: bool = False

    def best(self, metric: Metric) -> CandidateResult | None:
        ok = [r for r in self.results if r.ok and np.isfinite(r.score)]
        return max(ok, key=lambda r: signed(metric, r.score)) if ok else None


def run_search(problem: SearchProblem, entries: list[ModelEntry], budget: Budget,
               listener: SearchListener, max_trials: int | None = None) -> SearchOutcome:
    _check_sizes(entries, len(problem.y))
    outcome = SearchOutcome()
    costs = CostModel()
    listener.search_started(budget)
    skipped: list[str] = []  # families skipped since the last candidate ran
    try:
        for candidate in _candidates(entries, problem, outcome):
            if max_trials is not None and len(outcome.results) >= max_trials:
                break
            if _search_deadline(problem, outcome, budget) <= time.monotonic():
                break
            if not _affordable(candidate, problem, outcome, costs, budget):
                if candidate.family not in skipped:  # once per family, not once per draw
                    _notify(outcome, listener, Message("search.skipped_budget", {"model": candidate.name}))
                skipped.append(candidate.family)
                if len(skipped) >= MAX_SKIPS_IN_A_ROW:
                    break
                continue
            skipped.clear()
            listener.candidate_started(candidate)
            result = _evaluate(candidate, problem, outcome, budget)
            if result.ok or result.status == "out_of_time":
                costs.observe(candidate.family, len(problem.folds[0][0]),
                              result.fit_seconds + result.predict_seconds, candidate.size_scale,
                              candidate.entry.cost_exponent)
            elif result.status == "failed":
                _notify(outcome, listener, Message("search.failed", {"model": candidate.name,
                                                                     "error": result.error}))
            outcome.results.append(result)
            listener.candidate_finished(result, outcome.best(problem.metric))
    except KeyboardInterrupt:
        outcome.interrupted = True
        _notify(outcome, listener, Message("search.interrupted", {}))
    listener.search_finished()
    return outcome


def _check_sizes(entries: list[ModelEntry], rows: int) -> None:
    """Fail at once, naming the limit, when every family chosen is too small for the data."""
    limits = [entry.max_rows for entry in entries]
    if entries and all(limit is not None and rows > limit for limit in limits):
        raise ConfigError("search.too_many_rows", models=", ".join(e.name for e in entries), rows=rows,
                          max_rows=max(limits))


def _candidates(entries: list[ModelEntry], problem: SearchProblem, outcome: SearchOutcome) -> Iterator[Candidate]:
    """Defaults first (cheap families first), then random configurations of the families that
    did well, chosen with probability falling with their rank."""
    rows = len(problem.y)
    usable = []
    for entry in entries:
        if entry.max_rows is not None and rows > entry.max_rows:
            outcome.notices.append(Message("search.skipped_rows", {"model": entry.name, "rows": rows,
                                                                   "max_rows": entry.max_rows}))
        else:
            usable.append(entry)
    for entry in usable:
        for i, params in enumerate(portfolio(entry.name)):
            yield Candidate(entry.name if i == 0 else f"{entry.name} #{i + 1}", entry, params, "portfolio")
    rng = np.random.default_rng(problem.seed)
    counts = {entry.name: len(portfolio(entry.name)) for entry in usable}
    while True:
        ranked = _families_by_best_score(outcome, problem.metric, usable)
        if not ranked:
            return
        weights = 1.0 / np.arange(1, len(ranked) + 1)
        entry = ranked[int(rng.choice(len(ranked), p=weights / weights.sum()))]
        counts[entry.name] += 1
        yield Candidate(f"{entry.name} #{counts[entry.name]}", entry,
                        entry.sample(rng, str(problem.task)), "random")


def _families_by_best_score(outcome: SearchOutcome, metric: Metric, usable: list[ModelEntry]) -> list[ModelEntry]:
    best: dict[str, float] = {}
    for r in outcome.results:
        if r.ok and np.isfinite(r.score):
            best[r.candidate.family] = max(best.get(r.candidate.family, -np.inf), signed(metric, r.score))
    return sorted((e for e in usable if e.name in best), key=lambda e: -best[e.name])


def _search_deadline(problem: SearchProblem, outcome: SearchOutcome, budget: Budget) -> float:
    """The budget's end less the time the refit of the best candidate so far will take."""
    best = outcome.best(problem.metric)
    if best is None:
        return budget.deadline
    refit = best.fit_seconds * len(problem.y) / max(best.rows_per_fold, 1) * REFIT_SAFETY
    return budget.deadline - refit


def _affordable(candidate: Candidate, problem: SearchProblem, outcome: SearchOutcome,
                costs: CostModel, budget: Budget) -> bool:
    if outcome.best(problem.metric) is None:
        return True  # no model yet: try rather than trust a probe's estimate (folds stop at the deadline)
    rows = len(problem.folds[0][0])
    if not costs.knows(candidate.family) and rows > 2 * PROBE_ROWS:
        _probe(candidate, problem, costs, _search_deadline(problem, outcome, budget))
    estimate = costs.estimate(candidate.family, rows, candidate.size_scale, candidate.entry.cost_exponent)
    if estimate is None:
        return True
    return time.monotonic() + estimate * len(problem.folds) < _search_deadline(problem, outcome, budget)


def _probe(candidate: Candidate, problem: SearchProblem, costs: CostModel, deadline: float) -> None:
    """Time the candidate on a small sample of the first fold, to extrapolate its cost. The
    probe is a fit of PROBE_ROWS rows (threads to match), and it too stops at the deadline."""
    train, valid = problem.folds[0]
    rng = np.random.default_rng(problem.seed)
    sample = rng.choice(train, size=PROBE_ROWS, replace=False)
    # validation rows in the fold's proportion, so that prediction cost is probed too
    check = valid[: max(1, round(PROBE_ROWS * len(valid) / len(train)))]
    pipeline, fit_params = candidate.build(problem.schema, problem.task, problem.seed,
                                           n_rows=PROBE_ROWS, deadline=deadline)
    start = time.monotonic()
    try:
        pipeline.fit(problem.X.iloc[sample], problem.y[sample], **fit_params)
        predict_scores(pipeline, problem.X.iloc[check], problem.task, problem.n_classes)
    except DeadlineExceeded:  # the probe alone outlasted the time left: its cost is at least this
        pass
    except Exception:  # the real run will report the failure properly
        return
    costs.observe(candidate.family, PROBE_ROWS, time.monotonic() - start, candidate.size_scale,
                  candidate.entry.cost_exponent)


def _evaluate(candidate: Candidate, problem: SearchProblem, outcome: SearchOutcome, budget: Budget) -> CandidateResult:
    try:
        return cross_validate(candidate, problem.X, problem.y, problem.folds, schema=problem.schema,
                              task=problem.task, metric=problem.metric, n_classes=problem.n_classes,
                              seed=problem.seed, deadline=_search_deadline(problem, outcome, budget))
    except OutOfTime as stopped:
        return CandidateResult(candidate, "out_of_time", fit_seconds=stopped.fold_seconds)
    except KeyboardInterrupt:
        raise
    except Exception as error:  # one broken candidate must not end the search
        return CandidateResult(candidate, "failed", error=f"{type(error).__name__}: {error}"[:300])


def _notify(outcome: SearchOutcome, listener: SearchListener, message: Message) -> None:
    outcome.notices.append(message)
    listener.notice(message)
