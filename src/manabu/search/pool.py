"""The models an ensemble may draw on: the best first, at most PER_FAMILY of any one family.

A long search spends most of its trials where the Bayesian strategy finds the best scores, so
the best dozen models are often variants of one family (on kc1 at 300 s, 61 of 73 finished
models were extra trees). Their predictions are nearly the same, and greedy selection over them
gave one model and no ensemble. With at most three of a family, the cross-fitted ensemble
scores at 300 s went from no ensemble to ROC-AUC 0.836 on kc1 (best single model 0.832), log
loss 0.164 -> 0.151 on soybean and RMSE 534 -> 527 on diamonds. Offering every family's best
instead let weak families in (a linear model 2x behind on diamonds), and the weights chosen on
some parts of the rows then failed on the others.
"""
from __future__ import annotations

from collections import Counter

from manabu.evaluate.metrics import Metric, signed
from manabu.search.crossval import CandidateResult

POOL_SIZE = 12  # the models offered to ensemble selection (and whose predictions are kept)
PER_FAMILY = 3  # of them, at most this many of one family


def ensemble_pool(results: list[CandidateResult], metric: Metric, size: int = POOL_SIZE) -> list[CandidateResult]:
    """Up to ``size`` choosable models, best first, with at most PER_FAMILY of one family.

    A model left out stays out as the search goes on: scores are final, so the models above it,
    in its family or overall, stay above it. The search may therefore forget the predictions of
    every model outside the pool at once."""
    ranked = sorted((r for r in results if r.choosable), key=lambda r: -signed(metric, r.score))
    taken: Counter[str] = Counter()
    pool = []
    for result in ranked:
        if len(pool) == size:
            break
        if taken[result.candidate.family] < PER_FAMILY:
            taken[result.candidate.family] += 1
            pool.append(result)
    return pool
