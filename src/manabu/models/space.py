"""Search spaces of model families, declared once and read by every search strategy.

A family declares its hyperparameters as ``Real``, ``Integer`` or ``Choice``; random search
samples them, grid search walks a few values of each, and Bayesian search hands them to Optuna.
The declarations are plain data, so the model modules need no search library to import.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

GRID_POINTS = 3  # values per numeric hyperparameter in grid search: both ends and the middle


@dataclass(frozen=True)
class Real:
    low: float
    high: float
    log: bool = False

    def sample(self, rng: np.random.Generator) -> float:
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def grid(self) -> list[float]:
        if self.log:
            return [float(v) for v in np.geomspace(self.low, self.high, GRID_POINTS)]
        return [float(v) for v in np.linspace(self.low, self.high, GRID_POINTS)]

    def contains(self, value: Any) -> bool:
        return isinstance(value, (int, float)) and self.low <= value <= self.high


@dataclass(frozen=True)
class Integer:
    low: int
    high: int
    log: bool = False

    def sample(self, rng: np.random.Generator) -> int:
        if self.log:
            return int(round(math.exp(rng.uniform(math.log(self.low), math.log(self.high)))))
        return int(rng.integers(self.low, self.high + 1))

    def grid(self) -> list[int]:
        points = np.geomspace(self.low, self.high, GRID_POINTS) if self.log else \
            np.linspace(self.low, self.high, GRID_POINTS)
        return sorted({int(round(v)) for v in points})

    def contains(self, value: Any) -> bool:
        return isinstance(value, (int, np.integer)) and self.low <= value <= self.high


@dataclass(frozen=True)
class Choice:
    options: tuple[Any, ...]

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]

    def grid(self) -> list[Any]:
        return list(self.options)

    def contains(self, value: Any) -> bool:
        return value in self.options


Dimension = Real | Integer | Choice
Space = dict[str, Dimension]


def sample_space(space: Space, rng: np.random.Generator) -> dict[str, Any]:
    return {name: dimension.sample(rng) for name, dimension in space.items()}
