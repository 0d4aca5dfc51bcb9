"""One training run: read → schema → task → folds → search → refit on all rows → Predictor."""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from manabu.artifact import data_fingerprint
from manabu.training.config import TrainConfig, with_target
from manabu.data.read import read
from manabu.data.schema import ColumnType, Schema, infer_schema
from manabu.data.splits import SCAFFOLD, ValidationPlan, choose_validation, make_folds
from manabu.data.task import Task, detect_task, target_notices
from manabu.ensemble.model import Ensemble
from manabu.ensemble.selection import (EnsembleCandidate, Limits, build_ensembles,
                                      ensemble_on_equal_terms, honest_single_score, selection_seconds)
from manabu.base.errors import DataError, TrainingError
from manabu.evaluate.metrics import get_metric, signed
from manabu.base.i18n import Message
from manabu.features.images import has_images
from manabu.features.tokenize import assign_tokenizers
from manabu.models.entry import ModelEntry, fit_with_threads, stopped_at_deadline
from manabu.models.zoo import get_entries
from manabu.models.feature_space import with_feature_space
from manabu.training.molecules import molecule_reference, scaffold_groups
from manabu.training.predictor import Predictor, plain_label
from manabu.training.presets import Preset, get_preset
from manabu.training.record import TrainingRecord
from manabu.search import (
    Budget,
    SearchListener,
    SearchProblem,
    SilentListener,
    run_search,
)
from manabu.search.checkpoint import Checkpoint
from manabu.search.choice import quickest_within_one_standard_error, refit_in_time, standard_error
from manabu.search.crossval import median_ms
from manabu.search.leaderboard import leaderboard_records
from manabu.search.loop import SearchSettings
from manabu.search.memory import default_memory_limit
from manabu.search.opening import Opening
from manabu.search.pool import POOL_SIZE
from manabu.training.numbers import after_search_seconds, draw_seconds, report_numbers
from manabu.training.timings import Stopwatch


def train(data, config: TrainConfig, listener: SearchListener | None = None, *,
          checkpoint: Checkpoint | None = None, resume: bool = False, started: float | None = None,
          report: bool = True, opening: Opening = Opening()) -> Predictor:
    """Search within ``config.time_limit`` seconds (refit included) and refit the best on all rows.

    Ctrl-C during the search keeps the best model found so far; Ctrl-C before any model was
    scored raises ``KeyboardInterrupt``, so the caller saves nothing. With a ``checkpoint``, every
    result is saved as it comes, and ``resume=True`` continues the search saved there.
    ``started`` (time.monotonic()) is when the caller's clock started (before it read the data);
    the search leaves time within the limit for the report's numbers, and for drawing the report
    and saving the folder where the caller does (``report``: ``manabu train``, ``fit(output=...)``).
    ``opening`` is what other searches sharing the caller's time limit learnt (``search.opening``).
    """
    listener = listener or SilentListener()
    config = with_target(config, data)
    budget = Budget(config.time_limit) if started is None else Budget(config.time_limit, started)
    stopwatch = Stopwatch(budget.started)
    prepared = _prepare(data, config)
    prepared.draws_report = report
    stopwatch.lap("reading")
    outcome = _search(prepared, config, budget, listener, checkpoint, resume, opening)
    # the choice and the refit end where the report's numbers, drawing and the save begin
    refit_budget = Budget(budget.time_limit - _after_search(prepared, config), budget.started)
    best = _choose(prepared, outcome, config, refit_budget)
    stopwatch.lap("search")  # the ensembles' selection with it
    model, record = _refit_and_record(prepared, outcome, best, config, budget, refit_budget.deadline, listener,
                                      stopwatch)
    if checkpoint is not None and not outcome.interrupted:
        checkpoint.remove()  # finished: nothing left to resume
    molecules = molecule_reference(prepared.schema, prepared.problem.X, prepared.problem.seed)
    return Predictor(model, prepared.schema, record, molecules=molecules)


@dataclass
class _Prepared:
    """What the steps of one run share: the rows, the problem the search solves, how it is
    validated, the families to try, and the notices gathered on the way (each step adds its own)."""

    raw: pd.DataFrame  # the rows as read: the report profiles them, the record names their file
    frame: pd.DataFrame  # the rows with a target
    schema: Schema
    task: Task
    classes: list | None
    plan: ValidationPlan
    problem: SearchProblem
    entries: list[ModelEntry]
    preset: Preset
    notices: list[Message]
    draws_report: bool = True  # the caller draws the report and saves the folder within the limit


