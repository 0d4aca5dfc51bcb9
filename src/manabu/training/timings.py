"""Where the time of a run went: reading and preparing the rows, analysing the words of the text,
each family's candidates in the search, the rest of the search (probes, ensemble selection), the
refit and the report's measurements. Kept in the record, printed by ``manabu train`` and shown
in the report, so that a user who waits sees what they waited for."""
from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from manabu.features.tokenize import analysis_seconds


class Stopwatch:
    """Seconds per step of one run, from the caller's start; each ``lap`` ends the step named."""

    def __init__(self, started: float) -> None:
        self.last = started
        self.words_at_start = analysis_seconds()
        self.steps: dict[str, float] = {}

    def lap(self, step: str) -> None:
        now = time.monotonic()
        self.steps[step] = round(now - self.last, 3)
        self.last = now

    def timings(self, results) -> dict[str, Any]:
        """The steps so far, the words' analysis within them, and each family's share of the search."""
        return {"steps": dict(self.steps), "words": round(analysis_seconds() - self.words_at_start, 3),
                "families": family_seconds(results)}


def family_seconds(results) -> dict[str, float]:
    """Seconds each family's candidates took in the search (fitting and predicting every fold
    they ran), largest first."""
    totals: dict[str, float] = defaultdict(float)
    for result in results:
        folds = max(len(result.fold_scores), 1)
        totals[result.candidate.family] += (result.fit_seconds + result.predict_seconds) * folds
    return {family: round(seconds, 2) for family, seconds in sorted(totals.items(), key=lambda kv: -kv[1])}


STEPS = ("reading", "search", "refit", "report")
SHOWN_FAMILIES = 5


def time_spent_parts(timings: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]] | None:
    """The message keys and values (``time.<step>``) of a run's timings, for a line or a table."""
    if not timings:
        return None
    steps = timings.get("steps", {})
    parts = [(f"time.{step}", {"seconds": f"{steps[step]:.1f}"}) for step in STEPS if step in steps]
    families = list(timings.get("families", {}).items())[:SHOWN_FAMILIES]
    if families:
        parts.append(("time.families", {"list": ", ".join(f"{name} {seconds:.1f}" for name, seconds in families)}))
    if timings.get("words", 0) >= 0.05:  # spread over the steps: whichever first read each text
        parts.append(("time.words", {"seconds": f"{timings['words']:.1f}"}))
    return parts
