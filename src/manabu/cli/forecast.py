"""Forecasting on the command line: ``manabu forecast DATA --time COL --target COL --horizon H``
learns and saves a forecaster; ``manabu predict MODEL [HISTORY] --horizon H -o forecast.csv``
(``manabu.cli.train`` hands over to this module when the folder holds a forecaster) writes one
row per series and step.

The table is read and its series checked before the forecasting libraries load, so that a bad
time column or a gap is refused at once.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from manabu.base.i18n import t
from manabu.cli.common import (Debug, Lang, app, command, command_started, default_output, err, out, print_notices,
                               say, sigterm_as_interrupt, split, write_atomically)

LEADERBOARD_ROWS = 15


@app.command()
def forecast(
    data: Annotated[str, typer.Argument(metavar="DATA", help="Table of the history: one row per series and time.")],
    time: Annotated[str, typer.Option("--time", help="The column of dates or times.")],
    target: Annotated[str, typer.Option("--target", "-t", help="The column to forecast.")],
    horizon: Annotated[int, typer.Option("--horizon", "-H", help="How many steps ahead to forecast.")],
    id: Annotated[str | None, typer.Option("--id", help="The column naming the series, when the table holds several (long format).")] = None,
    freq: Annotated[str | None, typer.Option(help="Frequency (h, D, B, W-SUN, MS, QS, YS ...); default: read from the times.")] = None,
    fill: Annotated[str | None, typer.Option(help="Fill gaps and average repeated times: linear, previous or zero (default: stop and say where they are).")] = None,
    known: Annotated[str | None, typer.Option(help="Comma-separated covariates known in advance (their future values are given at predict time with --future); the other numeric columns are used as past values only.")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds for the whole search.")] = 60.0,
    windows: Annotated[int | None, typer.Option(help="Backtest windows of HORIZON steps at the end of the history (default: 3 to 10, one per ten horizons of the shortest series).")] = None,
    models: Annotated[str | None, typer.Option(help="Comma-separated models to try (default: all): naive, seasonal_naive, mean, drift, auto_ets, auto_theta, auto_arima, mstl, lightgbm, mlp, gru, lstm.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder to save the forecaster in (default: a new folder under ./manabu-models).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    overwrite: Annotated[bool, typer.Option(help="Replace the folder if it exists.")] = False,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Learn to forecast the next HORIZON steps of one series or many, scored on rolling-origin backtests."""
    def run() -> None:
        started = command_started()
        destination = output or default_output(data)
        if destination.exists() and not overwrite:
            from manabu.base.errors import ArtifactError
            raise ArtifactError("artifact.exists", path=str(destination))
        from manabu.data.read import read
        from manabu.forecasting.backtest import window_count
        from manabu.forecasting.panel import Columns, build_panel
        from manabu.forecasting.training import Settings, fit_panel, require_library

        require_library()  # before the data is read: a missing extra is said first
        frame = read(data)
        print_notices(frame.attrs.get("manabu_notices", []))
        columns = Columns(time, target, id, split(known) or ())
        panel, notices = build_panel(frame, columns, freq=freq, fill=fill, where=data)
        print_notices(notices)
        say(t("forecast_cli.plan", series=panel.n_series, freq=panel.freq, horizon=horizon,
              windows=window_count(panel, horizon, windows),
              seconds=f"{time_limit:g}", points=min(panel.lengths)))
        settings = Settings(horizon, time_limit, windows, seed, split(models))
        with sigterm_as_interrupt(), _family_progress() as show:
            model = fit_panel(panel, columns, settings, started, notices, show, fill=fill)
        print_notices([_notice(n) for n in model.record["notices"][len(notices):]])
        print_leaderboard(model.record)
        with err.status(t("cli.drawing_report")):
            saved = model.save(destination, overwrite=overwrite)
        from manabu.artifact import REPORT_FILE
        say(t("cli.saved", path=str(saved)), console=out)
        say(t("cli.report_written", path=str(saved / REPORT_FILE)), console=out)
        say(t("forecast_cli.next_predict", path=str(saved), horizon=horizon), console=out)
    command(run)(lang=lang, debug=debug)


class _family_progress:
    """A progress bar over the families, naming the one being backtested."""

    def __enter__(self):
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
                            TimeElapsedColumn(), console=err, transient=True)
        self.bar.__enter__()
        self.task = None
        return self.show

    def show(self, family: str, done: int, total: int) -> None:
        description = escape(t("forecast_cli.backtesting", family=family)) if family else t("forecast_cli.refitting")
        if self.task is None:
            self.task = self.bar.add_task(description, total=max(total, 1))
        self.bar.update(self.task, completed=done, description=description)

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)


def _notice(saved: dict):
    from manabu.base.i18n import Notice
    return Notice(saved["key"], dict(saved.get("params", {})))


def print_leaderboard(record: dict) -> None:
    """The families by backtest MASE, with their weight in the chosen forecast and the coverage."""
    table_ = Table(title=escape(t("forecast_cli.leaderboard_title", windows=record["windows"]["count"],
                                  horizon=record["horizon"])))
    for header in (t("cli.col_model"), "MASE", "sMAPE", "MAE", "RMSE", t("forecast_cli.col_weight"),
                   t("cli.col_fit_s"), t("cli.col_status")):
        text = header in (t("cli.col_model"), t("cli.col_status"))
        table_.add_column(header, justify="left" if text else "right", no_wrap=text)
    for row in record["leaderboard"][:LEADERBOARD_ROWS]:
        ok = row["status"] == "ok"
        cells = [f"{row[m]:.3f}" if ok else "" for m in ("mase", "smape", "mae", "rmse")]
        weight = f"{row.get('weight', 0):.2f}" if ok and row.get("weight") else ""
        table_.add_row(escape(row["family"]), *cells, weight, f"{row.get('seconds', 0):.1f}" if ok else "",
                       t(f"forecast_cli.status_{row['status']}"),
                       style="bold green" if row["family"] == record["chosen"] else None)
    out.print(table_)
    coverage = record["coverage"]
    say(t("forecast_cli.chosen", chosen=record["chosen"], mase=f"{record['scores']['mase']:.3f}",
          cover80=f"{coverage['0.8']['coverage']:.0%}", cover95=f"{coverage['0.95']['coverage']:.0%}",
          seconds=f"{record['seconds']:.1f}"), console=out)


def predict_forecast(model_dir: Path, history: str | None, output: Path | None, horizon: int | None,
                     future: str | None) -> None:
    """The forecast as CSV: one row per series and step, with the interval bounds; after the
    learnt history, or after HISTORY's rows appended to it."""
    from manabu.api import load
    from manabu.data.read import read

    new = read(history) if history else None
    ahead = read(future) if future else None
    model = load(model_dir)
    table = model.predict(horizon, history=new, future=ahead)
    if output is None:
        import sys
        table.to_csv(sys.stdout, index=False)
        return
    write_atomically(output, lambda partial: table.to_csv(partial, index=False))
    say(t("forecast_cli.predicted", rows=len(table), series=table.iloc[:, 0].nunique() if model.model.columns.id
          else 1, steps=len(table) // max(1, len(model.series)), path=str(output)))
