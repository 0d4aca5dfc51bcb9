"""The AutoML loop: budget, candidates, out-of-fold evaluation, leaderboard."""
from manabu.search.budget import Budget
from manabu.search.candidate import Candidate
from manabu.search.crossval import CandidateResult
from manabu.search.listener import SearchListener, SilentListener
from manabu.search.loop import SearchOutcome, SearchProblem, run_search

__all__ = [
           "Budget",
           "Candidate",
           "CandidateResult",
           "SearchListener",
           "SearchOutcome",
           "SearchProblem",
           "SilentListener",
           "run_search",
]
