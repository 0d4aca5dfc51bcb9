"""After the search: the refit and the report's numbers are announced, and the announcement ends."""
from __future__ import annotations

import io

from rich.console import Console

from manabu.training.config import TrainConfig
from manabu.base.i18n import Message
from manabu.training.progress import RichListener
from manabu.search.listener import SilentListener
from manabu.training.run import train
from tests.frames import mixed_frame


class StageRecorder(SilentListener):
    def __init__(self) -> None:
        self.stages: list[str | None] = []

    def stage(self, message) -> None:
        self.stages.append(None if message is None else message.key)


def test_training_announces_the_refit_and_the_report_then_ends_the_announcement():
    listener = StageRecorder()
    train(mixed_frame(120), TrainConfig(target="y", models=("linear",), max_trials=1, time_limit=20), listener)
    assert listener.stages == ["search.stage_refit", "search.stage_report", None]


def test_the_progress_shows_the_stage_as_a_spinner_and_clears_it():
    output = io.StringIO()
    listener = RichListener(Console(file=output, force_terminal=True, width=100))
    listener.stage(Message("search.stage_refit", {"model": "lightgbm #2"}))
    assert listener._stage is not None
    listener.stage(None)
    assert listener._stage is None
    assert "Training lightgbm #2 on all rows" in output.getvalue()
