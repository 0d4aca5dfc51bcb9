"""What the search tells whoever watches it (a progress bar, a log, a test)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from manabu.base.i18n import Message

if TYPE_CHECKING:
    from manabu.search.budget import Budget
    from manabu.search.candidate import Candidate
    from manabu.search.crossval import CandidateResult


class SearchListener(Protocol):
    def search_started(self, budget: Budget) -> None: ...
    def candidate_started(self, candidate: Candidate) -> None: ...
    def candidate_finished(self, result: CandidateResult, best: CandidateResult | None) -> None: ...
    def notice(self, message: Message) -> None: ...
    def search_finished(self) -> None: ...
    # a step after the search (the refit, the report's numbers), or None once they are done
    def stage(self, message: Message | None) -> None: ...


class SilentListener:
    def search_started(self, budget) -> None: pass
    def candidate_started(self, candidate) -> None: pass
    def candidate_finished(self, result, best) -> None: pass
    def notice(self, message) -> None: pass
    def search_finished(self) -> None: pass
    def stage(self, message) -> None: pass
