"""The command line: a thin layer over the Python API (``manabu --help``)."""
from __future__ import annotations

import functools
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from manabu.training.config import DEFAULT_TIME_LIMIT, TrainConfig
from manabu.base.errors import ArtifactError, ConfigError, DataError, ManabuError, Terminated
from manabu.base.i18n import Message, set_language, t
from manabu.training.progress import RichListener

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
                  help="manabu (学ぶ): train, evaluate and use machine-learning models from a data file.")
out = Console()
err = Console(stderr=True)

Lang = Annotated[str | None, typer.Option("--lang", help="Language of messages: ja or en (default: from the locale).")]
Debug = Annotated[bool, typer.Option("--debug", help="Show the full traceback of errors.")]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def command(fn):
    """Every command: set the language, turn errors into one clear message and an exit status."""
    @functools.wraps(fn)
    def wrapper(*args, lang: str | None = None, debug: bool = False, **kwargs):
        try:
            set_language(_language(lang))
            return fn(*args, **kwargs)
        except ManabuError as error:
            if debug:
                traceback.print_exc()
            _say(str(error), label=f"{t('cli.error')}: ", style="bold red")
            raise typer.Exit(EXIT_USAGE) from None
        except KeyboardInterrupt:
            if debug:
                traceback.print_exc()
            _say(t("cli.interrupted"), style="bold yellow")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception:
            if debug:
                raise
            _say(repr(sys.exc_info()[1]), label=f"{t('cli.unexpected')}: ", style="bold red")
            _say(t("cli.rerun_debug"))
            raise typer.Exit(1) from None
    return wrapper


def _language(lang: str | None) -> str | None:
    if lang is None:
        return None
    if lang not in ("ja", "en"):
        raise ConfigError("cli.bad_lang", value=lang)
    return lang


