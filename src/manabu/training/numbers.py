"""The numbers the report draws (``manabu.report``), taken at the end of training while the
data, the folds and the chosen model's out-of-fold predictions are at hand: the data's profile
(``manabu.data.profile``), the model's errors (``manabu.evaluate.diagnostics``), how it
learns (``manabu.evaluate.learning``) and which columns move its answers
(``manabu.evaluate.explain``; for images, saliency maps instead, and the images to show:
``manabu.evaluate.image_examples``; for molecules, their drawings and applicability domain:
``manabu.evaluate.molecules``). They are kept in the manifest, so the report can be drawn
again without the data."""
from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd

from manabu.training.config import TrainConfig
from manabu.data.profile import profile_data
from manabu.data.schema import ColumnType
from manabu.data.schema.blocks import EXPRESSION_BLOCK
from manabu.ensemble.selection import EnsembleCandidate
from manabu.evaluate.drift import reference
from manabu.evaluate.diagnostics import classification_diagnostics, regression_diagnostics
from manabu.ensemble.model import Ensemble
from manabu.evaluate.image_examples import image_numbers
from manabu.evaluate.explain import EXPLAIN_SECONDS, ensemble_contributions, model_contributions, ranked
from manabu.evaluate.learning import column_importance, dependence, learning_curve, measuring_seconds
from manabu.evaluate.metrics import signed
from manabu.evaluate.networks import training_curves
from manabu.evaluate.text import class_words
from manabu.features.images import has_images
from manabu.features.tokenize import tokenizer_of
from manabu.models.entry import fit_with_threads
from manabu.models.outputs import predict_scores
from manabu.search.crossval import score_predictions
from manabu.search.loop import SearchProblem

log = logging.getLogger(__name__)


def report_numbers(frame: pd.DataFrame, best, problem: SearchProblem, config: TrainConfig,
                   classes: list | None, *, learn: bool, model=None, deadline: float | None = None) -> dict:
    """What the report draws (``manabu.report``), taken while the data and the chosen model's
    out-of-fold predictions are at hand: the data's profile, the model's errors, how it learns.
    A part that fails is None, and the report says it is missing: it is not worth the model
    just trained. No learning curve and no words of the text after Ctrl-C: the user asked to stop.
    The learning curve and the SHAP values share what is left until ``deadline`` (time.monotonic(),
    the end of --time-limit less the drawing of the report), and are skipped, saying why, where
    they would pass it."""
    def guarded(make, *args):
        try:
            return make(*args)
        except Exception as error:
            log.warning("report: %s failed (%s: %s)", make.__name__, type(error).__name__, error)
            return None

    oof, task, y = getattr(best, "oof", None), problem.task, problem.y
    # SHAP values per pixel column (or per image file) say nothing a reader can see, and cost
    # thousands of predictions per image: on images, the saliency maps of "images" replace them
    images = has_images(problem.schema)
    before_words = deadline  # the text columns' words come after the learning curve and SHAP
    if deadline is not None:
        before_words -= text_words_seconds(len(problem.schema.of_type(ColumnType.TEXT)))
    diagnostics = None
    if oof is not None and task == "regression":
        diagnostics = guarded(regression_diagnostics, np.asarray(y, dtype=float), np.asarray(oof, dtype=float))
    elif oof is not None:
        diagnostics = guarded(classification_diagnostics, np.asarray(y), np.asarray(oof, dtype=float), list(classes or []))
    return {"profile": guarded(profile_data, frame, problem.schema, task), "diagnostics": diagnostics,
            "learning": guarded(_learning, best, problem, config, classes, _seconds(before_words, LEARNING_PART))
            if learn else None,
            "shap": (guarded(_shap, model, best, problem, _seconds(before_words, 1.0)) if not images
                     else {"model": best.candidate.name, "skipped_images": True})
            if model is not None and learn else None,
            "drift_reference": guarded(_drift_reference, problem, oof, classes),
            "text": guarded(_text, model, problem, oof, classes, deadline) if model is not None and learn else None,
            "network": guarded(training_curves, model, best.candidate.name) if model is not None else None,
            "images": guarded(image_numbers, problem.X, y, oof, [str(c) for c in classes] if classes else None,
                              problem.schema, model, best.candidate.name, problem.seed, learn, deadline),
            **(_molecules(guarded, model, problem, oof, classes, deadline)
               if problem.schema.of_type(ColumnType.SMILES) else {}),
            **(_expression(guarded, model, problem, classes, deadline)
               if problem.schema.in_block(EXPRESSION_BLOCK) else {})}


