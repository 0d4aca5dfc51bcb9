"""Greedy ensemble selection and stacking on out-of-fold predictions made for the test: two
models with independent errors, one useless model, and limits on refit time and latency."""
from __future__ import annotations

import numpy as np
import pytest

from manabu.ensemble.selection import (SELECTION_ROWS, Limits, build_ensembles, ensemble_on_equal_terms,
                                      honest_single_score, selection_seconds)
from manabu.evaluate.metrics import get_metric
from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, ModelEntry
from manabu.search.candidate import Candidate
from manabu.search.crossval import CandidateResult, score_predictions

ENTRY = ModelEntry("toy", ALL_TASKS, PreprocessKind.TREE, lambda task, params, seed: None, {})


def result(name: str, oof: np.ndarray, y, task, metric, latency=1.0, fit=1.0) -> CandidateResult:
    n_classes = 0 if task == "regression" else oof.shape[1]
    score = score_predictions(metric, task, y, oof, n_classes)
    return CandidateResult(Candidate(name, ENTRY, {}, "portfolio"), "ok", score, [score], fit_seconds=fit,
                           rows_per_fold=len(y), oof=oof, latency_ms=latency)


def binary_problem(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    def noisy(scale):
        logit = (2 * y - 1) * 1.0 + rng.normal(scale=scale, size=n)
        p = 1 / (1 + np.exp(-logit))
        return np.column_stack([1 - p, p])
    return y, noisy(1.5), noisy(1.5), np.full((n, 2), 0.5)


def test_two_models_with_independent_errors_make_a_better_ensemble():
    metric = get_metric("log_loss", "binary")
    y, a, b, useless = binary_problem()
    results = [result("a", a, y, "binary", metric), result("b", b, y, "binary", metric),
               result("useless", useless, y, "binary", metric)]
    rows = build_ensembles(results, y, "binary", metric, 2, seed=0, limits=Limits(),
                           refit_estimate=lambda r: 1.0, stacking=True)
    by_name = {r.candidate.name: r for r in rows}
    ensemble = by_name["ensemble"]
    members = {m.candidate.name: w for m, w in zip(ensemble.candidate.members, ensemble.candidate.weights)}
    assert set(members) == {"a", "b"}, "the useless model adds nothing"
    assert abs(members["a"] - 0.5) < 0.2
    assert ensemble.score < min(results[0].score, results[1].score) - 0.01, "lower log loss than either"
    assert len(ensemble.fold_scores) == 3 and ensemble.oof.shape == a.shape
    assert np.isfinite(by_name["stacking"].score) and by_name["stacking"].candidate.stacker is not None
    assert ensemble.latency_ms == pytest.approx(2.0), "latency of the members together"


def test_the_honest_score_is_not_the_in_sample_one():
    metric = get_metric("roc_auc", "binary")
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 60)  # small and pure noise: in-sample selection would flatter
    results = [result(f"m{i}", np.column_stack([1 - p, p]), y, "binary", metric)
               for i, p in enumerate(rng.uniform(size=(8, 60)))]
    rows = build_ensembles(results, y, "binary", metric, 2, seed=0, limits=Limits(),
                           refit_estimate=lambda r: 1.0, stacking=False)
    if rows:  # selection may settle on one model, which is then no ensemble
        ensemble = rows[0]
        weights = np.array(ensemble.candidate.weights)
        in_sample = np.tensordot(weights, np.stack([m.oof for m in ensemble.candidate.members]), axes=1)
        assert ensemble.score < score_predictions(metric, "binary", y, in_sample, 2)


def test_limits_keep_costly_members_out():
    metric = get_metric("log_loss", "binary")
    y, a, b, _ = binary_problem()
    results = [result("a", a, y, "binary", metric, fit=1.0), result("b", b, y, "binary", metric, fit=50.0)]
    assert build_ensembles(results, y, "binary", metric, 2, seed=0, limits=Limits(refit_seconds=10.0),
                           refit_estimate=lambda r: r.fit_seconds, stacking=True) == []
    results[1].latency_ms = 5.0
    results[1].fit_seconds = 1.0
    assert build_ensembles(results, y, "binary", metric, 2, seed=0, limits=Limits(latency_ms=3.0),
                           refit_estimate=lambda r: r.fit_seconds, stacking=True) == []


def test_reading_the_row_counts_once_in_an_ensembles_latency():
    metric = get_metric("log_loss", "binary")
    y, a, b, _ = binary_problem()
    results = [result("a", a, y, "binary", metric, latency=1.0), result("b", b, y, "binary", metric, latency=1.0)]
    rows = build_ensembles(results, y, "binary", metric, 2, seed=0, limits=Limits(shared_ms=0.4),
                           refit_estimate=lambda r: 1.0, stacking=False)
    assert rows[0].latency_ms == pytest.approx(1.6), "0.4 to read the row, then 0.6 per member"
    assert build_ensembles(results, y, "binary", metric, 2, seed=0, limits=Limits(latency_ms=1.5, shared_ms=0.4),
                           refit_estimate=lambda r: 1.0, stacking=False) == [], "1.6 is over the limit"


