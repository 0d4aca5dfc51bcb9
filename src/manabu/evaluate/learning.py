"""How the chosen model learns: a learning curve with a verdict, and which columns it relies on.

Both are measured on one validation fold with a model fitted on the rest, so the scores are
out of sample like the leaderboard's: the learning curve refits the model on growing shares of
the training fold and scores each on the rows it learnt from and on the validation rows; the
importance of a column is how much the validation score drops when that column's values are
shuffled (scikit-learn's ``permutation_importance`` on the whole pipeline, so importances are
per column of the data as the user knows it, not per encoded feature); the partial dependence
of a column is the model's mean answer as that column alone is set to each value of a grid
(scikit-learn's ``partial_dependence``, on the whole pipeline too).
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import partial_dependence, permutation_importance

from manabu.base.jsonable import to_jsonable

SHARES = (0.1, 0.25, 0.5, 1.0)  # of the training fold; the last refit is the fold's own model
MAX_IMPORTANCE_ROWS = 2000      # validation rows shuffled per column: enough to rank columns
REPEATS = 3
DEPENDENCE_ROWS = 500           # rows averaged over at each grid value
DEPENDENCE_GRID = 20
MAX_DEPENDENCE_LEVELS = 12
MAX_DEPENDENCE_OUTPUTS = 5      # classes drawn for a multiclass model
GAP_TOO_WIDE = 0.1              # train above validation by this share of the validation score
STILL_RISING = 0.01             # the last doubling of rows raised validation by this share

Score = Callable[[Any, pd.DataFrame, np.ndarray], float]  # (fitted, X, y) -> the metric


def measuring_seconds(fit_seconds: float, predict_seconds: float, n_train: int, n_valid: int, n_columns: int,
                      n_dependence: int) -> float:
    """About how long ``learning_curve``, ``column_importance`` and ``dependence`` of
    ``n_dependence`` columns take, from one fold's fit and predict seconds (``predict_seconds``
    for ``n_valid`` rows): the fits on each share, the scores of each share's own rows and of the
    validation rows, the shuffled columns, the partial dependence's grid. Counting the fits and
    the shuffles alone, it had said 0.6 s where they took 1.0-1.5 s."""
    per_row = predict_seconds / max(n_valid, 1)
    scoring = sum(SHARES) * n_train * per_row + len(SHARES) * predict_seconds
    shuffles = REPEATS * n_columns * min(n_valid, MAX_IMPORTANCE_ROWS) * per_row
    grid = n_dependence * DEPENDENCE_GRID * min(n_valid, DEPENDENCE_ROWS) * per_row
    return sum(SHARES) * fit_seconds + scoring + shuffles + grid


def learning_curve(fit: Callable[[pd.DataFrame, np.ndarray], Any], score: Score, sign: float, X: pd.DataFrame,
                   y: np.ndarray, train: np.ndarray, valid: np.ndarray, seed: int) -> tuple[dict[str, Any], Any]:
    """Scores of models fitted on growing shares of ``train``, and the model fitted on all of it
    (for ``column_importance``). ``sign`` is 1 where a higher score is better, -1 where lower
    is. Shares too small to hold every class are left out."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(train)
    n_classes = len(np.unique(y[train])) if y.dtype.kind in "iub" else None  # class codes, or numbers
    rows, train_scores, valid_scores, model = [], [], [], None
    for share in SHARES:
        part = order[:max(int(round(share * len(order))), 2)]
        if share < 1.0 and n_classes is not None and len(np.unique(y[part])) < n_classes:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model = fit(X.iloc[part], y[part])
                scores = score(model, X.iloc[part], y[part]), score(model, X.iloc[valid], y[valid])
            except Exception:
                if share < 1.0:  # too few rows for this model (kNN asking for more neighbours, say)
                    continue
                raise
        train_scores.append(scores[0])
        valid_scores.append(scores[1])
        rows.append(int(len(part)))
    curve = {"rows": rows, "train": to_jsonable(train_scores), "valid": to_jsonable(valid_scores)}
    curve["verdict"] = verdict([sign * v for v in train_scores], [sign * v for v in valid_scores])
    return curve, model


