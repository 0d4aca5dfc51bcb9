"""Ensembles built from the search's out-of-fold predictions, scored honestly.

Greedy ensemble selection (Caruana et al., 2004) adds, one at a time and with replacement, the
model whose predictions most improve the average; the weights are how often each was added.
Stacking fits a small linear model on the members' predictions instead.

Choosing weights on the same out-of-fold rows that score them would flatter the ensemble, so
both are cross-fitted: the rows are split into parts, the weights (or the stacker) are chosen on
the other parts, and each part is predicted with weights it did not help choose. That score is
the one the leaderboard shows; the final weights are then chosen on all rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression, Ridge

from manabu.ensemble.model import stack_features
from manabu.evaluate.metrics import Metric, signed
from manabu.models.outputs import predict_scores
from manabu.search.crossval import CandidateResult, score_predictions
from manabu.search.pool import POOL_SIZE, ensemble_pool

STACK_POOL_SIZE = 8     # of the pool's models, the best a stacker sees
ITERATIONS = 25         # rounds of greedy selection (AutoGluon uses 25 as well)
SELECTION_ROWS = 20_000  # rows used to choose weights (5,000 gave weights that moved RMSE on diamonds by 1%)
PARTS = 3               # cross-fitting parts for the honest score


def selection_seconds(n_rows: int, metric: Metric) -> float:
    """What building the ensembles of a search on ``n_rows`` rows takes, to set aside from the
    search. Measured with a pool of twelve, weights chosen on at most SELECTION_ROWS rows:
    ROC-AUC, which ranks every blend it scores, 0.19 s on 700 rows, 0.56 s on 4,300, 1.1 s on
    10,000, 2.0 s on 20,000, 3.0 s on 39,000 and 3.8 s on 100,000; RMSE 0.17 s on 43,000 rows,
    log loss 0.42 s on 39,000 (binary) and 0.45 s on 16,000 (26 classes). Stacking (preset
    best) may take longer on many classes: 10 s with 26."""
    per_thousand_rows = 0.1 if metric.name == "roc_auc" else 0.01
    return 0.2 + per_thousand_rows * min(n_rows, 2 * SELECTION_ROWS) / 1000


@dataclass(frozen=True)
class EnsembleCandidate:
    """What the leaderboard and the refit need to know about an ensemble."""

    name: str                        # "ensemble" or "stacking"
    members: tuple[CandidateResult, ...]
    weights: tuple[float, ...]
    stacker: Any = None
    family: str = "ensemble"

    @property
    def origin(self) -> str:
        return self.name

    @property
    def params(self) -> dict[str, Any]:
        return {"members": {m.candidate.name: round(w, 4) for m, w in zip(self.members, self.weights)}}


@dataclass
class Limits:
    """Sums the chosen members must stay within: refit seconds and single-row milliseconds."""

    refit_seconds: float = float("inf")
    latency_ms: float = float("inf")
    shared_ms: float = 0.0  # of each member's latency, the part an ensemble does once: reading the row


def build_ensembles(results: list[CandidateResult], y: np.ndarray, task: str, metric: Metric,
                    n_classes: int, seed: int, limits: Limits, refit_estimate, stacking: bool) -> list[CandidateResult]:
    """Leaderboard rows for the greedy ensemble (and the stacker, with ``stacking``), when they
    combine at least two models. ``refit_estimate(result)`` says what refitting one member costs."""
    pool = _pool(results, metric)
    split = _parts(pool, seed)
    if len(pool) < 2 or split is None:
        return []
    rows, parts, rng = split
    costs = np.array([refit_estimate(r) for r in pool])
    latencies = np.array([_own_latency(r, limits.shared_ms) for r in pool])
    # the members' own parts are what the selection adds up; the shared part counts once
    limits = Limits(limits.refit_seconds, limits.latency_ms - limits.shared_ms, limits.shared_ms)
    predictions = np.stack([r.oof for r in pool])
    selector = _Greedy(predictions, y, task, metric, n_classes, costs, latencies, limits)

    built = []
    honest = np.full_like(predictions[0], np.nan)
    for k, part in enumerate(parts):
        others = np.concatenate([p for i, p in enumerate(parts) if i != k])
        weights = selector.select(_subsample(others, rng))
        honest[part] = np.tensordot(weights, predictions[:, part], axes=1)
    weights = selector.select(_subsample(rows, rng))
    chosen = np.flatnonzero(weights > 0)
    if len(chosen) >= 2:
        built.append(_row("ensemble", [pool[i] for i in chosen], weights[chosen], None, honest, parts,
                          y, task, metric, n_classes, limits.shared_ms))
    if stacking:
        stack_pool = pool[:STACK_POOL_SIZE]
        fitting = _stack_within_limits(stack_pool, costs, latencies, limits)
        if len(fitting) >= 2:
            built.append(_stacked([stack_pool[i] for i in fitting], y, task, metric, n_classes, rows, parts,
                                  seed, limits.shared_ms))
    return built


def honest_single_score(results: list[CandidateResult], y: np.ndarray, task: str, metric: Metric,
                        n_classes: int, seed: int) -> float:
    """The best single model's score taken the way an ensemble's is: on each part of the rows,
    the model that scores best on the other parts, judged on this one. The best single model's
    own score is the best of many tries, flattered by that choice; this one is not, and
    compares with the ensembles built from the same ``results`` on equal terms."""
    pool = _pool(results, metric)
    split = _parts(pool, seed)
    if len(pool) < 2 or split is None:
        return float("nan")
    rows, parts, _ = split
    honest = np.full_like(pool[0].oof, np.nan)
    for k, part in enumerate(parts):
        others = np.concatenate([p for i, p in enumerate(parts) if i != k])
        values = [signed(metric, score_predictions(metric, task, y[others], r.oof[others], n_classes)) for r in pool]
        honest[part] = pool[int(np.argmax(values))].oof[part]
    return score_predictions(metric, task, y[rows], honest[rows], n_classes)


def ensemble_on_equal_terms(ensembles: list[CandidateResult], best: CandidateResult, single_score: float,
                            metric: Metric) -> CandidateResult | None:
    """The best ensemble, where it falls behind the best single model only by that model's
    flattering (it scores at least ``single_score``, from ``honest_single_score``); None
    where it does not, or where an ensemble is the best already."""
    eligible = [r for r in ensembles if r.choosable]
    if not eligible or not np.isfinite(single_score) or any(best is r for r in ensembles):
        return None
    top = max(eligible, key=lambda r: signed(metric, r.score))
    return top if signed(metric, top.score) >= signed(metric, single_score) else None


def _parts(pool: list[CandidateResult], seed: int) -> tuple[np.ndarray, list[np.ndarray], np.random.Generator] | None:
    """The rows every model of ``pool`` predicted, the cross-fitting parts they are split into,
    and the generator that drew them; None when too few rows are covered."""
    if not pool:
        return None
    covered = np.ones(len(pool[0].oof), dtype=bool)
    for r in pool:
        covered &= np.all(np.isfinite(_flat(r.oof)), axis=1)
    rows = np.flatnonzero(covered)
    if len(rows) < 2 * PARTS:
        return None
    rng = np.random.default_rng(seed)
    return rows, np.array_split(rng.permutation(rows), PARTS), rng


class _Greedy:
    """Caruana's selection with replacement. Each round tries every model of the pool, so the
    metric is computed on what it reads only (the true class's probability for log loss, the
    positive class's for ROC-AUC): a blend of those is the column of the blend."""

    def __init__(self, predictions, y, task, metric, n_classes, costs, latencies, limits: Limits) -> None:
        self.reduced, self.value_of = _reduced(predictions, y, task, metric, n_classes)
        self.costs, self.latencies, self.limits = costs, latencies, limits

    def select(self, rows: np.ndarray) -> np.ndarray:
        """Weights over the pool (summing to 1), chosen greedily on ``rows``."""
        pool = self.reduced[:, rows]
        counts = np.zeros(len(pool))
        total = np.zeros_like(pool[0])
        for iteration in range(1, ITERATIONS + 1):
            best, best_value = None, -np.inf
            for j in range(len(pool)):
                if counts[j] == 0 and not self._fits(counts, j):
                    continue
                value = self.value_of((total + pool[j]) / iteration, rows)
                if value > best_value + 1e-12:
                    best, best_value = j, value
            if best is None:
                break
            counts[best] += 1
            total = total + pool[best]
        if counts.sum() == 0:  # nothing fits the limits: the single best model
            counts[0] = 1
        return counts / counts.sum()

    def _fits(self, counts: np.ndarray, j: int) -> bool:
        used = counts > 0
        return (self.costs[used].sum() + self.costs[j] <= self.limits.refit_seconds
                and self.latencies[used].sum() + self.latencies[j] <= self.limits.latency_ms)


def _reduced(predictions: np.ndarray, y: np.ndarray, task: str, metric: Metric, n_classes: int):
    """The part of every model's predictions that the metric reads, and a function that scores a
    blend of those parts on the given rows (higher is better)."""
    if task != "regression" and metric.name == "log_loss":
        true_class = predictions[:, np.arange(len(y)), np.asarray(y, dtype=int)]
        return true_class, lambda blend, rows: float(np.mean(np.log(np.clip(blend, 1e-15, 1.0))))
    if task == "binary" and metric.name == "roc_auc":
        return predictions[:, :, 1], lambda blend, rows: _auc(y[rows] == 1, blend)
    if task == "regression" and metric.name in ("rmse", "mse"):
        return predictions, lambda blend, rows: -float(np.mean((blend - y[rows]) ** 2))
    if task == "regression" and metric.name == "mae":
        return predictions, lambda blend, rows: -float(np.mean(np.abs(blend - y[rows])))
    return predictions, lambda blend, rows: signed(metric, score_predictions(metric, task, y[rows], blend, n_classes))


def _auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """ROC-AUC by the rank-sum formula (ties averaged): the same number as scikit-learn's, ten
    times faster, which matters in a loop of hundreds of calls."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _stack_within_limits(pool, costs, latencies, limits: Limits) -> list[int]:
    chosen, cost, latency = [], 0.0, 0.0
    for i in range(len(pool)):
        if cost + costs[i] <= limits.refit_seconds and latency + latencies[i] <= limits.latency_ms:
            chosen.append(i)
            cost, latency = cost + costs[i], latency + latencies[i]
    return chosen


def _stacked(members, y, task, metric, n_classes, rows, parts, seed, shared_ms) -> CandidateResult:
    features = stack_features([m.oof for m in members], task)
    honest = np.full_like(members[0].oof, np.nan)
    for k, part in enumerate(parts):
        others = np.concatenate([p for i, p in enumerate(parts) if i != k])
        stacker = _stacker(task, seed).fit(features[others], y[others])
        honest[part] = predict_scores(stacker, features[part], task, n_classes)
    stacker = _stacker(task, seed).fit(features[rows], y[rows])
    weights = np.full(len(members), 1.0 / len(members))  # shown only; the stacker decides
    return _row("stacking", members, weights, stacker, honest, parts, y, task, metric, n_classes, shared_ms)


def _stacker(task: str, seed: int):
    if task == "regression":
        return Ridge(alpha=1.0, positive=True)
    return LogisticRegression(C=1.0, max_iter=1000)


def _own_latency(result: CandidateResult, shared_ms: float) -> float:
    """A member's latency without the part that the ensemble does once for all members."""
    return max(result.latency_ms - shared_ms, 0.0) if np.isfinite(result.latency_ms) else 0.0


def _row(name, members, weights, stacker, honest, parts, y, task, metric, n_classes, shared_ms) -> CandidateResult:
    rows = np.concatenate(parts)
    score = score_predictions(metric, task, y[rows], honest[rows], n_classes)
    part_scores = [score_predictions(metric, task, y[p], honest[p], n_classes) for p in parts]
    candidate = EnsembleCandidate(name, tuple(members), tuple(float(w) for w in weights), stacker)
    latency = shared_ms + sum(_own_latency(m, shared_ms) for m in members)
    return CandidateResult(candidate, "ok", score, part_scores,
                           fit_seconds=sum(m.fit_seconds for m in members),
                           predict_seconds=sum(m.predict_seconds for m in members),
                           rows_per_fold=members[0].rows_per_fold, oof=honest, latency_ms=latency)


def _pool(results: list[CandidateResult], metric: Metric) -> list[CandidateResult]:
    return ensemble_pool([r for r in results if r.oof is not None], metric, POOL_SIZE)


def _subsample(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rows if len(rows) <= SELECTION_ROWS else np.sort(rng.choice(rows, SELECTION_ROWS, replace=False))


def _flat(oof: np.ndarray) -> np.ndarray:
    return oof.reshape(len(oof), -1)
