"""Diagnostics: a model's out-of-fold predictions turned into the few numbers a report draws.

The HTML report is rebuilt later from these numbers alone, so every function here returns plain
JSON (``json.dumps(..., allow_nan=False)`` works): str, int, finite float, bool, None, list and
dict. A number that cannot be defined on the rows given (ROC-AUC when ``y`` holds one class, R²
of a constant target) is ``None`` rather than NaN or an error, because a report of a weak or odd
model is exactly when a learner needs the rest of it.

Every score comes from ``sklearn.metrics`` (and ``sklearn.calibration``), so the report says what
scikit-learn would say. Curves are thinned to a few hundred points: enough to draw, small enough
to store.

Conventions, as in ``manabu.evaluate.metrics``: ``y`` holds integer codes ``0..k-1`` into
``classes``; ``proba`` is ``(n, k)`` with columns in the same order; the positive class of a
binary task is code 1; class predictions are the argmax of ``proba``. Rows whose ``y`` or any
probability is missing (out-of-fold predictions may not cover every row) are left out, and
``n_rows`` says how many were used.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from manabu.base.jsonable import to_jsonable
from manabu.evaluate.metrics import BINARY, MULTICLASS

CALIBRATION_BINS = 10
BIAS_BINS = 10
TOP_RESIDUALS = 5
# Quantile calibration bins need a few rows each to mean anything; below this, bins are uniform.
QUANTILE_MIN_ROWS_PER_BIN = 10

CLASSIFICATION_KEYS = ("confusion", "report", "roc", "pr", "calibration", "threshold")
REGRESSION_KEYS = ("points", "residuals", "summary", "by_predicted")


# --- shared helpers -------------------------------------------------------------------------


@contextmanager
def _quiet() -> Iterator[None]:
    """Keep scikit-learn's and numpy's warnings about undefined scores out of the caller's log:
    the undefined score is already reported as None."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _even_indices(length: int, max_points: int, keep: Sequence[int] = ()) -> np.ndarray:
    """Indices of at most ``max_points`` points spread evenly along a curve of ``length`` points,
    always with the first and last (where a curve starts and ends).

    Each index in ``keep`` (a point the report marks, such as the best threshold) takes the
    place of its nearest interior point, so the count and the spacing stay as they were."""
    if length <= max_points:
        return np.arange(length)
    # length > max_points, so the rounded points are distinct.
    index = np.round(np.linspace(0, length - 1, max_points)).astype(int)
    for point in keep:
        if index.size > 2 and 0 < point < length - 1 and point not in index:
            index[1 + int(np.argmin(np.abs(index[1:-1] - point)))] = point
    return np.unique(index)


def _thin(arrays: dict[str, np.ndarray], max_points: int,
          keep: Sequence[int] = ()) -> dict[str, list]:
    """The same evenly spaced points of several aligned arrays (the x and y of one curve)."""
    length = len(next(iter(arrays.values())))
    index = _even_indices(length, max_points, keep)
    return {name: np.asarray(values)[index].tolist() for name, values in arrays.items()}


# --- classification -------------------------------------------------------------------------