def verdict(train_scores: list[float], valid_scores: list[float]) -> str | None:
    """``overfit``, ``more_data``, ``plateau`` or None (too few points to say).

    Scores are higher-is-better. Overfitting: the model does much better on the rows it learnt
    from than on new ones. More data: the validation score was still climbing over the last
    doubling of rows. Plateau: neither; more rows of the same kind will not help much, a
    different model or better features might."""
    if len(valid_scores) < 2 or not np.all(np.isfinite(train_scores + valid_scores)):
        return None
    scale = max(abs(valid_scores[-1]), 1e-12)
    rising = (valid_scores[-1] - valid_scores[-2]) / scale > STILL_RISING
    if (train_scores[-1] - valid_scores[-1]) / scale > GAP_TOO_WIDE:
        return "overfit_more_data" if rising else "overfit"
    return "more_data" if rising else "plateau"


def column_importance(model: Any, score: Score, sign: float, X_valid: pd.DataFrame, y_valid: np.ndarray,
                      seed: int, top: int = 20) -> dict[str, Any]:
    """How much worse the validation score gets when each column is shuffled (in the metric's
    units, positive: the column helps), the largest first."""
    keep = _at_most(len(X_valid), MAX_IMPORTANCE_ROWS, seed)
    X_valid, y_valid = X_valid.iloc[keep], y_valid[keep]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = permutation_importance(model, X_valid, y_valid, scoring=lambda m, X, y: sign * score(m, X, y),
                                        n_repeats=REPEATS,
                                        random_state=seed, n_jobs=1)
    order = np.argsort(-result.importances_mean)[:top]
    return {"columns": [str(X_valid.columns[i]) for i in order],
            "mean": to_jsonable(result.importances_mean[order]), "std": to_jsonable(result.importances_std[order]),
            "rows": int(len(X_valid)), "repeats": REPEATS}


def dependence(model: Any, X: pd.DataFrame, columns: list[str], categorical: set[str], classes: list[str] | None,
               seed: int) -> list[dict[str, Any]]:
    """The partial dependence of the model's answer (the positive class's probability, each
    class's for several, or the value) on each of ``columns``: numeric ones over a grid of
    their percentiles, ``categorical`` ones over their values."""
    X = X.iloc[_at_most(len(X), DEPENDENCE_ROWS, seed)]
    out = []
    for column in columns:
        is_categorical = column in categorical
        if is_categorical:  # the most frequent values: a column of a thousand codes draws as a dozen bars
            frequent = X[column].dropna().value_counts().index[:MAX_DEPENDENCE_LEVELS]
            if len(frequent) == 0:
                continue
            custom = {column: np.asarray(list(frequent), dtype=object)}
        else:  # percentiles of the values present: missing ones would make the grid NaN
            present = pd.to_numeric(X[column], errors="coerce").to_numpy(dtype=float)
            present = present[np.isfinite(present)]
            if len(present) == 0:
                continue
            custom = {column: np.unique(np.percentile(present, np.linspace(5, 95, DEPENDENCE_GRID)))}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = partial_dependence(model, X, [column], categorical_features=[column] if is_categorical else None,
                                        custom_values=custom, kind="average")
        average = np.asarray(result["average"], dtype=float)
        outputs = None
        if classes is not None and len(classes) > 2:  # one row per class
            outputs = [str(c) for c in classes][:MAX_DEPENDENCE_OUTPUTS]
            average = average[:MAX_DEPENDENCE_OUTPUTS]
        grid = result["grid_values"][0]
        out.append({"column": column, "categorical": is_categorical,
                    "grid": [str(v) for v in grid] if is_categorical else to_jsonable(np.asarray(grid, dtype=float)),
                    "average": to_jsonable(average), "outputs": outputs})
    return out


def _at_most(n_rows: int, limit: int, seed: int) -> np.ndarray:
    """Sorted positions of a seeded sample of ``limit`` of ``n_rows`` rows (all of them if fewer)."""
    if n_rows <= limit:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, limit, replace=False))


def tree_contributions(model: Any, X: pd.DataFrame, seed: int, top: int = 20,
                       seconds: float | None = None) -> dict[str, Any] | None:
    """Mean absolute SHAP value per data column (summed over the columns the preprocessing made
    of it, and over classes), from the boosting library's own TreeSHAP (LightGBM, XGBoost,
    CatBoost); None for other models. ``seconds``: explain as many rows as fit in about that
    time (``_timed_contributions``)."""
    steps = getattr(model, "steps", None)
    if not steps or len(steps) != 2:
        return None
    (_, preprocess), (_, estimator) = steps
    estimator = getattr(estimator, "regressor_", estimator)  # a target transformed for the fit
    if not _has_tree_shap(estimator):  # before the matrix: a text model's would be vast, or words
        return None
    rows = np.random.default_rng(seed).permutation(_at_most(len(X), MAX_IMPORTANCE_ROWS, seed))
    matrix = preprocess.transform(X.iloc[rows])
    matrix = matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix, dtype=float)
    contributions = _timed_contributions(estimator, matrix, seconds)
    if contributions is None:
        return None
    width = matrix.shape[1] + 1  # each output's contributions, then its bias
    per_output = contributions.reshape(len(contributions), -1, width)[:, :, :-1]
    per_feature = np.abs(per_output).sum(axis=1).mean(axis=0)
    totals: dict[str, float] = {}
    for source, value in zip(output_columns(preprocess), per_feature):
        totals[source] = totals.get(source, 0.0) + float(value)
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:top]
    return {"columns": [name for name, _ in ranked], "mean_abs": to_jsonable([v for _, v in ranked]),
            "rows": int(len(contributions))}


