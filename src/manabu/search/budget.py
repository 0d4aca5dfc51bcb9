"""The time budget of one search, and how long a candidate is expected to take.

The search must end within the user's ``--time-limit`` including the final refit on all rows, so
it keeps a reserve for that refit and skips candidates whose expected cost does not fit. Costs are
learnt as the search runs: seconds per training row, per family, scaled by the number of trees.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

REFIT_SAFETY = 1.3  # the refit sees all rows (more than a fold) and must not overrun


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
    """Seconds per training row for each family, from the candidates seen so far."""

    seconds_per_row: dict[str, float] = field(default_factory=dict)

    def observe(self, family: str, rows: int, seconds: float, scale: float = 1.0) -> None:
        rate = seconds / max(rows, 1) / max(scale, 1e-9)
        previous = self.seconds_per_row.get(family)
        self.seconds_per_row[family] = rate if previous is None else max(rate, 0.5 * (rate + previous))

    def knows(self, family: str) -> bool:
        return family in self.seconds_per_row

    def estimate(self, family: str, rows: int, scale: float = 1.0) -> float | None:
        rate = self.seconds_per_row.get(family)
        return None if rate is None else rate * rows * scale