# the columns a tabular family learns from: with image files and none of these, only the image families run
TABULAR_TYPES = (ColumnType.NUMERIC, ColumnType.BOOLEAN, ColumnType.CATEGORICAL, ColumnType.HIGH_CARDINALITY,
                 ColumnType.DATETIME, ColumnType.TEXT, ColumnType.SMILES)


def _prepare(data, config: TrainConfig) -> _Prepared:
    """Read the rows and set the search's problem up: the encoded target, the metric, the model
    families to try (those of the preset), the validation folds."""
    raw, schema, task, notices = _read_rows(data, config)
    frame = _rows_with_target(raw, config.target, task)
    if len(frame) < 2:
        raise DataError("validation.too_few_rows", n_rows=len(frame))
    y, classes = _encode_target(frame[config.target], task)
    X = schema.prepare(frame)
    metric = get_metric(config.metric, task)
    languages = frozenset(schema.column(name).language or "mixed" for name in schema.of_type(ColumnType.TEXT))
    images = has_images(schema)
    entries = get_entries(list(config.models) if config.models else None, task, languages=languages,
                          text_model=config.text_model, images=images,
                          only_images=images and not schema.of_type(*TABULAR_TYPES),
                          image_model=config.image_model, device=config.device,
                          molecules=bool(schema.of_type(ColumnType.SMILES)))
    entries = with_feature_space(entries, schema)
    plan, folds = _validation(config, task, y, frame, images, schema.of_type(ColumnType.SMILES))
    notices += list(plan.notes)
    problem = SearchProblem(X, y, schema, str(task), metric, folds, len(classes or []), config.seed,
                            read_row_ms=_read_row_ms(schema, frame))
    preset = get_preset(config.preset)
    if preset.families and not config.models:
        entries = [e for e in entries if e.name in preset.families] or entries
    return _Prepared(raw, frame, schema, task, classes, plan, problem, entries, preset, notices)


def _read_rows(data, config: TrainConfig) -> tuple[pd.DataFrame, Schema, Task, list[Message]]:
    """The rows as read, their schema (tokenizers assigned) and the task, with the notices of each."""
    frame = read(data)
    where = frame.attrs["manabu_source"].get("path")
    notices: list[Message] = list(frame.attrs.get("manabu_notices", []))
    labelled = int(frame[config.target].notna().sum()) if config.target in frame.columns else -1
    if labelled == 1:  # before the schema, which would call every column of one row constant
        raise DataError("validation.too_few_rows", n_rows=labelled)
    schema = infer_schema(frame, config.target, group=config.group, time=config.time, where=where)
    notices += schema.notices
    notices += assign_tokenizers(schema, config.tokenizer)
    task = detect_task(frame[config.target], config.task)
    notices += target_notices(frame[config.target])
    return frame, schema, task, notices


def _validation(config: TrainConfig, task: Task, y: np.ndarray, frame: pd.DataFrame,
                images: bool = False, molecules: list[str] = ()) -> tuple[ValidationPlan, list]:
    """How the models are validated (``manabu.data.splits``), and its folds: on images, a
    hold-out unless the user says otherwise, since a network trained k times would leave a
    fifth of the time to each of its folds; by scaffold, the first SMILES column's scaffolds
    are the groups."""
    groups = frame[config.group].to_numpy() if config.group else None
    if str(config.validation).strip().lower() == SCAFFOLD and molecules:
        groups = scaffold_groups(frame[molecules[0]])
    times = frame[config.time] if config.time else None
    override = config.validation if config.validation not in (None, "auto") or not images else "holdout"
    plan = choose_validation(len(y), task, y, groups=groups, time=times, override=override, seed=config.seed)
    return plan, make_folds(plan, len(y), y, groups=groups, time=times, seed=config.seed)


def _search(prepared: _Prepared, config: TrainConfig, budget: Budget, listener: SearchListener,
            checkpoint: Checkpoint | None, resume: bool, opening: Opening = Opening()):
    """The search, each result saved to ``checkpoint`` as it comes (``resume``: continued from
    the results saved there)."""
    previous = []
    if checkpoint is not None:
        checkpoint.signature.update(_signature(config, prepared.frame, prepared.plan))
        if resume:
            previous = checkpoint.resume({e.name: e for e in prepared.entries})
            prepared.notices.append(Message("search.resumed", {"n": len(previous)}))
        else:
            checkpoint.start()
    settings = _settings(config, prepared, _after_search(prepared, config), opening)
    outcome = run_search(prepared.problem, prepared.entries, budget, listener, settings, previous,
                         on_result=checkpoint.record if checkpoint is not None else None)
    prepared.notices += outcome.notices
    if outcome.folds_used is not None:  # the record says what validated the models
        prepared.plan = prepared.plan.first_folds(outcome.folds_used)
    return outcome


