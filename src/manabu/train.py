"""One training run: read → schema → task → folds → search → refit on all rows → Predictor."""
from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from manabu.artifact import data_fingerprint
from manabu.config import TrainConfig
from manabu.data.read import read
from manabu.data.schema import infer_schema
from manabu.data.splits import choose_validation, make_folds
from manabu.data.task import Task, detect_task, target_notices
from manabu.errors import DataError, TrainingError
from manabu.evaluate.metrics import get_metric
from manabu.i18n import Message
from manabu.models.zoo import get_entries
from manabu.predictor import Predictor, TrainingRecord, plain_label
from manabu.search import Budget, SearchListener, SearchProblem, SilentListener, run_search
from manabu.search.leaderboard import leaderboard_records


def train(data, config: TrainConfig, listener: SearchListener | None = None) -> Predictor:
    """Search within ``config.time_limit`` seconds (refit included) and refit the best on all rows.

    Ctrl-C during the search keeps the best model found so far; Ctrl-C before any model was
    scored raises ``KeyboardInterrupt``, so the caller saves nothing.
    """
    listener = listener or SilentListener()
    budget = Budget(config.time_limit)
    frame = read(data)
    where = frame.attrs["manabu_source"].get("path")
    notices: list[Message] = list(frame.attrs.get("manabu_notices", []))
    labelled = int(frame[config.target].notna().sum()) if config.target in frame.columns else -1
    if labelled == 1:  # before the schema, which would call every column of one row constant
        raise DataError("validation.too_few_rows", n_rows=labelled)
    schema = infer_schema(frame, config.target, group=config.group, time=config.time, where=where)
    notices += schema.notices
    task = detect_task(frame[config.target], config.task)
    notices += target_notices(frame[config.target])
    frame = _rows_with_target(frame, config.target, task)
    if len(frame) < 2:
        raise DataError("validation.too_few_rows", n_rows=len(frame))
    y, classes = _encode_target(frame[config.target], task)
    X = schema.prepare(frame)
    metric = get_metric(config.metric, task)
    entries = get_entries(list(config.models) if config.models else None, task)
    groups = frame[config.group].to_numpy() if config.group else None
    times = frame[config.time] if config.time else None
    plan = choose_validation(len(y), task, y, groups=groups, time=times, override=config.validation,
                             seed=config.seed)
    folds = make_folds(plan, len(y), y, groups=groups, time=times, seed=config.seed)
    notices += list(plan.notes)
    problem = SearchProblem(X, y, schema, str(task), metric, folds, len(classes or []), config.seed)
    outcome = run_search(problem, entries, budget, listener, config.max_trials)
    notices += outcome.notices
    best = outcome.best(metric)
    if best is None and outcome.interrupted:
        raise KeyboardInterrupt  # Ctrl-C before any model was scored: there is nothing to keep
    if best is None:
        reasons = "; ".join(f"{r.candidate.name}: {r.error or r.status}" for r in outcome.results) or "-"
        everything_failed = outcome.results and all(r.status == "failed" for r in outcome.results)
        raise TrainingError("search.all_failed" if everything_failed else "search.nothing_trained",
                            reasons=reasons)
    pipeline, fit_params = best.candidate.build(schema, str(task), config.seed, n_rows=len(y))
    refit_start = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipeline.fit(X, y, **fit_params)
    record = TrainingRecord(
        config=config, task=Task(task), metric=metric.name, classes=classes,
        leaderboard=leaderboard_records(outcome.results, metric), best_model=best.candidate.name,
        validation=plan.to_dict(), validation_text=plan.describe(), n_rows=len(y),
        seconds=round(budget.elapsed(), 3), refit_seconds=round(time.monotonic() - refit_start, 3),
        interrupted=outcome.interrupted, notices=notices,
        fingerprint=data_fingerprint(frame),
    )
    return Predictor(pipeline, schema, record)


def _rows_with_target(frame: pd.DataFrame, target: str, task) -> pd.DataFrame:
    """Rows whose target is missing (or infinite, for numbers) cannot teach anything."""
    y = frame[target]
    keep = y.notna().to_numpy()
    if str(task) == "regression":
        keep = keep & np.isfinite(pd.to_numeric(y, errors="coerce").to_numpy(dtype=float))
    return frame.loc[keep].reset_index(drop=True)


def _encode_target(y: pd.Series, task) -> tuple[np.ndarray, list | None]:
    if str(task) == "regression":
        return pd.to_numeric(y, errors="coerce").to_numpy(dtype=float), None
    classes = sorted(pd.unique(y).tolist(), key=lambda v: (str(type(v)), v))
    codes = pd.Categorical(y, categories=classes).codes.astype(int)
    return codes, [plain_label(c) for c in classes]