def _molecules(guarded, model, problem: SearchProblem, oof, classes: list | None, deadline: float | None) -> dict:
    """The molecule section's numbers (``evaluate.molecules``, skipped past ``deadline``)."""
    from manabu.evaluate.molecules import molecule_numbers

    names = problem.schema.of_type(ColumnType.SMILES)
    return {"molecules": guarded(molecule_numbers, problem.X, problem.y, oof, classes, names[0], _members(model),
                                 problem.folds, problem.seed, deadline)}


def _expression(guarded, model, problem: SearchProblem, classes: list | None, deadline: float | None) -> dict:
    """The expression section's numbers (``evaluate.expression``: the preparation, the genes per class)."""
    from manabu.evaluate.expression import expression_numbers

    return {"expression": guarded(expression_numbers, problem.X, problem.y, classes,
                                  problem.schema.in_block(EXPRESSION_BLOCK), _members(model), deadline)}


def _members(model) -> list[tuple[float, Any]]:
    """The chosen model's (weight, fitted pipeline) pairs: one for a single model."""
    if isinstance(model, Ensemble):
        return [(float(w), pipeline) for (_, pipeline), w in zip(model.members, model.weights)]
    return [(1.0, model)] if model is not None else []


def _seconds(deadline: float | None, part: float) -> float | None:
    """``part`` of the time left until ``deadline`` (None: no deadline)."""
    return None if deadline is None else max(0.0, part * (deadline - time.monotonic()))


# What follows the search within --time-limit, besides the refit: the report's measurements (the
# learning curve first, then SHAP in what is left), its charts and the save. The search ends this
# much before the limit (``after_search_seconds``).
AFTER_SEARCH_SHARE = 0.1     # of the limit, for the learning curve and the SHAP values
LEARNING_PART = 0.6          # of the time left for them, that the learning curve may take
# drawing the report and saving the folder: a fixed part (importing Matplotlib, cutting the
# Japanese font down to the page's characters, writing and checking the files: 3.9 s and 1.0 s
# for 4,000 rows of 6 columns, profiled, where 1.0 s was reserved and a 10 s limit took 11.8 s)
DRAW_SECONDS = 2.5
# of which the page's assembly (the embedded font cut to the page's characters: 0.4 s) and the
# save (skops' first import and the files: 0.7-1.2 s), measured for 4,000 rows of 6 columns; with
# another process on one of two cores, the command went on 2.5 s past this point (11.8-12.4 s for
# a 10 s limit): charts asked for later than this before the limit are left out
# (``charts.drawing_until``)
SAVE_SECONDS = 2.5
DRAW_SECONDS_PER_CHART = 0.15  # and one per chart (about one per feature, up to MAX_CHARTED)
MAX_CHARTED = 30


MAX_AFTER_SEARCH_SHARE = 0.5  # of the limit: a short one goes to the models first


# the words of each text column that push towards each class (``_text``): 3.1 s on chABSA's
# 3,215 sentences, taken after the learning curve and SHAP, which leave it this much
TEXT_WORDS_SECONDS = 3.0


def after_search_seconds(time_limit: float, n_features: int, draws: bool = True, n_text: int = 0,
                         images: bool = False) -> float:
    """What the search leaves, at its end, for the report's numbers (``n_text`` text columns'
    words among them, the saliency maps of ``images``), and for drawing it and saving the folder
    where the caller does (``draws``)."""
    wanted = AFTER_SEARCH_SHARE * time_limit + text_words_seconds(n_text) + draw_seconds(n_features, draws) \
        + (SALIENCY_SECONDS if images else 0.0)
    return min(wanted, MAX_AFTER_SEARCH_SHARE * time_limit)


def text_words_seconds(n_text: int) -> float:
    return TEXT_WORDS_SECONDS * min(n_text, MAX_TEXT_COLUMNS)


def draw_seconds(n_features: int, draws: bool = True) -> float:
    """About how long drawing the report and saving the model folder take (0 where neither is done)."""
    return DRAW_SECONDS + DRAW_SECONDS_PER_CHART * (min(n_features, MAX_CHARTED) + 8) if draws else 0.0