def _choose(prepared: _Prepared, outcome, config: TrainConfig, budget: Budget):
    """The model to keep: the best one whose refit ends in time, or an ensemble that beats it
    (where the preset builds them), or the quickest within noise of it (``--preset fast``)."""
    problem, preset, notices = prepared.problem, prepared.preset, prepared.notices
    best = _best_or_raise(outcome, config, problem.metric)
    best = _in_time(outcome, best, problem, budget, notices)
    if preset.ensemble and not outcome.interrupted:
        best = _with_ensembles(problem, outcome, best, budget, config, preset, notices)
    if preset.quickest_within_noise:
        best = _quickest(outcome, best, problem, budget, notices)
    return best


def _after_search(prepared: _Prepared, config: TrainConfig) -> float:
    """What the search and the refit leave to the report's numbers, its drawing and the save."""
    schema = prepared.schema
    return after_search_seconds(config.time_limit, len(schema.features), prepared.draws_report,
                                len(schema.of_type(ColumnType.TEXT)), has_images(schema))


def _refit_and_record(prepared: _Prepared, outcome, best, config: TrainConfig, budget: Budget,
                      refit_deadline: float, listener: SearchListener, stopwatch: Stopwatch):
    """The chosen model refit on all rows (by ``refit_deadline`` where it can stop), and the record
    of the run with the report's numbers, taken in the time left for them."""
    try:  # the refit and the report's numbers take a while after the bar has gone: say so
        listener.stage(Message("search.stage_refit", {"model": best.candidate.name}))
        refit_start = time.monotonic()
        deadline = budget.deadline - draw_seconds(len(prepared.schema.features), prepared.draws_report)
        model = _refit(best, prepared.problem, config.seed, refit_deadline, deadline, prepared.notices)
        stopwatch.lap("refit")
        record = _record(prepared, outcome, best, config, budget, refit_start)
        listener.stage(Message("search.stage_report"))
        record.report = report_numbers(prepared.raw, best, prepared.problem, config, prepared.classes,
                                       learn=not outcome.interrupted, model=model, deadline=deadline)
        stopwatch.lap("report")
        record.timings = stopwatch.timings(outcome.results)
    finally:
        listener.stage(None)
    return model, record


def _record(prepared: _Prepared, outcome, best, config: TrainConfig, budget: Budget,
            refit_start: float) -> TrainingRecord:
    """What the run did, for the manifest and the report (whose numbers are added after)."""
    metric, plan = prepared.problem.metric, prepared.plan
    return TrainingRecord(
        config=config, task=Task(prepared.task), metric=metric.name, classes=prepared.classes,
        leaderboard=leaderboard_records(outcome.results, metric), best_model=best.candidate.name,
        validation=plan.to_dict(), validation_text=plan.describe(), n_rows=len(prepared.problem.y),
        seconds=round(budget.elapsed(), 3), refit_seconds=round(time.monotonic() - refit_start, 3),
        interrupted=outcome.interrupted, notices=prepared.notices,
        fingerprint=data_fingerprint(prepared.frame), source=_file_source(prepared.raw),
    )


FILE_FORMATS = frozenset({"csv", "parquet", "excel", "json", "jsonl"})


def _file_source(frame: pd.DataFrame) -> dict | None:
    """Where the rows were read from, so that an exported script can read them again."""
    source = frame.attrs.get("manabu_source") or {}
    if source.get("format") not in FILE_FORMATS or not source.get("path"):
        return None
    kept = {key: source.get(key) for key in ("format", "encoding", "sep", "sheet")}
    return {"path": str(Path(source["path"]).resolve()), **kept}


def _read_row_ms(schema, frame: pd.DataFrame) -> float:
    """Milliseconds to read one raw row as a saved model does before any model sees it (the
    median of a few calls), which every single-row latency on the leaderboard includes."""
    row = frame.iloc[[0]]
    return median_ms(lambda: schema.prepare_values(row))


