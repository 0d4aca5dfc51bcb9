"""The commands around a trained model: train, predict, report, export-code, info and quickstart.

``train`` runs ``manabu.api.TrainRun`` (what ``manabu.fit(..., output=...)`` runs) step by step
and shows each step: the progress, the leaderboard, where the model and its report were written.
The data is read before the training machinery is imported, so that a bad file is refused at once.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from manabu.base.errors import ConfigError, DataError
from manabu.base.i18n import t
from manabu.cli.common import (LEADERBOARD_ROWS, LOCAL_TRACKING, Debug, Lang, app, cannot_write, command,
                               command_started, default_output, err, folder_kind, language, out, print_notices,
                               progress,
                               say, sigterm_as_interrupt, split, write_atomically)
from manabu.cli.image_info import show_image_facts
from manabu.training.config import DEFAULT_TIME_LIMIT

if TYPE_CHECKING:
    from manabu.training.config import TrainConfig


@app.command()
def train(
    data: Annotated[str, typer.Argument(metavar="DATA", help="Training data: CSV/TSV/Parquet/Excel/JSON lines file, a folder of images with one sub-folder per class, or a SQLAlchemy URL with --table/--query.")],
    target: Annotated[str | None, typer.Option("--target", "-t", help="Column to predict (for a folder of images: its sub-folders' names, \"label\"); several label columns as \"a,b,c\" (one model each, rows missing a label still train the others).")] = None,
    masks: Annotated[Path | None, typer.Option("--masks", help="Folder of masks, one per image of the folder DATA, with the same name: train a U-Net to segment the images.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Model folder to write (default: a new folder under ./manabu-models).")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds for the whole command: reading, search, refit, the report and the save.")] = DEFAULT_TIME_LIMIT,
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
    image_model: Annotated[Path | None, typer.Option(help="A pretrained ResNet to transfer to the images: a torchvision/timm state dict (.safetensors, .pth), a Hugging Face folder, or a manabu image model.")] = None,
    device: Annotated[str, typer.Option(help="Where image networks train: auto (the GPU when there is one), cpu or cuda.")] = "auto",
    memory_limit: Annotated[str | None, typer.Option(metavar="SIZE", help="Memory the training may use, e.g. 4G or 512M (default: what it holds at the start and 80% of the memory free then); a model that would pass it is skipped.")] = None,
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
    arguments = {**locals(), "models": split(models)}

    def run():
        if masks is not None:  # segmentation: its own training and model folder
            from manabu.cli.segmentation import train_segmentation
            return train_segmentation(data, masks, output, time_limit=time_limit, seed=seed, overwrite=overwrite,
                                      device=device)
        if target is not None and "," in target:  # several labels: one search each
            from manabu.cli.multilabel import train_labels
            from manabu.training.multilabel import target_names
            return train_labels(data, target_names(target), arguments, output, overwrite)
        from manabu.api import config_of
        config = config_of(arguments)
        if resume and output is None:
            raise ConfigError("cli.resume_needs_output")
        train_and_show(data, config, output, overwrite, table=table, query=query, resume=resume, track=track)
    command(run)(lang=lang, debug=debug)


def train_and_show(data, config: TrainConfig, output: Path | None, overwrite: bool, *,
                   table: str | None = None, query: str | None = None, name: str | None = None,
                   resume: bool = False, track: str | None = None):
    """``manabu train``: the steps of ``TrainRun``, each shown as it comes (``TrainRun`` reads the
    data before it imports the search, so that a bad file is refused at once)."""
    from manabu.api import TrainRun
    from manabu.data.gene_matrix import column_count
    from manabu.training.progress import RichListener

    destination = output or default_output(name or (f"{data}-{table}" if table else data))
    tracking = None if track is None else True if track == LOCAL_TRACKING else track
    run = TrainRun(data, config, destination, overwrite=overwrite, resume=resume, table=table, query=query,
                   track=tracking, started=command_started())
    frame, config = run.frame, run.config  # the target named, or a folder of images' own
    say(t("cli.training", rows=len(frame), columns=column_count(frame), target=config.target,
          seconds=f"{config.time_limit:g}"))
    listener = RichListener(err)
    with sigterm_as_interrupt():
        predictor = run.train(listener)
    print_notices([n for n in predictor.notices if n not in listener.shown])  # the rest were shown live
    print_leaderboard(predictor)
    with err.status(t("cli.drawing_report")):
        run.draw_report()
    saved = run.save()
    if run.interrupted_while_saving:
        say(t("cli.interrupted_saving"))
    from manabu.artifact import REPORT_FILE
    say(t("cli.saved", path=str(saved)), console=out)
    say(t("cli.report_written", path=str(saved / REPORT_FILE)), console=out)
    if predictor.record.interrupted and isinstance(data, str):
        say(t("cli.resume_hint", data=data, target=config.target, path=str(saved)), console=out)
    tracked = run.track()
    if tracked is not None:
        run_id, uri = tracked
        say(t("tracking.tracked", run=run_id, uri=uri), console=out)
    say(t("cli.next_predict", path=str(saved)), console=out)
    return predictor


def print_leaderboard(predictor) -> None:
    """The first ``LEADERBOARD_ROWS`` rows of the leaderboard, the chosen model in green."""
    import pandas as pd

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
        say(t("cli.more_rows", n=len(board) - len(shown)), console=out)
    say(t("cli.best", model=predictor.record.best_model, seconds=f"{predictor.record.seconds:.1f}"), console=out)
    from manabu.training.timings import time_spent_parts  # after training: imported by then

    parts = time_spent_parts(predictor.record.timings)
    if parts:
        say(t("cli.time_spent", parts=" · ".join(t(key, **values) for key, values in parts)), console=out)


@app.command()
def predict(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="Model folder written by `manabu train`.")],
    data: Annotated[str | None, typer.Argument(metavar="DATA", help="Data to predict on (the target column may be absent); for a forecaster, optional new history appended to the learnt one.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="CSV file to write (default: standard output); for a segmentation model, the folder to write a PNG mask per image to.")] = None,
    table: Annotated[str | None, typer.Option(help="SQL table to read (with a database URL).")] = None,
    query: Annotated[str | None, typer.Option(help="SQL query to read (with a database URL).")] = None,
    horizon: Annotated[int | None, typer.Option("--horizon", "-H", help="For a forecaster: how many steps ahead (default: the trained horizon).")] = None,
    future: Annotated[str | None, typer.Option(help="For a forecaster with known covariates: their values over the horizon (one row per series and step).")] = None,
    env: Annotated[str | None, typer.Option(help="For an agent: the environment to replay it on (a Gymnasium id or path.py:Class; default: the one it learnt).")] = None,
    episodes: Annotated[int | None, typer.Option(help="For an agent: how many episodes to replay (default: 20).")] = None,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Add predictions (and class probabilities) to DATA and write them as CSV; for a forecaster, write the forecast."""
    command(_predict)(model_dir, data, output, table=table, query=query, horizon=horizon, future=future,
                      env=env, episodes=episodes, lang=lang, debug=debug)


