"""The time budget of one search, and how long a candidate is expected to take.

The search must end within the user's ``--time-limit`` including the final refit on all rows, so
it keeps a reserve for that refit and skips candidates whose expected cost does not fit. Costs are
learnt as the search runs: seconds per training row, per family, scaled by the number of trees.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

REFIT_SAFETY = 1.3  # the refit sees all rows (more than a fold) and must not overrun


def refit_in_folds(n_rows: int, fold_rows: int) -> float:
    """The refit on all ``n_rows`` rows as a number of folds of ``fold_rows`` training rows, with
    the safety margin: what a candidate that plans its own time sets aside for its refit. A
    sampled candidate takes the same share of both, so the ratio holds for it too."""
    return REFIT_SAFETY * n_rows / max(fold_rows, 1)


@dataclass
class Budget:
    time_limit: float
    started: float = field(default_factory=time.monotonic)

    @property
    def deadline(self) -> float:
        return self.started + self.time_limit

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


@dataclass
class CostModel:
    """Seconds one fold of each family takes, learnt from what was timed so far.

    A family's cost grows with the rows as ``rows ** exponent``: about linearly for trees and
    linear models, about quadratically for kNN (every validation row against every training
    row) and kernel SVMs. Extrapolating a small probe with the right exponent is what keeps a
    slow family from blowing the budget on large data.
    """

    observed: dict[str, tuple[int, float]] = field(default_factory=dict)  # family -> (rows, seconds)

    def observe(self, family: str, rows: int, seconds: float, scale: float = 1.0,
                exponent: float = 1.0) -> None:
        seconds = seconds / max(scale, 1e-9)
        previous = self.observed.get(family)
        if previous is not None:
            earlier = _scaled(previous, rows, exponent)
            seconds = max(seconds, 0.5 * (seconds + earlier))  # lean towards the slower sighting
        self.observed[family] = (max(rows, 1), seconds)

    def knows(self, family: str) -> bool:
        return family in self.observed

    def estimate(self, family: str, rows: int, scale: float = 1.0, exponent: float = 1.0) -> float | None:
        seen = self.observed.get(family)
        return None if seen is None else _scaled(seen, rows, exponent) * scale


def _scaled(seen: tuple[int, float], rows: int, exponent: float) -> float:
    seen_rows, seconds = seen
    return seconds * (max(rows, 1) / seen_rows) ** exponent