@app.command()
def train(
    data: Annotated[str, typer.Argument(metavar="DATA", help="Training data: CSV/TSV/Parquet/Excel/JSON lines file, or a SQLAlchemy URL with --table/--query.")],
    target: Annotated[str, typer.Option("--target", "-t", help="Column to predict.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Model folder to write (default: a new folder under ./manabu-models).")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds for the whole training, refit included.")] = DEFAULT_TIME_LIMIT,
    metric: Annotated[str | None, typer.Option(help="Metric to optimise (default: roc_auc, log_loss or rmse by task).")] = None,
    task: Annotated[str | None, typer.Option(help="binary, multiclass or regression (default: detected).")] = None,
    models: Annotated[str | None, typer.Option(help="Comma-separated model families to try (default: all).")] = None,
    validation: Annotated[str | None, typer.Option(help="holdout, kfold, loo, or a number of folds (default: chosen from the data size).")] = None,
    group: Annotated[str | None, typer.Option(help="Column of groups kept together in one fold.")] = None,
    time: Annotated[str | None, typer.Option("--time", help="Datetime column: validate on later rows than training rows.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    max_trials: Annotated[int | None, typer.Option(help="Stop after this many candidates.")] = None,
    preset: Annotated[str, typer.Option(help="fast (one small model), balanced (ensemble if it helps) or best (ensembles and stacking).")] = "balanced",
    search: Annotated[str, typer.Option(help="How to choose candidates after the known-good defaults: bayes, random or grid.")] = "bayes",
    max_latency_ms: Annotated[float | None, typer.Option(help="Keep only models that predict one row within this many milliseconds.")] = None,
    tokenizer: Annotated[str, typer.Option(help="Japanese analyser of text columns: sudachi, fugashi or janome (auto: the first installed).")] = "auto",
    text_model: Annotated[Path | None, typer.Option(help="Folder of a local Transformer checkpoint (save_pretrained) to fine-tune on the text columns.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue the stopped search of the model folder given with --output.")] = False,
    table: Annotated[str | None, typer.Option(help="SQL table to read (with a database URL).")] = None,
    query: Annotated[str | None, typer.Option(help="SQL query to read (with a database URL).")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace the model folder if it exists.")] = False,
    track: Annotated[str | None, typer.Option(
        metavar="[URI]", help="Log the run to MLflow: settings, scores, leaderboard, report and model "
                              "(alone: the local store mlruns/mlflow.db).")] = None,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Train models on DATA to predict --target; print the leaderboard and save the best model."""
    def run():
        config = TrainConfig(target=target, time_limit=time_limit, metric=metric, task=task,
                             models=_split(models), validation=validation, group=group, time=time,
                             seed=seed, max_trials=max_trials, preset=preset, search=search,
                             max_latency_ms=max_latency_ms, tokenizer=tokenizer,
                             text_model=text_model)
        if resume and output is None:
            raise ConfigError("cli.resume_needs_output")
        _train(data, config, output, overwrite or resume, table=table, query=query, resume=resume, track=track)
    command(run)(lang=lang, debug=debug)


def _train(data: str, config: TrainConfig, output: Path | None, overwrite: bool, *,
           table: str | None = None, query: str | None = None, name: str | None = None,
           resume: bool = False, track: str | None = None):
    from manabu.data.read import read
    from manabu.search.checkpoint import Checkpoint, checkpoint_folder
    from manabu.training.run import train as run_training

    frame = read(data, table=table, query=query) if isinstance(data, str) else data
    destination = output or _default_output(name or (f"{data}-{table}" if table else data))
    if destination.exists() and not overwrite:
        raise ArtifactError("artifact.exists", path=str(destination))
    _say(t("cli.training", rows=len(frame), columns=frame.shape[1], target=config.target,
           seconds=f"{config.time_limit:g}"))
    listener = RichListener(err)
    checkpoint = Checkpoint(checkpoint_folder(destination), {})
    try:
        with _sigterm_as_interrupt():
            predictor = run_training(frame, config, listener, checkpoint=checkpoint, resume=resume)
    except KeyboardInterrupt:
        if not resume:
            checkpoint.remove()  # stopped before any model was scored: nothing worth resuming
        raise
    _print_notices([n for n in predictor.notices if n not in listener.shown])  # the rest were shown live
    _print_leaderboard(predictor)
    from manabu.report import REPORT_FILE, predictor_report  # here: matplotlib is slow to import
    with err.status(t("cli.drawing_report")):
        report = predictor_report(predictor).encode("utf-8")
    with _interrupts_deferred() as interrupted:  # a model folder is saved whole or not at all
        saved = predictor.save(destination, overwrite=overwrite, derived={REPORT_FILE: report})
    if interrupted.is_set():
        _say(t("cli.interrupted_saving"))
    _say(t("cli.saved", path=str(saved)), console=out)
    _say(t("cli.report_written", path=str(saved / REPORT_FILE)), console=out)
    if predictor.record.interrupted and isinstance(data, str):
        _say(t("cli.resume_hint", data=data, target=config.target, path=str(saved)), console=out)
    if track is not None:
        from manabu.serve.tracking import track_run
        run, uri = track_run(predictor, saved, None if track == LOCAL_TRACKING else track)
        _say(t("tracking.tracked", run=run, uri=uri), console=out)
    _say(t("cli.next_predict", path=str(saved)), console=out)
    return predictor


@contextmanager
def _sigterm_as_interrupt():
    """SIGTERM (a scheduler or ``kill`` ending the job) stops the search like Ctrl-C does, so
    the best model so far is still saved."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        Terminated.received.set()
        raise Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
        Terminated.received.clear()


@app.command()
def predict(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="Model folder written by `manabu train`.")],
    data: Annotated[str, typer.Argument(metavar="DATA", help="Data to predict on (the target column may be absent).")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="CSV file to write (default: standard output).")] = None,
    table: Annotated[str | None, typer.Option(help="SQL table to read (with a database URL).")] = None,
    query: Annotated[str | None, typer.Option(help="SQL query to read (with a database URL).")] = None,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Add predictions (and class probabilities) to DATA and write them as CSV."""
    command(_predict)(model_dir, data, output, table=table, query=query, lang=lang, debug=debug)


def _predict(model_dir: Path, data: str, output: Path | None, *, table=None, query=None) -> None:
    """Predict chunk by chunk (CSV and Parquet stream), so that a file larger than memory can be
    scored; the rows go out as they are predicted, to a partial file renamed at the end."""
    from manabu.api import load
    from manabu.data.read import read_chunks

    predictor = load(model_dir)  # a trained model, or a clustering
    options = {name: value for name, value in (("table", table), ("query", query)) if value is not None}
    chunks = read_chunks(data, **options)
    _print_notices(chunks.notices)
    column = predictor.prediction_column

    def write(handle) -> int:
        rows = 0
        with _progress(t("cli.predicting"), chunks.total) as advance:
            for chunk in chunks:
                predictor.predict_frame(chunk).to_csv(handle, index=False, header=rows == 0)
                rows += len(chunk)
                advance(chunks.done())
        if rows == 0:
            raise DataError("data.no_rows", path=data, columns="-")
        return rows

    if output is None:
        write(sys.stdout)
        return
    written = []
    _write_atomically(output, lambda partial: written.append(_with_open(partial, write)))
    _say(t("cli.predicted", rows=written[0], path=str(output), column=column))


def _with_open(path: Path, write: Callable) -> int:
    with path.open("w", encoding="utf-8", newline="") as handle:
        return write(handle)


@contextmanager
def _progress(title: str, total: int):
    """A progress bar on standard error; yields ``advance(done)``. It disappears when done."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
                  TimeRemainingColumn(), console=err, transient=True) as progress:
        task = progress.add_task(title, total=max(total, 1))
        yield lambda done: progress.update(task, completed=done)


@app.command()
def report(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="Model folder written by `manabu train`.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="HTML file to write (default: MODEL_DIR/report.html).")] = None,
    lang: Lang = None,
    debug: Debug = False,
) -> None:
    """Rebuild the HTML report of a model: its data, the models compared, the chosen one's errors.

    The page holds Japanese and English; --lang picks the one shown first."""
    def run() -> None:
        from manabu.report import REPORT_FILE, report_for_folder, write_report
        with err.status(t("cli.drawing_report")):
            if output is None:
                try:
                    written = write_report(model_dir, lang=_language(lang))
                except OSError as error:  # a read-only model folder, say
                    raise _cannot_write(model_dir / REPORT_FILE, error) from None
            else:
                page = report_for_folder(model_dir, lang=_language(lang)).encode("utf-8")
                written = _write_atomically(output, lambda partial: partial.write_bytes(page))
        _say(t("cli.report_written", path=str(written)), console=out)
    command(run)(lang=lang, debug=debug)


@app.command("export-code")
def export_code(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="Model folder written by `manabu train`.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Python file to write (default: print the script).")] = None,
    lang: Lang = None,
    debug: Debug = False,
) -> None:
    """Write the best single model as a standalone Python script (pandas, scikit-learn, no manabu).

    The script reads the data, prepares it as manabu did, scores the model on the same folds
    and prints the score beside the leaderboard's."""
    def run() -> None:
        from manabu.export import script_for_folder
        script = script_for_folder(model_dir)
        if output is None:
            sys.stdout.write(script)
            return
        written = _write_atomically(output, lambda partial: partial.write_text(script, encoding="utf-8"))
        _say(t("cli.code_written", path=str(written)), console=out)
    command(run)(lang=lang, debug=debug)


