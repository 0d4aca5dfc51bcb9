"""Out-of-fold evaluation of one candidate: every score is on rows the model did not see."""
from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from manabu.data.schema import Schema
from manabu.evaluate.metrics import Metric
from manabu.features.tokenize import analysis_seconds, words_forgotten
from manabu.models.entry import DeadlineExceeded, fit_with_threads, stopped_at_deadline
from manabu.models.outputs import predict_scores
from manabu.search.budget import refit_in_folds
from manabu.search.candidate import Candidate

Folds = list[tuple[np.ndarray, np.ndarray]]
# a fold's prediction, as a share of its fit: 2,000 trees predicting 195,000 rows took 9.5 s
# after a 44.5 s fit
PREDICT_ALLOWANCE = 0.2


class Pruned(Exception):
    """The candidate's first folds scored too low among its peers to be worth finishing."""

    def __init__(self, fold_scores: list[float], fold_seconds: float) -> None:
        super().__init__(fold_scores)
        self.fold_scores = fold_scores
        self.fold_seconds = fold_seconds


class OutOfTime(Exception):
    """The candidate would not finish before the deadline; its partial work is dropped.

    ``fold_seconds`` is what one fold took (or had taken when it was stopped), so that the
    search learns the family's cost even from a candidate that did not finish."""

    def __init__(self, fold_seconds: float) -> None:
        super().__init__(fold_seconds)
        self.fold_seconds = fold_seconds


@dataclass
class CandidateResult:
    candidate: Candidate
    status: str                      # "ok", "failed", "out_of_time" or "pruned"
    score: float = float("nan")      # the metric on all out-of-fold predictions together
    fold_scores: list[float] = field(default_factory=list)
    fit_seconds: float = 0.0         # mean per fold
    predict_seconds: float = 0.0     # mean per fold
    rows_per_fold: int = 0
    latency_ms: float = float("nan")  # one row through the fitted pipeline, median of a few calls
    eligible: bool = True            # False when it missed --max-latency-ms: shown, never chosen
    oof: np.ndarray | None = None    # out-of-fold predictions (probabilities for classification)
    error: str | None = None
    # a fold's model ended at its share of the time with what it had built (``keeps_partial``)
    stopped_at_deadline: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def choosable(self) -> bool:
        """Finished with a score, and fast enough to be chosen."""
        return self.ok and self.eligible and bool(np.isfinite(self.score))

    @property
    def score_std(self) -> float:
        finite = [s for s in self.fold_scores if np.isfinite(s)]
        return float(np.std(finite)) if len(finite) > 1 else float("nan")

    @property
    def score_mean(self) -> float:
        finite = [s for s in self.fold_scores if np.isfinite(s)]
        return float(np.mean(finite)) if finite else self.score