def test_regression_and_multiclass_ensembles():
    rng = np.random.default_rng(2)
    y = rng.normal(size=2000)
    rmse = get_metric("rmse", "regression")
    results = [result(n, y + rng.normal(scale=0.5, size=2000), y, "regression", rmse) for n in "ab"]
    rows = build_ensembles(results, y, "regression", rmse, 0, seed=0, limits=Limits(),
                           refit_estimate=lambda r: 1.0, stacking=True)
    assert {r.candidate.name for r in rows} == {"ensemble", "stacking"}
    assert all(r.score < min(x.score for x in results) for r in rows)

    labels = rng.integers(0, 3, 2000)
    log_loss = get_metric("log_loss", "multiclass")
    def noisy():
        logits = np.eye(3)[labels] * 2 + rng.normal(scale=1.5, size=(2000, 3))
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)
    results = [result(n, noisy(), labels, "multiclass", log_loss) for n in "ab"]
    rows = build_ensembles(results, labels, "multiclass", log_loss, 3, seed=0, limits=Limits(),
                           refit_estimate=lambda r: 1.0, stacking=True)
    assert rows and all(np.allclose(r.oof.sum(axis=1), 1.0) for r in rows)


def test_the_fast_auc_is_scikit_learns():
    from sklearn.metrics import roc_auc_score

    from manabu.ensemble.selection import _auc
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 500)
    scores = np.round(rng.random(500), 2)  # many ties
    assert _auc(y == 1, scores) == pytest.approx(roc_auc_score(y, scores), abs=1e-12)




def test_the_honest_single_score_is_not_flattered_by_the_choice():
    metric = get_metric("roc_auc", "binary")
    y, good, _, _ = binary_problem(n=300)
    rng = np.random.default_rng(1)
    noise = [result(f"m{i}", np.column_stack([1 - p, p]), y, "binary", metric)
             for i, p in enumerate(rng.uniform(size=(12, 300)))]
    best = max(r.score for r in noise)
    assert best > 0.52, "the best of twelve coin tosses looks better than chance"
    assert honest_single_score(noise, y, "binary", metric, 2, seed=0) < best - 0.02
    real = result("real", good, y, "binary", metric)
    assert honest_single_score([real, *noise], y, "binary", metric, 2, seed=0) == \
        pytest.approx(real.score, abs=1e-12), "a model far ahead is chosen on every part"


def test_an_ensemble_behind_only_by_the_singles_flattering_is_kept():
    metric = get_metric("rmse", "regression")
    single = CandidateResult(Candidate("single", ENTRY, {}, "portfolio"), "ok", 1.00, [1.00])
    def ensemble(score, eligible=True):
        row = CandidateResult(Candidate("ensemble", ENTRY, {}, "ensemble"), "ok", score, [score])
        row.eligible = eligible
        return row
    between, behind = ensemble(1.03), ensemble(1.08)
    assert ensemble_on_equal_terms([between], single, 1.05, metric) is between
    assert ensemble_on_equal_terms([behind], single, 1.05, metric) is None
    assert ensemble_on_equal_terms([behind, between], single, 1.05, metric) is between
    assert ensemble_on_equal_terms([ensemble(1.03, eligible=False)], single, 1.05, metric) is None, \
        "over --max-latency-ms"
    assert ensemble_on_equal_terms([between], single, float("nan"), metric) is None
    assert ensemble_on_equal_terms([between], between, 1.05, metric) is None, "already the best"


def test_a_family_tuned_all_search_long_does_not_crowd_out_the_others():
    """Fourteen variants of one model rank above an independent, slightly weaker model of
    another family; the ensemble still finds the blend of the two kinds."""
    metric = get_metric("log_loss", "binary")
    y, a, _, _ = binary_problem()
    rng = np.random.default_rng(3)
    n = len(y)
    other = 1 / (1 + np.exp(-((2 * y - 1) * 1.0 + rng.normal(scale=1.7, size=n))))
    other_family = ModelEntry("other", ALL_TASKS, PreprocessKind.TREE, lambda task, params, seed: None, {})
    variants = []
    for i in range(14):
        p = np.clip(a[:, 1] + rng.normal(scale=1e-3, size=n), 1e-6, 1 - 1e-6)
        variants.append(result(f"toy #{i}", np.column_stack([1 - p, p]), y, "binary", metric))
    weaker = result("other", np.column_stack([1 - other, other]), y, "binary", metric)
    weaker.candidate = Candidate("other", other_family, {}, "portfolio")
    assert all(weaker.score > v.score for v in variants), "the other family ranks last"
    rows = build_ensembles([*variants, weaker], y, "binary", metric, 2, seed=0, limits=Limits(),
                           refit_estimate=lambda r: 1.0, stacking=False)
    members = [m.candidate.name for m in rows[0].candidate.members]
    assert "other" in members
    assert rows[0].score < min(v.score for v in variants) - 0.01


def test_the_time_set_aside_for_ensembles_grows_with_the_rows_up_to_the_selection_sample():
    auc, rmse = get_metric("roc_auc", "binary"), get_metric("rmse", "regression")
    assert selection_seconds(700, auc) < 0.5 < selection_seconds(10_000, auc), "a small search keeps its budget"
    assert selection_seconds(2 * SELECTION_ROWS, auc) == selection_seconds(1_000_000, auc), \
        "beyond the sample, more rows cost no more"
    assert selection_seconds(40_000, rmse) < selection_seconds(40_000, auc) / 3, "a mean is cheaper than a ranking"
