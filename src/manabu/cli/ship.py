"""The commands that ship a model: serve, registry, monitor, retrain, package and export-onnx.

``manabu.cli`` imports this module to register them; they use the shared pieces of
``manabu.cli.common``: the app, the error handling of ``command``, the consoles and the atomic writer.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from manabu.base.errors import ConfigError
from manabu.base.i18n import t
from manabu.cli.common import (LEADERBOARD_ROWS, Debug, Lang, app, command, err, language, out, say,
                               sigterm_as_interrupt, write_atomically)

RegistryOption = Annotated[str | None, typer.Option(
    "--registry", envvar="MANABU_REGISTRY", show_default=False,
    help="Registry folder (SQLite) or database URL (default: ~/.manabu/registry).")]
StoreOption = Annotated[str | None, typer.Option(
    "--store", envvar="MANABU_REGISTRY_STORE", show_default=False,
    help="Folder of the registered model files (needed with a database URL).")]
Reason = Annotated[str | None, typer.Option("--reason", help="Why: kept in the registry's history.")]


@app.command()
def serve(
    model: Annotated[str, typer.Argument(metavar="MODEL_DIR|registry://NAME@STAGE",
                                         help="Model folder, or a registered version (registry://price@production).")],
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every network interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    token: Annotated[str | None, typer.Option(envvar="MANABU_TOKEN", show_default=False,
                                              help="Bearer token every route but /health requires.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (each holds the model).")] = 1,
    max_body_mb: Annotated[float, typer.Option(help="Largest request body, in megabytes.")] = 10.0,
    log_requests: Annotated[Path | None, typer.Option(
        help="Append the served rows and predictions to this JSON-lines file (for manabu monitor).")] = None,
    log_share: Annotated[float, typer.Option(help="Share of the rows logged with --log-requests.")] = 1.0,
    registry: RegistryOption = None, store: StoreOption = None,
    lang: Lang = None,
    debug: Debug = False,
) -> None:
    """Serve a model over HTTP: POST /predict (POST /segment for a segmentation model), GET /health,
    GET /metadata, documents at /docs."""
    def run() -> None:
        if workers < 1:
            raise ConfigError("serve.bad_workers", value=workers)
        if not max_body_mb > 0:
            raise ConfigError("serve.bad_body_limit", value=max_body_mb)
        from manabu.serve.server import check_port_free, load_app
        from manabu.serve.server import run as run_server
        check_port_free(host, port)
        model_dir, info = _model_to_serve(model, registry, store)
        served = load_app(model_dir, token, int(max_body_mb * 1024 * 1024), info,
                          str(log_requests) if log_requests else None, log_share)
        say(served.listening(f"http://{host}:{port}"), console=out)
        if not token:
            say(t("serve.no_token", host=host, port=port), style="yellow")
        run_server(served, host=host, port=port, workers=workers)
    command(run)(lang=lang, debug=debug)


def _model_to_serve(model: str, registry: str | None, store: str | None) -> tuple[Path, dict]:
    """A model folder as it is, or the checked folder of a registered version."""
    if not model.startswith("registry://"):
        return Path(model), {}
    version, folder = _registry(registry, store).resolve(model)
    return folder, {"registry_name": version.name, "registry_version": version.version, "stage": version.stage}


registry_app = typer.Typer(no_args_is_help=True, help="Versions of models: register, list, show, promote, roll back, delete.")
app.add_typer(registry_app, name="registry")


def _registry(location: str | None, store: str | None):
    from manabu.serve.registry import Registry
    return Registry(location, store=store)


@registry_app.command("register")
def registry_register(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="Model folder written by `manabu train`.")],
    name: Annotated[str, typer.Argument(metavar="NAME", help="The model's name in the registry.")],
    reason: Reason = None, registry: RegistryOption = None, store: StoreOption = None,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Register a model folder as the next version of NAME (copied, verified, read-only)."""
    def run() -> None:
        version = _registry(registry, store).register(model_dir, name, reason)
        say(t("registry.registered", label=version.label, path=str(model_dir)), console=out)
    command(run)(lang=lang, debug=debug)