def _predict(model_dir: Path, data: str | None, output: Path | None, *, table=None, query=None, horizon=None,
             future=None, env=None, episodes=None) -> None:
    """Predict chunk by chunk (CSV and Parquet stream), so that a file larger than memory can be
    scored; the rows go out as they are predicted, to a partial file renamed at the end. The data is
    opened first (a CSV or Parquet file only up to its first rows), so that a bad file is refused
    before the model and its libraries load."""
    kind = folder_kind(model_dir)
    if kind == "forecast":  # the next steps of every series
        from manabu.cli.forecast import predict_forecast
        return predict_forecast(model_dir, data, output, horizon, future)
    if kind == "rl":  # the agent replayed on new episodes beside a random agent
        from manabu.cli.rl_replay import replay
        return replay(model_dir, env, episodes, output)
    if data is None:
        raise ConfigError("cli.predict_needs_data", model=str(model_dir))
    if kind == "segmentation":  # a mask per image, written as PNG files
        from manabu.cli.segmentation import predict_masks
        return predict_masks(model_dir, data, output)
    from manabu.api import load
    from manabu.data.gene_matrix import without_gene_matrices
    from manabu.data.read import read_chunks

    options = {name: value for name, value in (("table", table), ("query", query)) if value is not None}
    chunks = read_chunks(data, **options)
    predictor = load(model_dir)  # a trained model, or a clustering
    print_notices(chunks.notices)
    column = predictor.prediction_column
    far: list[int] = []  # rows whose molecule is far from every training molecule, per chunk

    def write(handle) -> int:
        rows = 0
        with progress(t("cli.predicting"), chunks.total) as advance:
            for chunk in chunks:
                predicted = _with_similarity(predictor, chunk, predictor.predict_frame(chunk), far)
                without_gene_matrices(predicted).to_csv(handle, index=False, header=rows == 0)
                rows += len(chunk)
                advance(chunks.done())
        if rows == 0:
            raise DataError("data.no_rows", path=data, columns="-")
        return rows

    if output is None:
        _say_far(predictor, write(sys.stdout), far)
        return
    written = []
    write_atomically(output, lambda partial: written.append(_with_open(partial, write)))
    say(t("cli.predicted", rows=written[0], path=str(output), column=column))
    _say_far(predictor, written[0], far)


