"""Successive halving over folds: a candidate that scores in the lower part of its peers on
the first folds is stopped there, so weak configurations cost one fold, not all of them.

Every fold is a rung (asynchronous successive halving, as in ASHA): after fold ``k`` a candidate
goes on only if its fold-``k`` score is among the best ``1 / REDUCTION`` of the fold-``k`` scores
seen so far. Scores of one fold are compared only with scores of the same fold, which all
candidates share, so the comparison is fair.
"""
from __future__ import annotations

import numpy as np

REDUCTION = 2      # keep the better half at each rung
MIN_PEERS = 4      # judge nobody before this many candidates reached the rung


class FoldPruner:
    def __init__(self, n_folds: int) -> None:
        self.n_folds = n_folds
        self.rungs: list[list[float]] = [[] for _ in range(n_folds)]

    def record(self, fold_values: list[float]) -> None:
        """A candidate's fold scores (higher better), whether or not it went on to the end."""
        for step, value in enumerate(fold_values[: self.n_folds]):
            if np.isfinite(value):
                self.rungs[step].append(float(value))

    def should_stop(self, step: int, value: float) -> bool:
        if step >= self.n_folds - 1:
            return False  # the last fold is done: stopping now saves nothing
        peers = self.rungs[step]
        if len(peers) < MIN_PEERS:
            return False
        if not np.isfinite(value):
            return True
        threshold = float(np.quantile(peers, 1.0 - 1.0 / REDUCTION))
        return value < threshold
