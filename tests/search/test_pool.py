"""The ensemble pool: at most three models of a family, so that a search that tuned one family
for most of its budget still offers the others to the ensemble."""
from __future__ import annotations

import numpy as np

from manabu.evaluate.metrics import get_metric
from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, ModelEntry
from manabu.search.candidate import Candidate
from manabu.search.crossval import CandidateResult
from manabu.search.pool import ensemble_pool

RMSE = get_metric("rmse", "regression")


def scored(family: str, score: float, status: str = "ok") -> CandidateResult:
    entry = ModelEntry(family, ALL_TASKS, PreprocessKind.TREE, lambda task, params, seed: None, {})
    return CandidateResult(Candidate(f"{family} {score}", entry, {}, "bayes"), status, score, [score])


def names(results: list[CandidateResult]) -> list[str]:
    return [r.candidate.name for r in results]


def test_a_family_tuned_all_search_long_leaves_room_for_the_others():
    results = [scored("lightgbm", 1.0 + i / 100) for i in range(20)] + [scored("linear", 3.0), scored("knn", 2.0),
                                                                         scored("linear", 2.5)]
    pool = ensemble_pool(results, RMSE, size=5)
    assert names(pool) == ["lightgbm 1.0", "lightgbm 1.01", "lightgbm 1.02", "knn 2.0", "linear 2.5"], \
        "best first, three of a family at most"


def test_weak_families_stay_out_when_strong_ones_fill_the_pool():
    results = ([scored("xgboost", s) for s in (5.0, 4.0, 6.0, 3.0)] + [scored("lightgbm", s) for s in (4.5, 3.5)]
               + [scored("linear", 9.0), scored("svm", 0.5, "pruned"), scored("knn", float("nan"))])
    assert names(ensemble_pool(results, RMSE, size=5)) == ["xgboost 3.0", "lightgbm 3.5", "xgboost 4.0",
                                                           "lightgbm 4.5", "xgboost 5.0"]
    assert names(ensemble_pool(results, RMSE, size=7)) == ["xgboost 3.0", "lightgbm 3.5", "xgboost 4.0",
                                                           "lightgbm 4.5", "xgboost 5.0", "linear 9.0"], \
        "a fourth xgboost is not taken, unfinished models never"


def test_a_model_left_out_never_returns_as_results_arrive():
    """What lets the search forget a model's predictions as soon as it leaves the pool."""
    rng = np.random.default_rng(0)
    families = ["a", "b", "c", "d"]
    results: list[CandidateResult] = []
    left_out: set[int] = set()
    for _ in range(200):
        results.append(scored(families[int(rng.integers(len(families)))], float(rng.normal())))
        pool = {id(r) for r in ensemble_pool(results, RMSE, size=5)}
        assert not pool & left_out
        left_out |= {id(r) for r in results} - pool
