"""SHAP values per data column for whatever model was chosen, so the report can always say which
columns move its answers.

A boosting model gets its library's exact TreeSHAP (``manabu.evaluate.learning``). Every other
model (SVM, kNN, MLP, linear models, text models, a stacked ensemble) gets ``shap``'s
KernelExplainer, model-agnostic, on the whole pipeline: the features it masks are the data's own
columns, so its values are per data column with nothing to sum back, whatever the preprocessing
makes of a column. It is sampled and bounded in time: the number of rows explained and of
background rows follows from timed predictions, so a slow model is explained on fewer rows
rather than making the run longer. An averaging ensemble is explained through its members,
each one's values weighted as the ensemble weights its answers.

Every result is ``{"values": {column: mean |SHAP|}, "method", "unit", "rows", "background"}``;
``ranked`` turns it into what the report draws.
"""
from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from manabu.base.jsonable import to_jsonable
from manabu.evaluate.learning import tree_contributions

EXPLAIN_SECONDS = 3.0   # what the model-agnostic explainer may take for one model, about
MAX_EXPLAINED = 200     # rows explained: beyond that the mean |SHAP| of a column hardly moves
MIN_EXPLAINED = 10      # fewer would rank columns by the luck of the draw
MAX_BACKGROUND = 30     # rows a masked column takes its values from (shap's "background")
MIN_BACKGROUND = 8
GIVE_UP_FACTOR = 2.0    # the smallest sample may take this many times the budget; skipped where longer
MAX_CELLS = 20_000_000  # of the masked rows one explained row makes (coalitions × background × columns)
SHAP_IMPORT_SECONDS = 1.3  # importing shap, once per process (with another process on the second core)

Predict = Callable[[pd.DataFrame], np.ndarray]  # rows -> values (n,) or class probabilities (n, k)


def model_contributions(model: Any, X: pd.DataFrame, predict: Predict, seed: int,
                        seconds: float = EXPLAIN_SECONDS, unit: str = "value") -> dict[str, Any] | None:
    """One pipeline's mean |SHAP| per data column: TreeSHAP where its library has it (exact and
    quick), else KernelSHAP on a sample, through ``predict`` (the pipeline's answer in ``unit``)."""
    exact = tree_contributions(model, X, seed, top=len(X.columns), seconds=seconds)
    if exact is not None:
        return {"values": dict(zip(exact["columns"], exact["mean_abs"])), "method": "tree", "unit": "raw",
                "rows": exact["rows"], "background": None}
    with threadpool_limits(1):  # small batches: threads would only wait for each other (and the search's)
        return kernel_contributions(predict, X, seed, seconds, unit)


def ensemble_contributions(members: Sequence[tuple[str, Any, Predict]], weights: Sequence[float], X: pd.DataFrame,
                           seed: int, seconds: float = EXPLAIN_SECONDS) -> dict[str, Any] | None:
    """An averaging ensemble's mean |SHAP| per column, from its ``(name, pipeline, predict)``
    members: each member's values as shares of its own total, averaged with the ensemble's
    weights. Where a member could not be explained, neither is the ensemble (the others' shares
    would be overstated): that member's answer is returned.

    Shares, since members answer in different units (TreeSHAP in log-odds, KernelSHAP in
    probabilities) that cannot be added; the shares of an averaging ensemble say what part of
    its answers' movement each column accounts for. Members without TreeSHAP share ``seconds``
    equally, and each member with TreeSHAP may take as long."""
    kept = [(member, float(w)) for member, w in zip(members, weights) if w > 0]
    share = seconds / max(sum(1 for (_, model, _), _ in kept if not _has_tree_shap(model)), 1)
    total: dict[str, float] = {}
    parts = []
    for (name, model, predict), weight in kept:
        part = model_contributions(model, X, predict, seed, share)
        if part is None or "values" not in part:
            return part
        size = sum(part["values"].values()) or 1.0
        for column, value in part["values"].items():
            total[column] = total.get(column, 0.0) + weight * value / size
        parts.append({"model": name, "weight": round(weight, 4), "method": part["method"], "rows": part["rows"],
                      "background": part["background"]})
    if not kept:
        return None
    weight_sum = sum(w for _, w in kept)
    sampled = [p for p in parts if p["method"] == "kernel"] or parts  # the rows the report says were explained
    return {"values": {c: v / weight_sum for c, v in total.items()}, "method": "ensemble", "unit": "share",
            "rows": min(p["rows"] for p in sampled), "background": max((p["background"] or 0 for p in parts)) or None,
            "members": parts}