@app.command()
def info(
    data: Annotated[str, typer.Argument(metavar="DATA", help="Data file (or a SQLAlchemy URL with --table/--query).")],
    target: Annotated[str | None, typer.Option("--target", "-t", help="Column to predict: shows its distribution and the task.")] = None,
    table: Annotated[str | None, typer.Option(help="SQL table to read.")] = None,
    query: Annotated[str | None, typer.Option(help="SQL query to read.")] = None,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Show rows, columns, inferred types, missing values and the target distribution."""
    command(_info)(data, target, table=table, query=query, lang=lang, debug=debug)


def _info(data: str, target: str | None, *, table=None, query=None) -> None:
    from manabu.data.read import read
    from manabu.data.schema import infer_schema
    from manabu.data.task import detect_task

    frame = read(data, table=table, query=query)
    schema = infer_schema(frame, target, where=frame.attrs["manabu_source"].get("path"))
    _say(t("cli.info_shape", rows=len(frame), columns=frame.shape[1]), console=out)
    table_ = Table(t("cli.col_column"), t("cli.col_type"), t("cli.col_role"), t("cli.col_missing"),
                   t("cli.col_unique"), t("cli.col_example"))
    for column in schema.columns:
        example = frame[column.name].dropna()
        kind = t(f"cli.type_{column.type}") + (f" ({column.language})" if column.language else "")
        table_.add_row(escape(column.name), kind, t(f"cli.role_{column.role}"),
                       f"{column.n_missing:,} ({column.n_missing / max(len(frame), 1):.0%})",
                       f"{column.n_unique:,}", escape(str(example.iloc[0])[:30]) if len(example) else "")
    out.print(table_)
    _print_notices(list(frame.attrs.get("manabu_notices", [])) + schema.notices)
    if target:
        task = detect_task(frame[target])
        _say(t("cli.info_task", target=target, task=t(f"cli.task_{task}")), console=out)
        if str(task) == "regression":
            _say(frame[target].describe().to_string(), console=out)
        else:
            counts = frame[target].value_counts(dropna=False)
            dist = Table(t("cli.col_class"), t("cli.col_count"), t("cli.col_share"))
            for label, count in counts.items():
                dist.add_row(escape(str(label)), f"{count:,}", f"{count / len(frame):.1%}")
            out.print(dist)


@app.command()
def quickstart(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Model folder to write.")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds for training.")] = 20.0,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Train on a real bundled data set (breast cancer diagnosis) to see manabu at work."""
    command(_quickstart)(output, time_limit, lang=lang, debug=debug)


def _quickstart(output: Path | None, time_limit: float) -> None:
    from manabu.data.datasets import load_quickstart

    frame, target, description = load_quickstart()
    _say(description.render(), console=out)
    config = TrainConfig(target=target, time_limit=time_limit)
    _train(frame, config, output, overwrite=False, name="quickstart")


# -- printing helpers -------------------------------------------------------------------------

LEADERBOARD_ROWS = 15  # the rest stay in the model folder (manifest.json, Predictor.leaderboard())


def _print_leaderboard(predictor) -> None:
    board = predictor.leaderboard()
    metric = predictor.metric
    table_ = Table(title=escape(t("cli.leaderboard_title", metric=metric,
                                  validation=predictor.record.validation_text.render())))
    for header in ("#", t("cli.col_model"), f"{metric}", "±", t("cli.col_fit_s"), t("cli.col_latency_ms"),
                   t("cli.col_status")):
        table_.add_column(header, justify="right" if header not in (t("cli.col_model"), t("cli.col_status")) else "left")
    shown = board.head(LEADERBOARD_ROWS)
    for row in shown.itertuples():
        score = "" if pd.isna(row.score) else f"{row.score:.4f}"
        std = "" if pd.isna(row.score_std) else f"{row.score_std:.4f}"
        rank = "" if pd.isna(row.rank) else str(int(row.rank))
        style = "bold green" if row.model == predictor.record.best_model else None
        latency = "" if pd.isna(row.latency_ms) else f"{row.latency_ms:.2f}"
        table_.add_row(rank, escape(row.model), score, std, f"{row.fit_seconds:.2f}", latency,
                       t(f"cli.status_{row.status}"), style=style)
    out.print(table_)
    if len(board) > len(shown):
        _say(t("cli.more_rows", n=len(board) - len(shown)), console=out)
    _say(t("cli.best", model=predictor.record.best_model, seconds=f"{predictor.record.seconds:.1f}"), console=out)


def _print_notices(notices: list[Message]) -> None:
    for notice in notices:
        _say(notice.render(), label="• ", style="yellow")


def _say(text: str, console: Console = err, *, label: str = "", style: str = "") -> None:
    """One message as one line: a terminal wraps it, a log or a pipe keeps it whole (and paths
    stay copyable). The text is shown as it is: brackets in a file or column name are not markup."""
    line = Text.assemble((label, style), text) if label else Text(text, style=style)
    console.print(line, soft_wrap=True, highlight=False)


@contextmanager
def _interrupts_deferred():
    """Hold Ctrl-C until the block ends, so a model folder is never left half-moved; yields an
    Event that says whether Ctrl-C was pressed meanwhile."""
    pressed = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.set())
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


