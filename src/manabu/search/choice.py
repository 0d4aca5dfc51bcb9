"""The one-standard-error rule, for ``--preset fast``: of the models whose score is within
one standard error of the best, keep the one that predicts a row soonest.

Scores within a standard error of each other are not told apart by the folds, so the choice
among them may as well go to what the preset asks for: latency. (Breiman's rule picks the
simplest model within one standard error; here "simplest" is measured as single-row time.)
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
    close = [r for r in results if r.ok and r.eligible and np.isfinite(r.score) and np.isfinite(r.latency_ms)
             and signed(metric, r.score) >= floor and (r is best or affordable(r))]
    return min(close, key=lambda r: (r.latency_ms, -signed(metric, r.score)), default=best)