def kernel_contributions(predict: Predict, X: pd.DataFrame, seed: int, seconds: float = EXPLAIN_SECONDS,
                         unit: str = "value") -> dict[str, Any]:
    """Mean |SHAP| per column of ``X`` from ``shap``'s KernelExplainer on a sample, within about
    ``seconds``; ``{"skipped_seconds": estimate}`` where even the smallest sample would take far
    longer (a large text network on a CPU, say), ``{"skipped_columns": n}`` where the table is
    so wide (over a thousand columns) that one row's coalitions would not fit in memory.

    KernelSHAP rather than shap's permutation explainer: that one compiles its masking with
    numba on first use, six seconds of a 2-core machine before it explains a row. Each row
    explained costs ``kernel_coalitions`` predictions on each background row, in one call. One
    row's cost, estimated from two timed predictions, sizes the background; the rows' own times
    then size the sample (``_explain_within``)."""
    if "shap" not in sys.modules and seconds < SHAP_IMPORT_SECONDS:  # its import alone would use them up
        return {"skipped_seconds": SHAP_IMPORT_SECONDS}
    table, n_background = _sample(X, seed)
    first_row = n_background  # of the rows to explain
    coalitions = kernel_coalitions(len(X.columns))
    if coalitions * len(X.columns) > MAX_CELLS:  # one background row already too much to hold
        return {"skipped_columns": int(len(X.columns))}
    n_background = min(n_background, MAX_CELLS // (coalitions * len(X.columns)))
    started = time.monotonic()
    each, probe = _row_seconds(predict, table, n_background, coalitions, seconds)
    if each * MIN_EXPLAINED > seconds:  # a smaller background, for a sample of rows that says something
        smaller = max(min(MIN_BACKGROUND, n_background), int(n_background * seconds / (each * MIN_EXPLAINED)))
        each = each * smaller / n_background
        if each * MIN_EXPLAINED > GIVE_UP_FACTOR * seconds:
            return {"skipped_seconds": round(each * MIN_EXPLAINED, 1)}
        n_background = smaller
    explain = _explainer(predict, table, n_background, probe.shape[1], coalitions)
    values = _explain_within(explain, np.arange(first_row, len(table)), seconds, started, seed)
    per_column = np.abs(values).sum(axis=2).mean(axis=0)
    return {"values": {str(c): float(v) for c, v in zip(X.columns, per_column)}, "method": "kernel",
            "unit": unit, "rows": int(len(values)), "background": int(n_background)}


def _sample(X: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, int]:
    """A seeded sample of ``X``: background rows first (at most ``MAX_BACKGROUND``, half of a
    small table), then the rows to explain (at most ``MAX_EXPLAINED``, others than those);
    with how many background rows come first."""
    order = np.random.default_rng(seed).permutation(len(X))
    n_background = min(MAX_BACKGROUND, max(len(X) // 2, 1))
    pool = order[n_background:n_background + MAX_EXPLAINED]
    if len(pool) == 0:  # a single row: explained against itself
        pool = order[:n_background]
    table = X.iloc[np.concatenate([order[:n_background], pool])].reset_index(drop=True)
    return table, n_background


def kernel_coalitions(n_columns: int) -> int:
    """The fewest coalitions with which KernelSHAP takes every column alone and every column
    left out (the coalitions it weighs most), then a few more at random: its regression is then
    well posed. Fewer, it draws them at random with repeats, and a singular regression gave
    values of 1e12. All of them (exact) where there are fewer. Mirrors shap's own weights."""
    m = n_columns
    if m <= 1:
        return 2
    sizes = np.arange(1, int(np.ceil((m - 1) / 2)) + 1)
    weights = (m - 1) / (sizes * (m - sizes))
    weights[:int(np.floor((m - 1) / 2))] *= 2
    first = weights[0] / weights.sum()  # the share of coalitions of one column in and one out
    wanted = int(np.ceil(2 * m / first)) + m
    return int(min(wanted, 2 ** m - 2)) if m < 30 else wanted


def _row_seconds(predict: Predict, table: pd.DataFrame, n_background: int, coalitions: int,
                 seconds: float) -> tuple[float, np.ndarray]:
    """About what explaining one row on ``n_background`` rows costs, and the model's answers on
    them. A call has an overhead of its own (threads starting, the pipeline's checks) that can
    outweigh its rows, so the cost per row comes from a second, larger call, as large as the
    first one's time allows: an upper bound, closer the larger that call."""
    started = time.monotonic()
    probe = _outputs(predict, table.iloc[:n_background])
    small = time.monotonic() - started
    times = int(np.clip(seconds / (4 * max(small, 1e-6)), 1, coalitions))
    if times > 1:
        batch = table.iloc[np.resize(np.arange(n_background), times * n_background)]
        started = time.monotonic()
        _outputs(predict, batch)
        small = min(small * times, time.monotonic() - started) / times
    return small * coalitions, probe


def _outputs(predict: Predict, rows: pd.DataFrame) -> np.ndarray:
    """The model's answers as (rows, outputs): a binary task's second class alone (the first
    mirrors it, and would count every contribution twice)."""
    out = np.asarray(predict(rows), dtype=float)
    out = out.reshape(len(rows), -1)
    return out[:, 1:] if out.shape[1] == 2 else out


def _explainer(predict: Predict, table: pd.DataFrame, n_background: int, n_outputs: int,
               coalitions: int) -> Callable[[np.ndarray], np.ndarray]:
    """SHAP values (rows, columns, outputs) of rows of ``table``, by ``shap``'s KernelExplainer
    over row numbers: each cell of the matrix it masks is the number of the row of ``table``
    that the column's value comes from, so masking (a column given a background row's value)
    works for columns of any type (categories, dates, text), and the model gets the table's own
    values and types. The first ``n_background`` rows are the background."""
    with warnings.catch_warnings():  # shap's plotting, loaded with it, warns of matplotlib's future
        warnings.simplefilter("ignore")
        import shap

    codes = np.repeat(np.arange(len(table), dtype=float)[:, None], len(table.columns), axis=1)
    columns = list(table.columns)

    def rows_of(matrix: np.ndarray) -> np.ndarray:
        index = np.asarray(matrix, dtype=np.intp).reshape(-1, len(columns))
        frame = pd.DataFrame({c: table[c].array.take(index[:, j]) for j, c in enumerate(columns)})  # types kept
        return _outputs(predict, frame).reshape(len(frame), n_outputs)

    explainer = shap.KernelExplainer(rows_of, codes[:n_background])

    def explain(rows: np.ndarray) -> np.ndarray:
        values = explainer.shap_values(codes[rows], nsamples=coalitions, l1_reg=False, silent=True)
        values = np.stack(values, axis=-1) if isinstance(values, list) else np.asarray(values, dtype=float)
        return values if values.ndim == 3 else values[:, :, None]
    return explain


def _explain_within(explain: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, seconds: float,
                    started: float, seed: int) -> np.ndarray:
    """SHAP values of as many of ``rows`` as fit in ``seconds`` since ``started``, and at least
    ``MIN_EXPLAINED`` where they fit in ``GIVE_UP_FACTOR`` times that. In batches, each half of
    what the rows so far say would fit: one row's time is a noisy estimate on a busy machine
    (a first call warming up, another process taking the core), and a batch too large would
    overrun. shap draws its coalitions from numpy's global generator: seeded here, and given
    back as it was."""
    state = np.random.get_state()
    np.random.seed(seed)
    values, done, busy = [], 0, 0.0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            while done < len(rows):
                elapsed = time.monotonic() - started
                goal = seconds if done >= MIN_EXPLAINED else GIVE_UP_FACTOR * seconds
                each = busy / done if done else 0.0
                if done and elapsed + each > goal:
                    break
                size = max(1, int((goal - elapsed) / (2 * each))) if done else 1
                size = min(size, MIN_EXPLAINED - done) if done < MIN_EXPLAINED else size
                batch_started = time.monotonic()
                values.append(explain(rows[done:done + size]))
                busy += time.monotonic() - batch_started
                done += len(values[-1])
    finally:
        np.random.set_state(state)
    return np.concatenate(values, axis=0)


def _has_tree_shap(model: Any) -> bool:
    """Whether ``tree_contributions`` will explain ``model`` (a boosting library's estimator
    last in a two-step pipeline), told without running it: the time is shared by the others."""
    steps = getattr(model, "steps", None)
    if not steps or len(steps) != 2:
        return False
    estimator = getattr(steps[-1][1], "regressor_", steps[-1][1])
    return type(estimator).__module__.split(".")[0] in ("lightgbm", "xgboost", "catboost")


def ranked(result: dict[str, Any] | None, top: int = 20) -> dict[str, Any] | None:
    """What the report keeps and draws: the ``top`` columns, largest first, with how they were
    measured (method, unit, rows explained, background rows)."""
    if result is None or "values" not in result:  # skipped, and why
        return result
    order = sorted(result["values"].items(), key=lambda item: -item[1])[:top]
    kept = {key: value for key, value in result.items() if key != "values"}
    return {**kept, "columns": [c for c, _ in order], "mean_abs": to_jsonable([v for _, v in order])}
