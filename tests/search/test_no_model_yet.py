"""A search with no model yet: it does not begin a fold that cannot end in time, and its last
chance still gives a model, on a sample of the rows where the family's cost says it must."""
from __future__ import annotations

import time

from manabu.features import tokenize
from manabu.models.zoo import get_entries
from manabu.search.budget import Budget
from manabu.search.candidate import Candidate
from manabu.search.crossval import CandidateResult, analysis_not_repeated
from manabu.search.listener import SilentListener
from manabu.search.loop import SearchSettings, run_search
from manabu.search.opening import portfolio_candidates
from tests.search.conftest import small_problem


def seen_before(family: str, fold_seconds: float, rows: int) -> CandidateResult:
    """What an earlier search (``--resume``) learnt of a family: a fold of ``rows`` rows took
    ``fold_seconds``, and the candidate ran out of time."""
    entry = get_entries([family], "binary")[0]
    candidate = next(iter(portfolio_candidates([entry], frozenset())))
    return CandidateResult(candidate, "out_of_time", fit_seconds=fold_seconds, rows_per_fold=rows)


def test_families_whose_folds_would_end_past_the_search_are_left_for_the_last_chance():
    """A random forest's fold was seen to take 1,000 s: the extra trees (by their cost) would
    take as long, so they are not begun, and the last chance gives the cheapest family's model."""
    problem = small_problem()
    rows = len(problem.folds[0][0])
    entries = get_entries(["random_forest", "extra_trees", "linear"], "binary")
    outcome = run_search(problem, entries, Budget(30.0), SilentListener(), SearchSettings(prune=False),
                         previous=[seen_before("random_forest", 1000.0, rows)])
    new = [(r.candidate.family, r.status) for r in outcome.results[1:]]
    assert new == [("linear", "ok")]
    assert any(n.key == "search.skipped_budget" and "extra_trees" in str(n.params) for n in outcome.notices)


def test_the_last_chance_fits_a_sample_when_its_family_was_seen_too_slow_for_all_rows():
    """Linear models were seen to take 2 s a fold on these rows, and 8 s are left for three
    folds and the refit: the last chance fits the share of the rows that fits in them."""
    problem = small_problem(600)
    rows = len(problem.folds[0][0])
    entries = get_entries(["linear"], "binary")
    budget = Budget(8.0)
    outcome = run_search(problem, entries, budget, SilentListener(), SearchSettings(prune=False, reserve_seconds=100.0),
                         previous=[seen_before("linear", 2.0, rows)])
    last: Candidate = outcome.results[-1].candidate
    assert outcome.results[-1].ok
    assert 200 / rows <= last.row_fraction < 1.0
    assert "rows)" in last.name
    assert any(n.key == "search.sampled" for n in outcome.notices)


def test_the_last_chance_runs_when_the_trials_allowed_gave_no_model():
    """--max-trials 1, and that one trial ran out of time (a busy CI machine spent the search's
    seconds on the command's imports): the last chance still gives a model, not an error."""
    problem = small_problem()
    rows = len(problem.folds[0][0])
    outcome = run_search(problem, get_entries(["linear"], "binary"), Budget(30.0), SilentListener(),
                         SearchSettings(prune=False, max_trials=1), previous=[seen_before("linear", 0.01, rows)])
    assert outcome.results[0].status == "out_of_time"
    assert outcome.best(problem.metric) is not None and outcome.results[-1].ok


def test_a_folds_text_analysis_is_counted_once(monkeypatch):
    """Words analysed in a fold are remembered, so later folds will not spend that time again,
    unless the memory for words was full and some were forgotten."""
    monkeypatch.setattr(tokenize, "_forgotten", False)
    before = tokenize.analysis_seconds()
    started = time.perf_counter()
    tokenize.joined_words("sudachi", f"朝食は美味しかったです。{time.time_ns()}")  # a text not seen before
    spent = time.perf_counter() - started
    assert 0 < analysis_not_repeated(before) <= spent
    monkeypatch.setattr(tokenize, "CACHE_CHARS", 1)
    tokenize.joined_words("sudachi", f"部屋は快適でした。{time.time_ns()}")
    assert tokenize.words_forgotten()
    assert analysis_not_repeated(before) == 0.0


def test_with_no_model_and_no_time_for_every_fold_the_first_folds_validate():
    """The first candidate gave up after one fold of 2 s with 3 s left: the search validates on
    the first fold only from then on, and tries that candidate again first."""
    from manabu.search.loop import SearchOutcome, _Run

    problem = small_problem()
    linear = get_entries(["linear"], "binary")[0]
    outcome = SearchOutcome()
    settings = SearchSettings(prune=False, fewer_folds=True, reserve_seconds=97.0)
    run = _Run(problem, [linear], Budget(100.0), SilentListener(), settings, outcome)
    gave_up = CandidateResult(Candidate("linear", linear, {}, "portfolio"), "out_of_time", fit_seconds=2.0,
                              rows_per_fold=len(problem.folds[0][0]))
    run.learn(gave_up)
    run.fewer_folds_if_none_fit(gave_up)
    assert outcome.folds_used == 1 and len(problem.folds) == 1
    assert run.next_candidate() == gave_up.candidate
    again = CandidateResult(gave_up.candidate, "ok", 0.8, [0.8], fit_seconds=0.1)
    run.learn(again)
    assert outcome.results == [again]  # the result on fewer folds replaces the one that gave up
    assert any(n.key == "search.fewer_folds" and n.params["pct"] == 33 for n in outcome.notices)


def test_all_the_folds_while_the_plan_does_not_allow_fewer_or_a_model_exists():
    from manabu.search.loop import SearchOutcome, _Run

    linear = get_entries(["linear"], "binary")[0]
    for settings, model_exists in ((SearchSettings(fewer_folds=False, reserve_seconds=97.0), False),
                                   (SearchSettings(fewer_folds=True, reserve_seconds=97.0), True)):
        problem, outcome = small_problem(), SearchOutcome()
        run = _Run(problem, [linear], Budget(100.0), SilentListener(), settings, outcome)
        if model_exists:
            outcome.results.append(CandidateResult(Candidate("linear #2", linear, {}, "portfolio"), "ok", 0.8))
        gave_up = CandidateResult(Candidate("linear", linear, {}, "portfolio"), "out_of_time", fit_seconds=2.0)
        run.fewer_folds_if_none_fit(gave_up)
        assert outcome.folds_used is None and len(problem.folds) == 3


def test_a_search_resumed_from_one_on_fewer_folds_goes_on_with_them():
    problem = small_problem()
    entries = get_entries(["linear", "decision_tree"], "binary")
    earlier = small_problem()
    earlier.folds = earlier.folds[:1]
    first = run_search(earlier, entries[:1], Budget(30.0), SilentListener(), SearchSettings(prune=False, max_trials=1))
    assert len(first.results[0].fold_scores) == 1
    resumed = run_search(problem, entries, Budget(30.0), SilentListener(),
                         SearchSettings(prune=False, fewer_folds=True, max_trials=3), previous=first.results)
    assert resumed.folds_used == 1 and len(problem.folds) == 1
    assert len(resumed.results) == 3 and all(len(r.fold_scores) == 1 for r in resumed.results if r.ok)
