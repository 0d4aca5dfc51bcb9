"""Which model the search keeps, besides the best score: one whose refit ends in time, and
for ``--preset fast`` the one-standard-error rule.

The one-standard-error rule: of the models whose score is within one standard error of the
best, keep the one that predicts a row soonest. Scores within a standard error of each other
are not told apart by the folds, so the choice among them may as well go to what the preset
asks for: latency. (Breiman's rule picks the simplest model within one standard error; here
"simplest" is measured as single-row time.)
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from manabu.evaluate.metrics import Metric, signed
from manabu.search.crossval import CandidateResult


def standard_error(result: CandidateResult) -> float:
    """The standard error of a cross-validated score: the fold scores' spread over sqrt(folds)."""
    return result.score_std / np.sqrt(max(len(result.fold_scores), 1))


def quickest_within_one_standard_error(results: list[CandidateResult], best: CandidateResult, metric: Metric,
                                       affordable: Callable[[CandidateResult], bool]) -> CandidateResult:
    """``best``, or a model that scores within one of its standard errors and predicts a row
    sooner; ``affordable(result)`` says whether its refit fits the time left."""
    margin = standard_error(best)
    if not np.isfinite(margin) or not np.isfinite(best.latency_ms):
        return best
    floor = signed(metric, best.score) - margin
    close = [r for r in results if r.choosable and np.isfinite(r.latency_ms)
             and signed(metric, r.score) >= floor and (r is best or affordable(r))]
    return min(close, key=lambda r: (r.latency_ms, -signed(metric, r.score)), default=best)


# How far past the budget the final refit may run before a model that refits sooner is kept
# instead: a little over is better than a worse model, twice the budget is not (a 40 s run once
# took 81 s, refitting an l1 logistic regression that scored 0.0001 above an l2 one).
OVERRUN_SHARE = 0.1


def refit_in_time(results: list[CandidateResult], best: CandidateResult, metric: Metric,
                  refit_seconds: Callable[[CandidateResult], float], time_left: float,
                  time_limit: float) -> CandidateResult:
    """``best``, unless its refit would end more than OVERRUN_SHARE of the budget past it; then
    the best model whose refit ends within that, or failing any, the one that refits soonest."""
    allowed = time_left + OVERRUN_SHARE * time_limit
    if refit_seconds(best) <= allowed:
        return best
    usable = [r for r in results if r.choosable]
    in_time = [r for r in usable if refit_seconds(r) <= allowed]
    if in_time:
        return max(in_time, key=lambda r: signed(metric, r.score))
    return min(usable, key=refit_seconds, default=best)