@registry_app.command("list")
def registry_list(
    name: Annotated[str | None, typer.Argument(metavar="[NAME]", help="Only this model's versions.")] = None,
    registry: RegistryOption = None, store: StoreOption = None, lang: Lang = None, debug: Debug = False,
) -> None:
    """List the registered versions and their stages."""
    def run() -> None:
        opened = _registry(registry, store)
        found = opened.list(name)
        if not found:
            say(t("registry.none_yet", url=opened.shown_url), console=out)
            return
        _print_versions(found)
    command(run)(lang=lang, debug=debug)


@registry_app.command("show")
def registry_show(
    target: Annotated[str, typer.Argument(metavar="NAME[@VERSION|@STAGE]", help="e.g. price@production or price@3.")],
    registry: RegistryOption = None, store: StoreOption = None, lang: Lang = None, debug: Debug = False,
) -> None:
    """Show a model's versions (or one of them) and its history."""
    def run() -> None:
        opened = _registry(registry, store)
        name, _, which = target.partition("@")
        _print_versions([opened.version(name, which)] if which else opened.list(name))
        history = Table(title=escape(t("registry.history", name=name)))
        for header in ("at", "action", t("registry.col_version"), "from", "to", "reason", "by"):
            history.add_column(header)
        for event in opened.history(name):
            history.add_row(f"{event['at']:%Y-%m-%d %H:%M:%S}", event["action"], str(event["version"] or ""),
                            event["from_stage"] or "", event["to_stage"] or "", escape(event["reason"] or ""),
                            escape(event["actor"] or ""))
        out.print(history)
    command(run)(lang=lang, debug=debug)