def _classification_rows(y: Any, proba: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows with a known class and every probability known, as int codes and floats.

    Probabilities are clipped to [0, 1]: a model's rounding (1.0000000002) would otherwise make
    scikit-learn refuse the whole calibration curve."""
    y = np.asarray(y, dtype=float).ravel()
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or proba.shape != (y.size, k):
        raise ValueError(f"proba must have shape ({y.size}, {k}), not {proba.shape}")
    keep = np.isfinite(y) & np.isfinite(proba).all(axis=1)
    y, proba = y[keep], proba[keep]
    if np.any((y != np.round(y)) | (y < 0) | (y >= k)):
        raise ValueError(f"y must hold integer class codes 0..{k - 1}")
    return y.astype(int), np.clip(proba, 0.0, 1.0)


def _confusion(y: np.ndarray, predicted: np.ndarray, names: list[str]) -> dict:
    """Rows are the actual class, columns the predicted one, for every class even if never
    predicted, so the table has the same shape whatever the model did."""
    matrix = skm.confusion_matrix(y, predicted, labels=list(range(len(names))))
    return {"labels": names, "matrix": matrix.tolist()}


def _rename_scores(scores: dict) -> dict:
    """One row of classification_report, named as the report names it."""
    return {
        "precision": scores["precision"],
        "recall": scores["recall"],
        "f1": scores["f1-score"],
        "support": int(scores["support"]),
    }


def _class_report(y: np.ndarray, predicted: np.ndarray, names: list[str]) -> dict:
    """Precision, recall and F1 per class and averaged (zero_division=0: a class the model never
    predicts has precision 0, as in scikit-learn)."""
    raw = skm.classification_report(
        y, predicted, labels=list(range(len(names))), target_names=names,
        output_dict=True, zero_division=0,
    )
    report: dict[str, Any] = {name: _rename_scores(raw[name]) for name in names}
    # With every class listed, micro average = accuracy; scikit-learn names it so.
    report["accuracy"] = raw.get("accuracy", raw.get("micro avg", {}).get("f1-score"))
    for average in ("macro avg", "weighted avg"):
        report[average] = _rename_scores(raw[average])
    return report


def _auc(truth: np.ndarray, score: np.ndarray) -> float | None:
    """ROC-AUC, or None when the rows hold only one of the two sides (it is undefined)."""
    if truth.all() or not truth.any():
        return None
    return float(skm.roc_auc_score(truth, score))


def _roc(truth: np.ndarray, score: np.ndarray, max_points: int) -> dict:
    """One ROC curve and its AUC; all None when the AUC is undefined."""
    auc = _auc(truth, score)
    if auc is None:
        return {"fpr": None, "tpr": None, "auc": None}
    fpr, tpr, _ = skm.roc_curve(truth, score)
    return {**_thin({"fpr": fpr, "tpr": tpr}, max_points), "auc": auc}


def _pr(truth: np.ndarray, score: np.ndarray, max_points: int) -> dict:
    """One precision-recall curve and its average precision; None when no row is positive
    (recall is undefined). The base rate is the precision of guessing at random."""
    base_rate = float(truth.mean())
    if not truth.any():
        return {"recall": None, "precision": None, "average_precision": None,
                "base_rate": base_rate}
    precision, recall, _ = skm.precision_recall_curve(truth, score)
    curve = _thin({"recall": recall, "precision": precision}, max_points)
    return {**curve, "average_precision": float(skm.average_precision_score(truth, score)),
            "base_rate": base_rate}


def _curve_classes(y: np.ndarray, k: int, max_curve_classes: int) -> list[int]:
    """The most frequent classes (ties by code), in code order: a chart of 26 curves is
    unreadable, and the frequent classes are the ones the score is mostly about."""
    counts = np.bincount(y, minlength=k)
    by_frequency = np.argsort(-counts, kind="stable")
    return sorted(int(c) for c in by_frequency[:max(max_curve_classes, 0)])


def _multiclass_curves(y: np.ndarray, proba: np.ndarray, names: list[str], max_points: int,
                       max_curve_classes: int) -> tuple[dict, dict]:
    """One-vs-rest ROC and PR curves for the chosen classes; the macro AUC averages the
    one-vs-rest AUC of every class that has one (all classes, not only those drawn)."""
    chosen = _curve_classes(y, len(names), max_curve_classes)
    roc_curves = [{"class": names[c], **_roc(y == c, proba[:, c], max_points)} for c in chosen]
    pr_curves = [{"class": names[c], **_pr(y == c, proba[:, c], max_points)} for c in chosen]
    aucs = [_auc(y == c, proba[:, c]) for c in range(len(names))]
    defined = [auc for auc in aucs if auc is not None]
    macro_auc = float(np.mean(defined)) if defined else None
    return {"curves": roc_curves, "macro_auc": macro_auc}, {"curves": pr_curves}


def _calibration_strategy(n_rows: int) -> str:
    """Quantile bins hold equal numbers of rows (every bin means something) but need enough
    rows; with few rows, uniform bins over [0, 1] are steadier."""
    return "quantile" if n_rows >= CALIBRATION_BINS * QUANTILE_MIN_ROWS_PER_BIN else "uniform"


def _bin_counts(score: np.ndarray, strategy: str) -> np.ndarray:
    """Rows per non-empty bin, binned exactly as sklearn.calibration.calibration_curve bins
    (it returns the means but not how many rows stand behind each)."""
    if strategy == "quantile":
        edges = np.percentile(score, np.linspace(0, 1, CALIBRATION_BINS + 1) * 100)
    else:
        edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], score), minlength=CALIBRATION_BINS)
    return counts[counts != 0]


def _calibration(truth: np.ndarray, score: np.ndarray, brier: float | None) -> dict:
    """Predicted probability against how often it came true, per bin, with the rows in each bin
    (a bin of 3 rows should be read with care) and the Brier score."""
    strategy = _calibration_strategy(truth.size)
    fraction, mean_predicted = calibration_curve(
        truth.astype(int), score, n_bins=CALIBRATION_BINS, strategy=strategy, pos_label=1
    )
    counts = _bin_counts(score, strategy)
    return {"mean_predicted": mean_predicted.tolist(), "fraction_positive": fraction.tolist(),
            "counts": counts.tolist(), "brier": brier, "strategy": strategy}


def _top_label_calibration(y: np.ndarray, proba: np.ndarray) -> dict:
    """Multiclass calibration as one curve: the confidence of the predicted class against
    whether it was right. The Brier score is the multiclass one (sum over classes, in [0, 2])."""
    correct = proba.argmax(axis=1) == y
    brier = skm.brier_score_loss(y, proba, labels=list(range(proba.shape[1])))
    return _calibration(correct, proba.max(axis=1), float(brier))


def _threshold(truth: np.ndarray, score: np.ndarray, max_points: int) -> dict | None:
    """Precision, recall and F1 at every cut-off, and the cut-off with the best F1: 0.5 is only
    a convention, and a learner should see what moving it would do. None with no positives."""
    if not truth.any():
        return None
    precision, recall, thresholds = skm.precision_recall_curve(truth, score)
    precision, recall = precision[:-1], recall[:-1]  # the last point has no threshold
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(total), where=total > 0)
    best = int(np.argmax(f1))
    curve = _thin({"thresholds": thresholds, "precision": precision, "recall": recall, "f1": f1},
                  max_points, keep=[best])
    at_half = skm.f1_score(truth, score >= 0.5, zero_division=0)
    return {**curve, "best_f1_threshold": float(thresholds[best]), "best_f1": float(f1[best]),
            "f1_at_half": float(at_half)}


def _binary_sections(y: np.ndarray, proba: np.ndarray, max_points: int) -> dict:
    """ROC, PR, calibration and threshold sections for the positive class (code 1)."""
    truth, score = y == 1, proba[:, 1]
    brier = float(skm.brier_score_loss(truth.astype(int), score, pos_label=1))
    return {
        "roc": _roc(truth, score, max_points),
        "pr": _pr(truth, score, max_points),
        "calibration": _calibration(truth, score, brier),
        "threshold": _threshold(truth, score, max_points),
    }


def classification_diagnostics(y: np.ndarray, proba: np.ndarray, classes: list, *,
                               max_points: int = 200, max_curve_classes: int = 10) -> dict:
    """Confusion matrix, per-class report, ROC, PR, calibration and (binary) threshold curves
    from out-of-fold class codes ``y`` and probabilities ``proba`` (columns follow ``classes``).

    Returns plain JSON; with no usable row, every section is None and ``n_rows`` is 0.
    """
    names = [str(label) for label in classes]
    if len(names) < 2:
        raise ValueError("a classification needs at least two classes")
    max_points = max(int(max_points), 2)
    task = BINARY if len(names) == 2 else MULTICLASS
    y, proba = _classification_rows(y, proba, len(names))
    result: dict[str, Any] = {"task": task, "classes": names, "n_rows": int(y.size)}
    if y.size == 0:
        return to_jsonable({**result, **dict.fromkeys(CLASSIFICATION_KEYS)})
    with _quiet():
        predicted = proba.argmax(axis=1)
        result["confusion"] = _confusion(y, predicted, names)
        result["report"] = _class_report(y, predicted, names)
        if task == BINARY:
            result.update(_binary_sections(y, proba, max_points))
        else:
            result["roc"], result["pr"] = _multiclass_curves(y, proba, names, max_points,
                                                             max_curve_classes)
            result["calibration"] = _top_label_calibration(y, proba)
            result["threshold"] = None
    return to_jsonable(result)


# --- regression -----------------------------------------------------------------------------


def _regression_rows(y: Any, predicted: Any) -> tuple[np.ndarray, np.ndarray]:
    """The rows where both the target and the prediction are known."""
    y = np.asarray(y, dtype=float).ravel()
    predicted = np.asarray(predicted, dtype=float).ravel()
    if y.shape != predicted.shape:
        raise ValueError(f"y has {y.size} rows but predicted has {predicted.size}")
    keep = np.isfinite(y) & np.isfinite(predicted)
    return y[keep], predicted[keep]


def _sample_points(y: np.ndarray, predicted: np.ndarray, max_points: int, seed: int) -> dict:
    """A seeded sample for the actual-vs-predicted scatter, always with the worst misses: those
    are the points a learner should look at, and a random sample could drop them."""
    residual = np.abs(y - predicted)
    worst = np.argsort(-residual, kind="stable")[:min(TOP_RESIDUALS, max_points)]
    if y.size <= max_points:
        index = np.arange(y.size)
    else:
        rest = np.setdiff1d(np.arange(y.size), worst)
        drawn = np.random.default_rng(seed).choice(rest, max_points - worst.size, replace=False)
        index = np.union1d(worst, drawn)
    return {"actual": y[index].tolist(), "predicted": predicted[index].tolist()}


def _residual_histogram(residual: np.ndarray, bins: int) -> dict:
    """Histogram of actual − predicted over every row: its centre shows bias, its tails the
    size of the worst errors."""
    counts, edges = np.histogram(residual, bins=max(int(bins), 1))
    return {"edges": edges.tolist(), "counts": counts.tolist()}


def _regression_summary(y: np.ndarray, predicted: np.ndarray) -> dict:
    """The usual scores; R² is None when it is undefined (a constant target, or one row), where
    scikit-learn would answer 0, 1 or NaN."""
    constant = y.size < 2 or bool(np.all(y == y[0]))
    return {
        "rmse": float(skm.root_mean_squared_error(y, predicted)),
        "mae": float(skm.mean_absolute_error(y, predicted)),
        "r2": None if constant else float(skm.r2_score(y, predicted)),
        "mean_residual": float(np.mean(y - predicted)),
        "median_absolute_error": float(skm.median_absolute_error(y, predicted)),
    }


def _by_predicted(predicted: np.ndarray, residual: np.ndarray) -> dict:
    """Residual mean and spread in quantile bins of the prediction: a mean away from zero in a
    bin shows where the model is biased (e.g. it under-predicts large values)."""
    edges = np.unique(np.quantile(predicted, np.linspace(0, 1, BIAS_BINS + 1)))
    bin_of = np.searchsorted(edges[1:-1], predicted, side="right")
    groups = [bin_of == b for b in range(max(edges.size - 1, 1))]
    groups = [g for g in groups if g.any()]
    return {
        "centers": [float(predicted[g].mean()) for g in groups],
        "mean": [float(residual[g].mean()) for g in groups],
        "std": [float(residual[g].std()) for g in groups],
        "counts": [int(g.sum()) for g in groups],
    }


def regression_diagnostics(y: np.ndarray, predicted: np.ndarray, *, max_points: int = 2000,
                           bins: int = 30, seed: int = 0) -> dict:
    """Scatter sample, residual histogram, summary scores and bias by predicted value from
    out-of-fold predictions.

    Returns plain JSON; with no usable row, every section is None and ``n_rows`` is 0.
    """
    y, predicted = _regression_rows(y, predicted)
    result: dict[str, Any] = {"n_rows": int(y.size)}
    if y.size == 0:
        return to_jsonable({**result, **dict.fromkeys(REGRESSION_KEYS)})
    residual = y - predicted
    with _quiet():
        result["points"] = _sample_points(y, predicted, max(int(max_points), 1), seed)
        result["residuals"] = _residual_histogram(residual, bins)
        result["summary"] = _regression_summary(y, predicted)
        result["by_predicted"] = _by_predicted(predicted, residual)
    return to_jsonable(result)
