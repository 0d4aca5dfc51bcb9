"""A Rich progress bar for the search: time used, models tried, the best score so far."""
from __future__ import annotations

import threading

from rich.console import Console
from rich.text import Text
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from manabu.base.i18n import Message, get_language, t


class RichListener:
    """Shows the search as it runs; notices are printed above the bar as they come."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.tried = 0
        self.shown: list[Message] = []  # notices printed live, so nobody prints them twice
        self.lang = get_language()  # the ticking thread does not inherit the caller's context
        self._progress: Progress | None = None
        self._task = None
        self._budget = None
        self._current: str | None = None
        self._best = None
        self._stop = threading.Event()
        self._stage = None  # the spinner of a step after the search

    def search_started(self, budget) -> None:
        self._budget = budget
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(),
            TextColumn("{task.fields[status]}"), TimeRemainingColumn(),
            console=self.console, transient=True,
        )
        self._task = self._progress.add_task(t("search.progress_title", self.lang), total=budget.time_limit,
                                             status=self._status())
        self._progress.start()
        # the bar follows the clock between events too, so a long candidate does not look stuck
        self._stop.clear()
        threading.Thread(target=self._tick, daemon=True).start()

    def candidate_started(self, candidate) -> None:
        self._current = candidate.name
        self._update()

    def candidate_finished(self, result, best) -> None:
        self.tried += 1
        self._current = None
        self._best = best
        self._update()

    def notice(self, message: Message) -> None:
        self.shown.append(message)
        if self._progress is not None:
            # plain Text: an error quoted in a notice may hold brackets that are not markup
            self._progress.console.print(Text.assemble(("• ", "yellow"), message.render(self.lang)),
                                         soft_wrap=True, highlight=False)

    def search_finished(self) -> None:
        self._stop.set()
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def stage(self, message: Message | None) -> None:
        """A spinner saying what happens after the search (the refit can take as long as the
        best model's training, the learning curve a few seconds more), so the wait is explained."""
        if self._stage is not None:
            self._stage.stop()
            self._stage = None
        if message is not None:
            self._stage = self.console.status(message.render(self.lang))
            self._stage.start()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            self._update()

    def _update(self) -> None:
        progress = self._progress
        if progress is None:
            return
        elapsed = min(self._budget.elapsed(), self._budget.time_limit)
        progress.update(self._task, completed=elapsed, status=self._status())

    def _status(self) -> str:
        current, best = self._current, self._best
        left = self._budget.remaining() if self._budget else 0.0
        text = t("search.progress_status", self.lang, tried=self.tried, left=f"{left:.0f}")
        if best is not None:
            text += " · " + t("search.progress_best", self.lang, model=best.candidate.name, score=f"{best.score:.4f}")
        if current:
            text += " · " + t("search.progress_current", self.lang, model=current)
        return text