def _split(value: str | None) -> tuple[str, ...] | None:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None


def _default_output(data) -> Path:
    """A new folder under ./manabu-models named after the data and the time (-2, -3 … when two
    runs start in the same second)."""
    stem = Path(str(data)).stem if not isinstance(data, pd.DataFrame) else "data"
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem) or "model"
    base = Path("manabu-models") / f"{stem}-{datetime.now():%Y%m%d-%H%M%S}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def _write_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """``write(partial)`` beside the target, then rename, so an interrupted run never leaves half
    a file; a place that cannot be written gets one clear message."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(partial)
        partial.replace(path)
    except OSError as error:  # a folder in the way, no permission, a full disk
        raise _cannot_write(path, error) from None
    finally:
        with suppress(OSError):
            partial.unlink(missing_ok=True)
    return path


def _cannot_write(path: Path, error: OSError) -> DataError:
    return DataError("cli.cannot_write", path=str(path), reason=error.strerror or str(error))


LOCAL_TRACKING = "local"  # `--track` without a URI: the local MLflow store


def main() -> None:
    app(args=_with_track_value(sys.argv[1:]))


from manabu import cli_ship  # noqa: E402,F401  (registers serve, registry, monitor, retrain, package)
from manabu import cli_text  # noqa: E402,F401  (registers tokenize and explain)
from manabu import cli_unsupervised  # noqa: E402,F401  (registers cluster, anomalies and reduce)


def _with_track_value(argv: list[str]) -> list[str]:
    """``--track`` alone (last, or before another option) means the local store: Typer's options
    take a value, so that one is filled in."""
    filled = []
    for i, arg in enumerate(argv):
        filled.append(arg)
        if arg == "--track" and (i + 1 == len(argv) or argv[i + 1].startswith("-")):
            filled.append(LOCAL_TRACKING)
    return filled


if __name__ == "__main__":  # python -m manabu.cli: run the imported module, which holds every command
    from manabu.cli import main as main_with_every_command
    main_with_every_command()