@registry_app.command("promote")
def registry_promote(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    version: Annotated[int, typer.Argument(metavar="VERSION")],
    to: Annotated[str, typer.Option("--to", help="staging, production or archived.")] = "production",
    reason: Reason = None, registry: RegistryOption = None, store: StoreOption = None,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Move a version to a stage; the version in production before is archived."""
    def run() -> None:
        moved = _registry(registry, store).promote(name, version, to, reason)
        say(t("registry.promoted", label=moved.label, stage=moved.stage), console=out)
    command(run)(lang=lang, debug=debug)


@registry_app.command("rollback")
def registry_rollback(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    reason: Reason = None, registry: RegistryOption = None, store: StoreOption = None,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Put the previous production version of NAME back in production."""
    def run() -> None:
        back = _registry(registry, store).rollback(name, reason)
        say(t("registry.rolled_back", name=name, version=back.version), console=out)
    command(run)(lang=lang, debug=debug)


@registry_app.command("delete")
def registry_delete(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    version: Annotated[int, typer.Argument(metavar="VERSION")],
    reason: Reason = None, registry: RegistryOption = None, store: StoreOption = None,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Delete a version that is not in production, and its stored files."""
    def run() -> None:
        _registry(registry, store).delete(name, version, reason)
        say(t("registry.deleted", label=f"{name}@{version}"), console=out)
    command(run)(lang=lang, debug=debug)


def _print_versions(found) -> None:
    table_ = Table()
    for header in ("name", t("registry.col_version"), t("registry.col_stage"), "task", t("registry.col_score"),
                   t("registry.col_created"), t("registry.col_source")):
        table_.add_column(header)
    for version in found:
        score = f"{version.metric} {version.score}" if version.score else ""
        table_.add_row(escape(version.name), str(version.version), version.stage, version.task or "", score,
                       f"{version.created_at:%Y-%m-%d %H:%M}", escape(version.source or ""))
    out.print(table_)


EXIT_DRIFT = 1  # monitor found drift past the threshold (2 stays for a usage error)


@app.command()
def monitor(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="Model folder written by `manabu train`.")],
    data: Annotated[str, typer.Argument(metavar="NEW_DATA", help="New rows: a data file, or the request log of manabu serve.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="HTML drift report to write (default: drift.html).")] = None,
    threshold: Annotated[float, typer.Option(help="PSI from which a column or the predictions count as drifted.")] = 0.25,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Compare new data with the training data; exit 1 when drift passes --threshold.

    Per column: drift (PSI), missing values, unseen categories; and the predictions' drift. The
    exit status lets a pipeline stop on drift."""
    def run() -> None:
        from manabu.report.drift import render_drift
        from manabu.serve.monitor import drift_of
        result = drift_of(model_dir, data, threshold)
        page = render_drift(result, language(lang) or "en").encode("utf-8")
        written = write_atomically(output or Path("drift.html"), lambda partial: partial.write_bytes(page))
        _print_drift(result)
        say(t("monitor.written", path=str(written)), console=out)
        if result["drifted"] or result["prediction_drifted"]:
            raise typer.Exit(EXIT_DRIFT)
    command(run)(lang=lang, debug=debug)


def _print_drift(result: dict) -> None:
    from manabu.evaluate.drift import level
    from manabu.report.drift import verdict
    table_ = Table(title=escape(t("monitor.table_title", rows=f"{result['rows']:,}", threshold=result["threshold"])))
    for header in ("column", "PSI", "", "missing", "unseen"):
        table_.add_column(header)
    prediction = result.get("predictions")
    if prediction is not None:
        table_.add_row(t("monitor.prediction_row"), f"{prediction['psi']:.3f}", t(f"monitor.level_{level(prediction['psi'])}"),
                       "", "", style="bold red" if prediction["drifted"] else None)
    for row in result["columns"][:LEADERBOARD_ROWS]:
        table_.add_row(escape(row["column"]), "—" if row["psi"] is None else f"{row['psi']:.3f}",
                       t(f"monitor.level_{level(row['psi'])}"),
                       f"{row['missing_reference']:.1%} → {row['missing_now']:.1%}",
                       "" if row["unseen"] is None else f"{row['unseen']:.1%}",
                       style="bold red" if row["drifted"] else None)
    out.print(table_)
    key, params = verdict(result)
    say(t(key, **params), console=out)


@app.command()
def retrain(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A registered model with a version in production.")],
    data: Annotated[str, typer.Argument(metavar="NEW_DATA", help="New labelled rows.")],
    mode: Annotated[str, typer.Option(help="combined (the production model's training rows and the new ones) or new.")] = "combined",
    force: Annotated[bool, typer.Option(help="Promote the new version even when it is not better.")] = False,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Seconds for training (default: the production version's).")] = None,
    registry: RegistryOption = None, store: StoreOption = None,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Retrain a registered model on new data; promote the new version only if it is better.

    The production version's settings are used; both versions are scored on held-out new rows."""
    def run() -> None:
        from manabu.serve.retrain import retrain as run_retrain
        from manabu.training.progress import RichListener
        opened = _registry(registry, store)
        production = opened.version(name, "production")
        say(t("retrain.training", name=name, version=production.version, mode=mode))
        with sigterm_as_interrupt():
            result = run_retrain(opened, name, data, mode=mode, force=force, time_limit=time_limit,
                                 listener=RichListener(err))
        key = "retrain.promoted" if result.better else "retrain.forced" if result.promoted else "retrain.kept"
        say(t(key, label=result.version.label, metric=result.metric, candidate=f"{result.candidate_score:.4f}",
               production=f"{result.production_score:.4f}", version=result.production.version), console=out)
    command(run)(lang=lang, debug=debug)


@app.command("package")
def package_command(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="Model folder written by `manabu train`.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write: Dockerfile, requirements, start script, model.")],
    overwrite: Annotated[bool, typer.Option(help="Replace a folder written by manabu package before.")] = False,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Package a model with its server: a Dockerfile, pinned requirements and a start script."""
    def run() -> None:
        from manabu.serve.package import package
        written = package(model_dir, output, overwrite=overwrite)
        say(t("serve.packaged", path=str(written)), console=out)
    command(run)(lang=lang, debug=debug)


@app.command("export-onnx")
def export_onnx(
    model_dir: Annotated[Path, typer.Argument(metavar="MODEL_DIR", help="Model folder of an image network written by `manabu train`.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="ONNX file to write.")] = Path("model.onnx"),
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Write an image network as one ONNX file: normalisation, network, softmax (or the value).

    Its input: float32 images (batch, channels, height, width), as manabu prepares them.
    It is written only once ONNX Runtime answers as PyTorch does (within 1e-4)."""
    def run() -> None:
        from manabu.models.images.onnx import onnx_for_folder
        exported = onnx_for_folder(model_dir)
        written = write_atomically(output, lambda partial: partial.write_bytes(exported.data))
        say(t("onnx.written", path=str(written), shape=", ".join(map(str, exported.input_shape)),
              output=exported.output, images=exported.checked_images, difference=f"{exported.difference:.1g}"),
            console=out)
        if exported.classes is not None:
            say(t("onnx.classes", classes=", ".join(map(str, exported.classes))), console=out)
    command(run)(lang=lang, debug=debug)