def _has_tree_shap(estimator: Any) -> bool:
    from catboost import CatBoost
    from lightgbm import LGBMModel
    from xgboost import XGBModel
    return isinstance(estimator, (LGBMModel, XGBModel, CatBoost))


PROBE_ROWS = 5  # explained first, timed, to size the rest


def _timed_contributions(estimator: Any, matrix: np.ndarray, seconds: float | None) -> np.ndarray | None:
    """``_contributions`` of as many of ``matrix``'s rows (in order) as fit in ``seconds``,
    sized from the time of the first PROBE_ROWS. TreeSHAP costs rows × trees × leaves × depth²:
    2,000 rows of a 2,000-tree LightGBM model took 34 s, in a run with an 8 s time limit."""
    if seconds is None or len(matrix) <= PROBE_ROWS:
        return _contributions(estimator, matrix)
    started = time.monotonic()
    first = _contributions(estimator, matrix[:PROBE_ROWS])
    if first is None:
        return None
    each = (time.monotonic() - started) / PROBE_ROWS
    n_rows = min(len(matrix), int(seconds / max(each, 1e-9)))
    if n_rows <= PROBE_ROWS:
        return first
    return np.concatenate([first, _contributions(estimator, matrix[PROBE_ROWS:n_rows])], axis=0)


def _contributions(estimator: Any, matrix: np.ndarray) -> np.ndarray | None:
    """Per row, each output's contribution of every input column and the bias, as the library
    computes them (TreeSHAP), or None for an estimator that has no such method here."""
    from catboost import CatBoost, Pool
    from lightgbm import LGBMModel
    from xgboost import DMatrix, XGBModel

    if isinstance(estimator, LGBMModel):
        return np.asarray(estimator.predict(matrix, pred_contrib=True), dtype=float)
    if isinstance(estimator, XGBModel):
        booster = estimator.get_booster()
        data = DMatrix(matrix, feature_types=booster.feature_types, enable_categorical=True)
        best = getattr(estimator, "best_iteration", None)
        rounds = (0, best + 1) if best is not None else (0, 0)  # (0, 0): every round
        return np.asarray(booster.predict(data, pred_contribs=True, iteration_range=rounds), dtype=float)
    if isinstance(estimator, CatBoost):
        from manabu.models.catboost.family import category_frame
        cat_features = estimator.get_param("cat_features") or []
        pool = Pool(category_frame(matrix, cat_features), cat_features=list(cat_features) or None)
        return np.asarray(estimator.get_feature_importance(pool, type="ShapValues"), dtype=float)
    return None


def output_columns(transformer: Any) -> list[str]:
    """The data column behind each output column of a fitted tree-kind ColumnTransformer
    (``manabu.features.preprocess``): one-to-one blocks, a block that makes several columns per
    input (dates' parts, a target encoding per class), and a text block's components all point
    back to their column; an expression block names its own (``output_sources``). (The linear
    kind's missing-value indicators would not: not for it.)"""
    sources: list[str] = []
    for name, block, columns in transformer.transformers_:
        if name == "remainder" or block == "drop":
            continue
        span = transformer.output_indices_[name]
        width, columns = span.stop - span.start, list(columns)
        parts = getattr(block, "parts_", None) or getattr(getattr(block, "named_steps", {}).get("parts"), "parts_", None)
        if hasattr(block, "output_sources"):  # genes: the kept ones, or their principal components
            sources += block.output_sources()
        elif parts is not None:
            for column, kept in zip(columns, parts):
                sources += [column] * len(kept)
        elif columns and width % len(columns) == 0:
            sources += [column for column in columns for _ in range(width // len(columns))]
        else:
            raise ValueError(f"cannot tell which column each of {width} outputs of {name!r} comes from")
    return sources