def _settings(config: TrainConfig, prepared: _Prepared, after_search: float,
              opening: Opening = Opening()) -> SearchSettings:
    preset, n_rows, metric = prepared.preset, len(prepared.problem.y), prepared.problem.metric
    return SearchSettings(strategy=config.search, max_trials=config.max_trials,
                          max_latency_ms=config.max_latency_ms,
                          refit_reserve_models=preset.refit_reserve_models,
                          reserve_seconds=(selection_seconds(n_rows, metric) if preset.ensemble else 0.0)
                          + after_search,
                          keep_predictions=POOL_SIZE if preset.ensemble else 1,
                          memory_limit=config.memory_limit or default_memory_limit(),
                          fewer_folds=prepared.plan.can_use_first_folds, opening=opening)


def _best_or_raise(outcome, config: TrainConfig, metric):
    """The best single model, or the one error that says why there is none."""
    best = outcome.best(metric)
    if best is not None:
        return best
    if outcome.interrupted:
        raise KeyboardInterrupt  # Ctrl-C before any model was scored: there is nothing to keep
    too_slow = [r.latency_ms for r in outcome.results if r.ok and not r.eligible]
    if too_slow:
        raise TrainingError("search.none_fast_enough", limit=config.max_latency_ms,
                            fastest=round(min(too_slow), 2))
    reasons = "; ".join(f"{r.candidate.name}: {r.error or r.status}" for r in outcome.results) or "-"
    everything_failed = outcome.results and all(r.status == "failed" for r in outcome.results)
    raise TrainingError("search.all_failed" if everything_failed else "search.nothing_trained", reasons=reasons)


def _with_ensembles(problem: SearchProblem, outcome, best, budget: Budget, config: TrainConfig, preset,
                    notices: list[Message]):
    """Add the ensemble rows to the leaderboard; return the best row, single model or ensemble.
    Members are chosen among models whose refits fit in the time left."""
    time_left = budget.remaining() - selection_seconds(len(problem.y), problem.metric)
    limits = Limits(refit_seconds=max(time_left, problem.refit_seconds(best)),
                    latency_ms=config.max_latency_ms or float("inf"),
                    shared_ms=problem.read_row_ms)
    singles = list(outcome.results)
    ensembles = build_ensembles(singles, problem.y, problem.task, problem.metric, problem.n_classes,
                                config.seed, limits, problem.refit_seconds, preset.stacking)
    outcome.results.extend(ensembles)
    chosen = outcome.best(problem.metric)
    single_score = honest_single_score(singles, problem.y, problem.task, problem.metric, problem.n_classes,
                                       config.seed)
    fair = ensemble_on_equal_terms(ensembles, chosen, single_score, problem.metric)
    if fair is not None:
        notices.append(Message("search.ensemble_on_equal_terms", {
            "score": f"{fair.score:.4f}", "best": f"{chosen.score:.4f}", "model": chosen.candidate.name,
            "honest": f"{single_score:.4f}", "tried": len(singles)}))
        chosen = fair
    if any(row is chosen for row in ensembles):
        notices.append(Message("search.ensemble_built", {
            "members": ", ".join(m.candidate.name for m in chosen.candidate.members),
            "metric": problem.metric.name, "score": f"{chosen.score:.4f}", "best": f"{best.score:.4f}"}))
    if ensembles and chosen is best:
        top = max(ensembles, key=lambda r: signed(problem.metric, r.score))
        notices.append(Message("search.ensemble_not_better", {"score": f"{top.score:.4f}", "best": f"{best.score:.4f}"}))
    return chosen


def _in_time(outcome, best, problem: SearchProblem, budget: Budget, notices: list[Message]):
    """The best model whose refit on all rows ends near the budget (``choice.refit_in_time``),
    with a notice when that is not the best-scoring one."""
    kept = refit_in_time(outcome.results, best, problem.metric, problem.refit_seconds,
                         budget.remaining(), budget.time_limit)
    if kept is not best:
        notices.append(Message("search.refit_in_time", {
            "best": best.candidate.name, "best_score": f"{best.score:.4f}",
            "seconds": f"{problem.refit_seconds(best):.0f}", "left": f"{max(budget.remaining(), 0):.0f}",
            "model": kept.candidate.name, "score": f"{kept.score:.4f}"}))
    return kept