def _with_similarity(predictor, chunk, predicted, far: list[int]):
    """For a model of molecules, each SMILES column's similarity to its nearest training molecule
    beside the predictions (``Predictor.applicability``); ``far`` gets the chunk's far rows."""
    if not getattr(predictor, "molecules", None):
        return predicted
    from manabu.evaluate.applicability import FAR
    similarity = predictor.applicability(chunk)
    for name in similarity.columns:
        predicted[name] = similarity[name].to_numpy()
    far.append(int((similarity < FAR).any(axis=1).sum()))
    return predicted


def _say_far(predictor, rows: int, far: list[int]) -> None:
    """Say so when many predictions are extrapolations (molecules unlike the training ones)."""
    if not far or not rows:
        return
    from manabu.evaluate.applicability import FAR, FAR_NOTE_SHARE
    if sum(far) >= FAR_NOTE_SHARE * rows:
        columns = ", ".join(f"{name}_similarity" for name in predictor.molecules)
        say(t("molecules_report.far_rows", far=sum(far), rows=rows, share=f"{sum(far) / rows:.0%}", threshold=FAR,
              columns=columns), label="• ", style="yellow")


def _with_open(path: Path, write: Callable) -> int:
    with path.open("w", encoding="utf-8", newline="") as handle:
        return write(handle)


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
                    written = write_report(model_dir, lang=language(lang))
                except OSError as error:  # a read-only model folder, say
                    raise cannot_write(model_dir / REPORT_FILE, error) from None
            else:
                page = report_for_folder(model_dir, lang=language(lang)).encode("utf-8")
                written = write_atomically(output, lambda partial: partial.write_bytes(page))
        say(t("cli.report_written", path=str(written)), console=out)
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
        written = write_atomically(output, lambda partial: partial.write_text(script, encoding="utf-8"))
        say(t("cli.code_written", path=str(written)), console=out)
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
    from manabu.data.gene_matrix import column_count
    from manabu.data.read import read
    from manabu.data.schema import infer_schema
    from manabu.data.task import detect_task

    frame = read(data, table=table, query=query)
    schema = infer_schema(frame, target, where=frame.attrs["manabu_source"].get("path"))
    say(t("cli.info_shape", rows=len(frame), columns=column_count(frame)), console=out)
    table_ = Table(t("cli.col_column"), t("cli.col_type"), t("cli.col_role"), t("cli.col_missing"),
                   t("cli.col_unique"), t("cli.col_example"))
    for column in schema.columns:
        example = frame[column.name].dropna()
        kind = t(f"cli.type_{column.type}") + (f" ({column.language})" if column.language else "")
        table_.add_row(escape(column.name), kind, t(f"cli.role_{column.role}"),
                       f"{column.n_missing:,} ({column.n_missing / max(len(frame), 1):.0%})",
                       f"{column.n_unique:,}", escape(str(example.iloc[0])[:30]) if len(example) else "")
    out.print(table_)
    print_notices(list(frame.attrs.get("manabu_notices", [])) + schema.notices)
    show_image_facts(frame, schema, target)
    if target:
        task = detect_task(frame[target])
        say(t("cli.info_task", target=target, task=t(f"cli.task_{task}")), console=out)
        if str(task) == "regression":
            say(frame[target].describe().to_string(), console=out)
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
    from manabu.training.config import TrainConfig

    frame, target, description = load_quickstart()
    say(description.render(), console=out)
    config = TrainConfig(target=target, time_limit=time_limit)
    train_and_show(frame, config, output, overwrite=False, name="quickstart")
