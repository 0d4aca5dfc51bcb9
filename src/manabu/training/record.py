"""What happened during one training run (``TrainingRecord``): the settings, the task, the
leaderboard, the validation, the notices and the report's numbers. It is saved in the model's
manifest, read back with the model (``manabu.training.predictor``) and drawn by the report."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from manabu.base.i18n import Message
from manabu.data.task import Task
from manabu.training.config import TrainConfig


@dataclass
class TrainingRecord:
    """What happened during training; saved in the manifest and shown in reports."""

    config: TrainConfig
    task: Task
    metric: str
    classes: list[Any] | None
    leaderboard: list[dict[str, Any]]
    best_model: str
    validation: dict[str, Any]
    validation_text: Message
    n_rows: int
    seconds: float
    refit_seconds: float
    fingerprint: str
    interrupted: bool = False
    notices: list[Message] = field(default_factory=list)
    report: dict[str, Any] | None = None  # the report's numbers (``manabu.training.numbers``)
    # the file trained on (path, format, encoding, sep, sheet), for ``manabu export-code``;
    # None when the rows came from a data frame or a database
    source: dict[str, Any] | None = None
    # seconds per step of the run and per family in the search (``manabu.training.timings``)
    timings: dict[str, Any] | None = None

    @property
    def best_row(self) -> dict[str, Any]:
        """The chosen model's leaderboard row (empty when it has none)."""
        return next((row for row in self.leaderboard if row.get("model") == self.best_model), {})

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(), "task": str(self.task), "metric": self.metric,
            "classes": self.classes, "leaderboard": self.leaderboard, "best_model": self.best_model,
            "validation": self.validation, "validation_text": self.validation_text.to_dict(),
            "n_rows": self.n_rows, "seconds": self.seconds, "refit_seconds": self.refit_seconds,
            "data_fingerprint": self.fingerprint, "interrupted": self.interrupted,
            "notices": [n.to_dict() for n in self.notices], "report": self.report, "source": self.source,
            "timings": self.timings,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainingRecord":
        return cls(
            config=TrainConfig.from_dict(d["config"]), task=Task(d["task"]), metric=d["metric"],
            classes=d["classes"], leaderboard=d["leaderboard"], best_model=d["best_model"],
            validation=d["validation"], validation_text=_message(d["validation_text"]),
            n_rows=d["n_rows"], seconds=d["seconds"], refit_seconds=d["refit_seconds"],
            fingerprint=d["data_fingerprint"], interrupted=d.get("interrupted", False),
            notices=[_message(n) for n in d.get("notices", [])], report=d.get("report"),
            source=d.get("source"), timings=d.get("timings"),
        )


def _message(d: dict[str, Any]) -> Message:
    return Message(d["key"], d.get("params", {}))