MAX_TEXT_COLUMNS = 3  # text columns whose words the report shows
# the saliency maps of a few images: 1.6 s on hymenoptera's photos, 3.8 s with captum's first import
SALIENCY_SECONDS = 3.0
EXAMPLE_CHARACTERS = 300  # of each example document shown


def _text(model, problem: SearchProblem, oof, classes: list | None, deadline: float | None = None) -> dict | None:
    """For each text column: the words that push towards each class (``evaluate.text``), and
    example out-of-fold predictions. Not begun past ``deadline`` (time.monotonic(), the end of
    the report's measurements; they take 3 s on chABSA), so a run that the reading and the
    search already took past its limit does not also pay for them: ``{"skipped": True}``."""
    names = problem.schema.of_type(ColumnType.TEXT)[:MAX_TEXT_COLUMNS]
    if not names:
        return None
    if deadline is not None and time.monotonic() >= deadline:
        return {"skipped": True}
    labels = [str(c) for c in classes] if classes else None
    X = problem.X

    def scorer_for(name: str):
        def score_rows(rows: list[int], texts: list[str]) -> np.ndarray:
            frame = X.iloc[rows].copy()
            frame[name] = np.asarray(texts, dtype=object)
            return _outputs(model, frame, problem.task)
        return score_rows

    columns = {}
    for name in names:
        tokenizer = tokenizer_of(problem.schema.column(name))
        columns[name] = {"tokenizer": tokenizer,
                         **class_words(X[name].tolist(), tokenizer, scorer_for(name), labels, problem.seed)}
    return {"columns": columns, "examples": _examples(X[names[0]], problem.y, oof, labels, problem.seed)}


def _outputs(model, rows: pd.DataFrame, task: str) -> np.ndarray:
    if task == "regression":
        return np.asarray(model.predict(rows), dtype=float).reshape(-1, 1)
    return np.asarray(model.predict_proba(rows), dtype=float)


EXAMPLES_PER_CLASS = 2


def _examples(texts: pd.Series, y: np.ndarray, oof, labels: list[str] | None, seed: int) -> list[dict]:
    """A few out-of-fold predictions to read: per class, its most confident right answer and its
    most confident mistake (for values: the closest and the farthest predictions)."""
    if oof is None:
        return []
    oof = np.asarray(oof, dtype=float)
    present = ~np.isnan(oof.reshape(len(y), -1)).any(axis=1)
    picked: list[tuple[int, str]] = []
    if labels is None:
        error = np.where(present, np.abs(oof.ravel() - y), np.nan)
        order = np.argsort(np.nan_to_num(error, nan=np.inf))
        picked = [(int(i), "close") for i in order[:2]] + [(int(i), "far") for i in order[present[order]][-2:]]
    else:
        probabilities = oof.reshape(len(y), -1)
        if probabilities.shape[1] == 1:  # binary out-of-fold scores: the second class's probability
            probabilities = np.column_stack([1 - probabilities[:, 0], probabilities[:, 0]])
        predicted = np.argmax(np.nan_to_num(probabilities, nan=-1.0), axis=1)
        confidence = probabilities.max(axis=1)
        for k in range(len(labels)):
            for right in (True, False):
                rows = np.flatnonzero(present & (y == k) & ((predicted == k) == right))
                if len(rows):
                    picked.append((int(rows[np.argmax(confidence[rows])]), "right" if right else "wrong"))
    out = []
    for i, kind in picked:
        text = texts.iloc[i] if isinstance(texts.iloc[i], str) else ""
        entry = {"text": text[:EXAMPLE_CHARACTERS] + ("…" if len(text) > EXAMPLE_CHARACTERS else ""), "kind": kind}
        if labels is None:
            entry.update(actual=float(y[i]), predicted=float(oof.ravel()[i]))
        else:
            row = probabilities[i]
            entry.update(actual=labels[int(y[i])], predicted=labels[int(np.argmax(row))],
                         probability=round(float(np.max(row)), 4))
        out.append(entry)
    return out


REFERENCE_ROWS = 100_000  # the training rows that the drift sketch is drawn from, at most


