"""Training that can stop at any moment with the best agent so far: ``Watch`` sees every training
episode and step, scores the policy now and then on validation episodes (seeds of their own, never
the training's nor the final evaluation's), keeps a copy of the best policy, and says when to stop:
at the deadline (less what the final evaluation will need, measured on the validations), at the
end of the budget, or after Ctrl-C.

It is the same for the tabular agent and Stable-Baselines3's (whose callback forwards to it), and
it keeps what the report needs: every training episode's return and length, and the curve of the
validations.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

VALIDATIONS = 20        # validations spread over the budget (of steps or of time, whichever comes first)
MIN_GAP_SECONDS = 1.0   # between two validations, at least
MAX_EPISODES_KEPT = 5000  # training episodes in the record; more are thinned evenly (the average is kept whole)
AVERAGE_WINDOW = 100    # the moving average of the training returns
SHOW_EVERY = 0.25       # seconds between two calls of the progress function


@dataclass
class Validation:
    done: int        # in the budget's unit: environment steps, or episodes for the tabular agent
    seconds: float
    mean: float
    std: float


@dataclass
class Watch:
    """The training's clock, log and best policy. ``validate()`` scores the current policy
    (mean, std of the validation returns); ``snapshot()`` copies it; ``final_episodes`` and
    ``validation_episodes`` size the final evaluation that must fit before ``end``."""

    end: float                                # time.monotonic() by which everything must be done
    validate: Callable[[], tuple[float, float]]
    snapshot: Callable[[], Any]
    budget: int                                # in ``unit``s
    unit: str                                  # "timesteps" or "episodes"
    validation_episodes: int
    final_episodes: int
    time_limit: float
    progress: Callable[[float, dict[str, Any]], None] | None = None
    start: int = 0                             # a resumed training goes on from its count
    kept_back: float = 1.0                     # seconds the end needs besides the evaluation (animation, save)
    listen: Callable[[int, float], bool] | None = None  # after each validation (count, mean): go on? (a pruner)
    best_mean: float = -np.inf
    best: Any = None
    best_step: int | None = None
    stopped: str = "budget"                    # or "deadline", "interrupted", "pruned" (a tuning trial)
    returns: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    validations: list[Validation] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.started = time.monotonic()
        self.last_check = self.last_shown = self.started
        self.last_done = self.start
        self.validation_seconds = 0.0
        self.every = max(1, (self.budget - self.start) // VALIDATIONS)
        self.every_seconds = max(MIN_GAP_SECONDS, self.time_limit / VALIDATIONS)

    # -- what training reports ---------------------------------------------------------------
    def episode(self, reward: float, length: int, timestep: int) -> None:
        self.returns.append(float(reward))
        self.lengths.append(int(length))
        self.steps.append(int(timestep))

    def step(self, done: int) -> bool:
        """Go on? (``done``: the count so far, in the budget's unit.) Validates when one is due;
        False at the deadline, or when ``listen`` says stop after a validation."""
        now = time.monotonic()
        if now + self.reserve() >= self.end:
            self.stopped = "deadline"
            return False
        if done - self.last_done >= self.every or now - self.last_check >= self.every_seconds:
            self.check(done)
            if self.listen is not None and not self.listen(len(self.validations), self.validations[-1].mean):
                self.stopped = "pruned"
                return False
        if self.progress is not None and now - self.last_shown >= SHOW_EVERY:
            self.last_shown = now
            self.progress(self.fraction(done), self.status(done))
        return True

    def check(self, done: int) -> None:
        """Score the policy now; keep it when it is the best so far."""
        began = time.monotonic()
        mean, std = self.validate()
        seconds = time.monotonic() - began
        self.validation_seconds = max(self.validation_seconds, seconds)
        self.validations.append(Validation(int(done), round(began - self.started, 3), float(mean), float(std)))
        if mean > self.best_mean:
            self.best_mean, self.best, self.best_step = float(mean), self.snapshot(), int(done)
        self.last_check, self.last_done = time.monotonic(), done

    def finish(self, done: int) -> None:
        """The last validation, unless one was just made (the policy may have improved since)."""
        if not self.validations or self.validations[-1].done != done:
            self.check(done)

    def reserve(self) -> float:
        """Seconds the end needs: the final evaluation (as long as the longest validation was,
        scaled to its episodes, and the random agent beside it), the last validation, and what is
        ``kept_back`` for the animation and the save."""
        per_episode = self.validation_seconds / max(1, self.validation_episodes)
        return self.kept_back + self.validation_seconds + 1.5 * per_episode * self.final_episodes

    # -- what the progress bar and the record show --------------------------------------------
    def fraction(self, done: int) -> float:
        by_time = (time.monotonic() - self.started) / max(1e-9, self.end - self.started)
        by_budget = (done - self.start) / max(1, self.budget - self.start)
        return float(min(1.0, max(by_time, by_budget)))

    def status(self, done: int) -> dict[str, Any]:
        recent = self.returns[-AVERAGE_WINDOW:]
        return {"done": done, "unit": self.unit, "episodes": len(self.returns),
                "recent": float(np.mean(recent)) if recent else None,
                "best": None if self.best is None else self.best_mean}

    def resume_from(self, history: dict[str, Any]) -> None:
        """Go on from a saved training's history (``--resume``): its episodes and validations
        come first in the new record (as they were kept: thinned, if they were)."""
        train = history.get("train") or {}
        self.returns[:0] = train.get("return", [])
        self.lengths[:0] = train.get("length", [])
        self.steps[:0] = train.get("timestep", [])
        self.validations[:0] = [Validation(**point) for point in (history.get("validation") or {}).get("points", [])]

    def history(self) -> dict[str, Any]:
        """The training episodes and validations, as the record keeps them."""
        returns = np.asarray(self.returns, dtype=np.float64)
        average = moving_average(returns, AVERAGE_WINDOW)
        kept = np.arange(len(returns))
        if len(kept) > MAX_EPISODES_KEPT:
            kept = np.unique(np.linspace(0, len(returns) - 1, MAX_EPISODES_KEPT).round().astype(int))
        return {"train": {"episode": (kept + 1).tolist(), "timestep": np.asarray(self.steps)[kept].tolist(),
                          "return": returns[kept].round(6).tolist(),
                          "length": np.asarray(self.lengths)[kept].tolist(),
                          "moving_average": average[kept].round(6).tolist(), "window": AVERAGE_WINDOW,
                          "episodes": len(returns), "thinned": len(kept) < len(returns)},
                "unit": self.unit,
                "validation": {"episodes": self.validation_episodes,
                               "points": [vars(v) for v in self.validations],
                               "best_at": self.best_step,
                               "best_mean": None if self.best is None else self.best_mean}}


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """The mean of the last ``window`` values at each point (of fewer at the start)."""
    if not len(values):
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (sums[1:] - sums[np.maximum(0, np.arange(1, len(values) + 1) - window)]) / counts
