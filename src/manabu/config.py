"""Settings of one training run, shared by the Python API and the CLI so the two cannot drift."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from manabu.errors import ConfigError

DEFAULT_TIME_LIMIT = 60.0


@dataclass(frozen=True)
class TrainConfig:
    target: str
    time_limit: float = DEFAULT_TIME_LIMIT  # seconds for the whole fit, refit included
    metric: str | None = None               # None: the default of the task
    task: str | None = None                 # None: detected from the target
    models: tuple[str, ...] | None = None   # None: every family of the zoo
    validation: str | None = None           # None: chosen from the data size
    group: str | None = None                # rows sharing a group stay in one fold
    time: str | None = None                 # validate on rows later than the training rows
    seed: int = 0
    max_trials: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.time_limit, (int, float)) or not math.isfinite(self.time_limit) \
                or self.time_limit <= 0:
            raise ConfigError("search.bad_time_limit", value=self.time_limit)
        if self.max_trials is not None and self.max_trials < 1:
            raise ConfigError("search.bad_max_trials", value=self.max_trials)
        if self.models is not None:
            object.__setattr__(self, "models", tuple(self.models))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["models"] = list(self.models) if self.models else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})