def _drift_reference(problem: SearchProblem, oof, classes: list | None) -> dict:
    """What ``manabu monitor`` compares new rows with (``manabu.evaluate.drift``)."""
    rows = np.arange(len(problem.y))
    if len(rows) > REFERENCE_ROWS:
        rows = np.sort(np.random.default_rng(problem.seed).choice(rows, REFERENCE_ROWS, replace=False))
    predictions = None
    if oof is not None:
        predictions = np.asarray(oof, dtype=float)[rows]
        predictions = predictions[~np.isnan(predictions.reshape(len(rows), -1)).any(axis=1)]
    return reference(problem.X.iloc[rows], problem.schema, predictions, classes)


# Without a deadline (numbers taken again for a saved model), the learning curve may take this
# long, or 5% of the limit; within a training run, its part of the time left (LEARNING_PART). It
# is skipped (the report says why) where it would take longer.
LEARNING_SECONDS = 5.0
LEARNING_SHARE = 0.05
TOP_DEPENDENCE = 3  # partial dependence of the most important columns
MIN_LEARNING_ROWS = 20  # validation rows below which a learning curve says nothing


def _learning(best, problem: SearchProblem, config: TrainConfig, classes: list | None,
              seconds: float | None = None) -> dict | None:
    """The report's learning curve, column importances and partial dependence of the top columns
    for the chosen model (an ensemble's heaviest member), measured on the first validation fold
    (``manabu.evaluate.learning``).
    About two fits of the model on a fold: skipped, with the reason, where that would be long."""
    chosen = best.candidate
    model = chosen.members[int(np.argmax(chosen.weights))] if isinstance(chosen, EnsembleCandidate) else best
    train, valid = problem.folds[0]
    if len(valid) < MIN_LEARNING_ROWS:  # leave-one-out and the like: one row scores nothing
        return None
    cost = measuring_seconds(model.fit_seconds, model.predict_seconds, len(train), len(valid),
                             len(problem.schema.features), TOP_DEPENDENCE)
    allowed = max(LEARNING_SECONDS, LEARNING_SHARE * config.time_limit) if seconds is None else seconds
    if cost > allowed:
        return {"model": model.candidate.name, "skipped_seconds": round(cost, 1)}

    def fit(X, y):
        pipeline, fit_params = model.candidate.build(problem.schema, problem.task, problem.seed, n_rows=len(y))
        return fit_with_threads(pipeline, X, y, **fit_params)

    def score(fitted, X, y):
        predicted = predict_scores(fitted, X, problem.task, problem.n_classes)
        return score_predictions(problem.metric, problem.task, y, predicted, problem.n_classes)

    sign = signed(problem.metric, 1.0)
    curve, fitted = learning_curve(fit, score, sign, problem.X, problem.y, train, valid, problem.seed)
    X_valid, y_valid = problem.X.iloc[valid], problem.y[valid]
    importance = column_importance(fitted, score, sign, X_valid, y_valid, problem.seed)
    types = {column.name: column.type for column in problem.schema.features}
    matrices = {column.name for column in problem.schema.features if column.n_genes}  # no value to vary alone
    drawable = [c for c in importance["columns"]
                if types.get(c) not in (ColumnType.DATETIME, ColumnType.TEXT) and c not in matrices]
    categorical = {c for c in drawable if types[c] not in (ColumnType.NUMERIC,)}
    return {"model": model.candidate.name, "metric": problem.metric.name, "curve": curve, "importance": importance,
            "dependence": dependence(fitted, X_valid, drawable[:TOP_DEPENDENCE], categorical,
                                     [str(c) for c in classes] if classes else None, problem.seed)}


def _shap(model, best, problem: SearchProblem, seconds: float | None = None) -> dict | None:
    """Mean |SHAP| per data column of the model kept (refit on all rows), whatever it is
    (``manabu.evaluate.explain``): an averaging ensemble through its members, weighted as it
    weighs them; a stacked one, whose stacker is not a weighted mean, as a whole."""
    def predict(pipeline):
        return lambda rows: predict_scores(pipeline, rows, problem.task, problem.n_classes)

    budget = {} if seconds is None else {"seconds": min(EXPLAIN_SECONDS, seconds)}
    if isinstance(model, Ensemble) and model.stacker is None:
        members = [(name, pipeline, predict(pipeline)) for name, pipeline in model.members]
        result = ensemble_contributions(members, model.weights, problem.X, problem.seed, **budget)
    else:
        unit = "value" if problem.task == "regression" else "probability"
        result = model_contributions(model, problem.X, predict(model), problem.seed, unit=unit, **budget)
    return None if result is None else {"model": best.candidate.name, **ranked(result)}