def cross_validate(candidate: Candidate, X: pd.DataFrame, y: np.ndarray, folds: Folds, *,
                   schema: Schema, task: str, metric: Metric, n_classes: int, seed: int,
                   deadline: float, should_stop: Callable[[int, float], bool] | None = None) -> CandidateResult:
    """Fit on each training fold, predict its validation fold, score the whole.

    A family that keeps what it built when stopped (``ModelEntry.keeps_partial``: the boosting
    families) gets an equal share of the time left per fold, and is scored on the trees each fold
    built in its share. Its refit on all rows, should it be chosen, counts as one more fold (in
    proportion to the rows): with no other model yet to reserve a refit for, a LightGBM cut at
    ``deadline`` otherwise left nothing for its own refit (a run with an 8 s limit took 12.4 s).
    Each fold's share leaves PREDICT_ALLOWANCE of it for predicting the validation rows.
    Any other gives up (``OutOfTime``) as soon as the folds left would end
    past ``deadline``. Stops (``Pruned``) when ``should_stop(fold_index, fold_score)`` says the
    candidate is not promising.
    """
    classification = task != "regression"
    oof = np.full((len(y), n_classes) if classification else len(y), np.nan)
    covered = np.zeros(len(y), dtype=bool)
    fold_scores, fit_times, predict_times = [], [], []
    cut = False
    trained_rows = []
    for i, (train, valid) in enumerate(folds):
        fold_deadline = deadline
        if candidate.entry.keeps_partial:  # the folds left (fit, then predict), and its refit after them
            shares = (len(folds) - i) * (1 + PREDICT_ALLOWANCE) + refit_in_folds(len(y), len(train))
            fold_deadline = time.monotonic() + max(0.0, deadline - time.monotonic()) / shares
        elif i:
            per_fold = float(np.mean(fit_times) + np.mean(predict_times))
            if time.monotonic() + (len(folds) - i) * per_fold > deadline:
                raise OutOfTime(per_fold)
        train = candidate.rows_of(train, seed + i)  # all of them, or its sample of them
        trained_rows.append(len(train))
        pipeline = None  # the last fold's model goes before the next one grows: a forest is 100 MB
        pipeline, fit_params = candidate.build(schema, task, seed, n_rows=len(train), deadline=fold_deadline)
        start, analysed = time.monotonic(), analysis_seconds()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter; the score tells the story
            try:
                fit_with_threads(pipeline, X.iloc[train], y[train], **fit_params)
            except DeadlineExceeded:
                raise OutOfTime(time.monotonic() - start) from None
            fit_times.append(time.monotonic() - start - analysis_not_repeated(analysed))
            cut = cut or stopped_at_deadline(pipeline)
            start, analysed = time.monotonic(), analysis_seconds()
            predicted = predict_scores(pipeline, X.iloc[valid], task, n_classes)
        predict_times.append(time.monotonic() - start - analysis_not_repeated(analysed))
        oof[valid] = predicted
        covered[valid] = True
        fold_scores.append(score_predictions(metric, task, y[valid], predicted, n_classes))
        if should_stop is not None and should_stop(i, fold_scores[-1]):
            raise Pruned(fold_scores, float(np.mean(fit_times) + np.mean(predict_times)))
    score = score_predictions(metric, task, y[covered], oof[covered], n_classes)
    return CandidateResult(candidate, "ok", score, fold_scores, fit_seconds=float(np.mean(fit_times)),
                           predict_seconds=float(np.mean(predict_times)),
                           rows_per_fold=int(np.mean(trained_rows)), oof=oof,
                           latency_ms=single_row_latency(pipeline, X.iloc[valid[:1]], task, n_classes),
                           stopped_at_deadline=cut)


def analysis_not_repeated(analysed_before: float) -> float:
    """The seconds since ``analysed_before`` spent analysing texts into words, which the later
    folds and the refit do not spend again (the words are remembered), so that a fold's time
    says what the next one will take. On chABSA the first fold of the first candidate analysed
    every sentence (1.2 s of its 3.1 s), and the candidate gave up, wrongly sure that its other
    four folds would each take as long."""
    return 0.0 if words_forgotten() else max(0.0, analysis_seconds() - analysed_before)


LATENCY_CALLS = 5


def single_row_latency(pipeline, row: pd.DataFrame, task: str, n_classes: int) -> float:
    """Milliseconds for the model's part of one prediction, as a saved model will answer one
    row: through its row path (``manabu.inference``) where the pipeline compiles to one, else
    through the pipeline. The median of a few calls after a warm-up.

    The row path is compiled here but not verified (verification costs more than the search
    can spend per candidate); the saved model verifies it before first use, and a pipeline
    that fails there answers through the original, slower way."""
    answer = _row_path_call(pipeline, row, task)
    if answer is None:
        answer = lambda: predict_scores(pipeline, row, task, n_classes)  # noqa: E731
    return median_ms(answer)


def median_ms(call: Callable[[], object]) -> float:
    """Milliseconds that ``call`` takes: the median of LATENCY_CALLS calls after a warm-up."""
    call()
    timings = []
    for _ in range(LATENCY_CALLS):
        start = time.perf_counter()
        call()
        timings.append(time.perf_counter() - start)
    return float(np.median(timings) * 1000.0)


def _row_path_call(pipeline, row: pd.DataFrame, task: str) -> Callable[[], object] | None:
    """One call of the compiled row path on ``row`` (prepared), or None where there is none."""
    from manabu.inference import NotCovered, Unsupported, compile_row_path

    values = {name: row[name].to_numpy() for name in row.columns}
    try:
        path = compile_row_path(pipeline, classifier=task != "regression")
        method = path.predict if task == "regression" else path.predict_proba
        method(values, 1)
    except (Unsupported, NotCovered):
        return None
    return lambda: method(values, 1)


def score_predictions(metric: Metric, task: str, y_true: np.ndarray, predicted: np.ndarray, n_classes: int) -> float:
    if task == "regression":
        return metric.score(y_true, y_pred=predicted, task=task)
    return metric.score(y_true, y_pred=predicted.argmax(axis=1), proba=predicted,
                        classes=list(range(n_classes)), task=task)
