"""Which model the search keeps: under --preset fast, the quickest among those the folds cannot
tell from the best (never one clearly worse, too slow to refit, or ineligible); and always one
whose refit ends near the budget."""
from __future__ import annotations

import pytest

from manabu.evaluate.metrics import get_metric
from manabu.models.zoo import ZOO
from manabu.search.candidate import Candidate
from manabu.search.choice import quickest_within_one_standard_error, refit_in_time, standard_error
from manabu.search.crossval import CandidateResult

AUC = get_metric("roc_auc", "binary")


def scored(name: str, folds: list[float], latency_ms: float, fit_seconds: float = 1.0) -> CandidateResult:
    return CandidateResult(Candidate(name, ZOO["lightgbm"], {}, "bayes"), "ok", sum(folds) / len(folds), folds,
                           fit_seconds=fit_seconds, latency_ms=latency_ms)


BEST = scored("big", [0.90, 0.92, 0.94], latency_ms=0.20)   # standard error 0.0094
CLOSE = scored("small", [0.915, 0.915, 0.915], latency_ms=0.07)
WORSE = scored("tiny", [0.90, 0.90, 0.90], latency_ms=0.05)


def test_the_quickest_model_within_one_standard_error_is_kept():
    assert round(standard_error(BEST), 4) == 0.0094
    chosen = quickest_within_one_standard_error([BEST, CLOSE, WORSE], BEST, AUC, lambda r: True)
    assert chosen is CLOSE, "0.915 is within 0.0094 of 0.92; 0.90 is not"


def test_nothing_quicker_within_reach_keeps_the_best():
    slower = scored("slower", [0.915] * 3, latency_ms=0.30)
    assert quickest_within_one_standard_error([BEST, slower, WORSE], BEST, AUC, lambda r: True) is BEST


def test_a_model_too_slow_to_refit_or_over_the_latency_limit_is_not_taken():
    assert quickest_within_one_standard_error([BEST, CLOSE], BEST, AUC, lambda r: False) is BEST
    ineligible = scored("small", [0.915] * 3, latency_ms=0.07)
    ineligible.eligible = False
    assert quickest_within_one_standard_error([BEST, ineligible], BEST, AUC, lambda r: True) is BEST


def test_lower_is_better_metrics_count_the_margin_the_other_way():
    rmse = get_metric("rmse", "regression")
    best = scored("big", [1.0, 1.2, 1.4], latency_ms=0.2)        # mean 1.2, standard error 0.094
    close, worse = scored("small", [1.25] * 3, latency_ms=0.1), scored("tiny", [1.35] * 3, latency_ms=0.05)
    assert quickest_within_one_standard_error([best, close, worse], best, rmse, lambda r: True) is close


# --------------------------------------------------------------------- a refit that ends in time

def refit_time(seconds: dict[str, float]):
    return lambda r: seconds[r.candidate.name]


@pytest.mark.parametrize(("seconds", "time_left", "time_limit", "kept"), [
    pytest.param({"big": 9.0, "small": 1.0, "tiny": 0.5}, 10.0, 60.0, "big", id="the best refits in time"),
    # 10 s left and 10% of 60 s allowed past the end: 15 s is within 16 s
    pytest.param({"big": 15.0, "small": 1.0, "tiny": 0.5}, 10.0, 60.0, "big", id="a little over keeps the best"),
    pytest.param({"big": 40.0, "small": 3.0, "tiny": 0.5}, 1.0, 40.0, "small",
                 id="far past gives way to the best that ends in time"),
    pytest.param({"big": 40.0, "small": 30.0, "tiny": 20.0}, 1.0, 40.0, "tiny",
                 id="none in time: the soonest refit"),
])
def test_the_refit_ends_near_the_budget(seconds, time_left, time_limit, kept):
    chosen = refit_in_time([BEST, CLOSE, WORSE], BEST, AUC, refit_time(seconds), time_left=time_left,
                           time_limit=time_limit)
    assert chosen is {"big": BEST, "small": CLOSE, "tiny": WORSE}[kept]


def test_an_ineligible_model_is_not_taken_for_its_quick_refit():
    ineligible = scored("small", [0.915] * 3, latency_ms=0.07)
    ineligible.eligible = False
    seconds = refit_time({"big": 40.0, "small": 1.0})
    assert refit_in_time([BEST, ineligible], BEST, AUC, seconds, time_left=1.0, time_limit=40.0) is BEST