def _quickest(outcome, best, problem: SearchProblem, budget: Budget, notices: list[Message]):
    """The one-standard-error rule of ``--preset fast`` (``manabu.search.choice``), with a
    notice when it keeps another model than the best-scoring one."""
    time_left = max(budget.remaining(), problem.refit_seconds(best))
    quick = quickest_within_one_standard_error(outcome.results, best, problem.metric,
                                               lambda r: problem.refit_seconds(r) <= time_left)
    if quick is not best:
        notices.append(Message("search.quickest_within_noise", {
            "model": quick.candidate.name, "score": f"{quick.score:.4f}", "ms": f"{quick.latency_ms:.3f}",
            "best": best.candidate.name, "best_score": f"{best.score:.4f}", "best_ms": f"{best.latency_ms:.3f}",
            "margin": f"{standard_error(best):.4f}"}))
    return quick


def _refit(best, problem: SearchProblem, seed: int, deadline: float, latest: float, notices: list[Message]):
    """The chosen model trained on all rows: one pipeline, or every member of an ensemble.

    A family that keeps what it built (``keeps_partial``) is stopped at ``deadline``, an
    ensemble's members each at their share of the time left (in proportion to their expected
    refit), so that a boosting model whose folds were cut at their share cannot run on unbounded.
    Each gets at least its expected refit time, even past ``deadline`` (a booster of a few trees
    would be worse than a late one), but never past ``latest``, the end of the time limit less
    drawing and saving the report: the report's measurements are skipped instead, and say so."""
    candidate = best.candidate
    if not isinstance(candidate, EnsembleCandidate):
        return _refit_one(candidate, problem, seed, max(deadline, _within(problem.refit_seconds(best), latest)),
                          notices)
    expected = [problem.refit_seconds(member) for member in candidate.members]
    members = []
    for i, member in enumerate(candidate.members):
        left = max(0.0, deadline - time.monotonic())
        share = max(left * expected[i] / max(sum(expected[i:]), 1e-9), expected[i])
        members.append((member.candidate.name, _refit_one(member.candidate, problem, seed,
                                                          _within(share, latest), notices)))
    return Ensemble(members, list(candidate.weights), problem.task, problem.n_classes, candidate.stacker)


def _within(seconds: float, latest: float) -> float:
    """The time.monotonic() ``seconds`` from now, or ``latest`` if that comes first (now, if passed)."""
    now = time.monotonic()
    return now + min(seconds, max(0.0, latest - now))


def _refit_one(candidate, problem: SearchProblem, seed: int, deadline: float, notices: list[Message]):
    pipeline, fit_params = candidate.build(problem.schema, problem.task, seed, n_rows=len(problem.y),
                                           deadline=deadline if candidate.entry.keeps_partial else None)
    X, y = problem.X, problem.y
    if candidate.row_fraction < 1.0:  # its sample of the rows, as in its folds
        rows = candidate.rows_of(np.arange(len(y)), seed)
        X, y = X.iloc[rows], y[rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_with_threads(pipeline, X, y, **fit_params)
    if stopped_at_deadline(pipeline):
        notices.append(Message("search.refit_stopped_at_deadline", {"model": candidate.name}))
    return pipeline


def _signature(config: TrainConfig, frame: pd.DataFrame, plan) -> dict:
    """What a resumed search must share with the stopped one."""
    return {"data": data_fingerprint(frame), "target": config.target, "task": str(config.task),
            "metric": config.metric, "validation": plan.to_dict(), "seed": config.seed}


def _rows_with_target(frame: pd.DataFrame, target: str, task) -> pd.DataFrame:
    """Rows whose target is missing (or infinite, for numbers) cannot teach anything."""
    y = frame[target]
    keep = y.notna().to_numpy()
    if str(task) == "regression":
        keep = keep & np.isfinite(pd.to_numeric(y, errors="coerce").to_numpy(dtype=float))
    if keep.all():  # no copy (with copy-on-write): it would stay alive all search long
        return frame.reset_index(drop=True)
    return frame.loc[keep].reset_index(drop=True)


def _encode_target(y: pd.Series, task) -> tuple[np.ndarray, list | None]:
    if str(task) == "regression":
        return pd.to_numeric(y, errors="coerce").to_numpy(dtype=float), None
    classes = sorted(pd.unique(y).tolist(), key=lambda v: (str(type(v)), v))
    codes = pd.Categorical(y, categories=classes).codes.astype(int)
    return codes, [plain_label(c) for c in classes]
