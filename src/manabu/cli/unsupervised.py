"""The commands that learn without a target: cluster, anomalies and reduce.

Like ``manabu.cli.ship``, this module registers its commands on ``manabu.cli.common``'s app;
``manabu.cli`` imports it.
Each reads the data as ``train`` does, shows what it found, writes every row with its answer
(a cluster, a score, coordinates) and saves a model folder with its report.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from manabu.base.i18n import t
from manabu.cli.common import (Debug, Lang, app, command, default_output, err, out, print_notices, say,
                               write_atomically)

if TYPE_CHECKING:
    import pandas as pd


Seed = Annotated[int, typer.Option(help="Random seed.")]
Overwrite = Annotated[bool, typer.Option(help="Replace the folder if it exists.")]


def _read(data: str) -> pd.DataFrame:
    """The rows, with what reading them noticed (an encoding, a dropped line) said first."""
    from manabu.data.read import read
    frame = read(data)
    print_notices(frame.attrs.get("manabu_notices", []))
    return frame


@app.command()
def cluster(
    data: Annotated[str, typer.Argument(metavar="DATA", help="Data to group (every column is used; no target).")],
    k: Annotated[str, typer.Option("--k", help="Number of clusters, or auto (chosen by silhouette, Calinski-Harabasz and BIC).")] = "auto",
    method: Annotated[str, typer.Option(help="kmeans, gmm, hdbscan, dbscan or agglomerative.")] = "kmeans",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder to save the clustering in (default: a new folder under ./manabu-models).")] = None,
    labels: Annotated[Path | None, typer.Option(help="CSV of the rows with their cluster (default: DATA's name + -clusters.csv; for cells, an .h5ad: DATA's name + -clusters.h5ad).")] = None,
    resolution: Annotated[str, typer.Option(help="Cells (.h5ad, 10x folder): Leiden resolution, or auto (chosen by stability and silhouette).")] = "auto",
    seed: Seed = 0,
    overwrite: Overwrite = False,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Group similar rows (or cells: .h5ad, 10x folder) into clusters, say what sets each apart, and save the clustering."""
    def run() -> None:
        from manabu.cli.cells import cluster_cells_command, is_expression_data
        if is_expression_data(data):
            return cluster_cells_command(data, resolution=resolution, seed=seed, output=output, labels=labels,
                                         overwrite=overwrite, table_options=k != "auto" or method != "kmeans")
        frame = _read(data)  # first: a bad file is refused before scikit-learn loads
        from manabu.unsupervised.model import cluster as run_cluster
        with err.status(t("cluster.clustering", rows=len(frame), columns=frame.shape[1], method=method)):
            model = run_cluster(frame, k=k, method=method, seed=seed)
        _print_clusters(model.record)
        _write_rows(frame, {"cluster": model.labels_}, labels or Path(f"{Path(data).stem}-clusters.csv"))
        _save_with_report(model, output or default_output(f"cluster-{data}"), "cluster.saved", overwrite)
    command(run)(lang=lang, debug=debug)


def _print_clusters(record: dict) -> None:
    choice = record.get("k_choice")
    if choice:
        table_ = Table(title=escape(t("cluster.k_title")))
        for header in ("k", "silhouette", "Calinski-Harabasz", "BIC"):
            table_.add_column(header, justify="right")
        for row in choice["scores"]:
            table_.add_row(str(row["k"]), f"{row['silhouette']:.3f}", f"{row['calinski_harabasz']:,.0f}",
                           f"{row['bic']:,.0f}", style="bold green" if row["k"] == choice["k"] else None)
        out.print(table_)
        votes = choice["votes"]
        say(t("cluster.k_chosen", k=choice["k"], votes=sum(v == choice["k"] for v in votes.values()),
               silhouette=votes["silhouette"], ch=votes["calinski_harabasz"], bic=votes["bic"]), console=out)
    noise = t("cluster.noise", n=record["noise"]) if record.get("noise") else ""
    say(t("cluster.found", k=record["k"], method=record["method"], noise=noise), console=out)
    for profile in record["profiles"]:
        traits = "; ".join(_trait(trait) for trait in profile["traits"])
        say(t("cluster.cluster_line", cluster=profile["cluster"], size=profile["size"], share=profile["share"],
               traits=traits), console=out)


def _trait(trait: dict) -> str:
    if trait["kind"] == "category":
        return t("cluster.trait_category", column=trait["column"], value=trait["value"], share=trait["share"],
                 overall=trait["overall"])
    key = "cluster.trait_higher" if trait["shift"] > 0 else "cluster.trait_lower"
    return t(key, column=trait["column"], mean=trait["mean"], overall=trait["overall"], shift=trait["shift"])


@app.command()
def anomalies(
    data: Annotated[str, typer.Argument(metavar="DATA", help="Data to search for unusual rows.")],
    method: Annotated[str, typer.Option(help="ensemble, isolation_forest, lof or robust_covariance.")] = "ensemble",
    eval_label: Annotated[str | None, typer.Option(help="A column of known anomalies: kept out, used only to evaluate.")] = None,
    top: Annotated[int, typer.Option(help="How many of the most unusual rows to show.")] = 10,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder to save the detector in (default: a new folder under ./manabu-models).")] = None,
    scores: Annotated[Path | None, typer.Option(help="CSV of the rows with their anomaly score (default: DATA's name + -anomalies.csv).")] = None,
    seed: Seed = 0,
    overwrite: Overwrite = False,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Score how unusual each row is, show the most unusual ones and why, and save the detector."""
    def run() -> None:
        frame = _read(data)  # first: a bad file is refused before scikit-learn loads
        from manabu.unsupervised.model import anomalies as run_anomalies
        with err.status(t("anomalies.scoring", rows=len(frame))):
            model = run_anomalies(frame, method=method, eval_label=eval_label, top=top, seed=seed)
        _print_anomalies(model.record, eval_label)
        _write_rows(frame, {"anomaly_score": model.scores_}, scores or Path(f"{Path(data).stem}-anomalies.csv"))
        _save_with_report(model, output or default_output(f"anomalies-{data}"), "anomalies.saved", overwrite)
    command(run)(lang=lang, debug=debug)


def _print_anomalies(record: dict, eval_label: str | None) -> None:
    table_ = Table(title=escape(t("anomalies.top_title", n=len(record["top"]))))
    for header in (t("anomalies.col_row"), t("anomalies.col_score"), t("anomalies.col_why")):
        table_.add_column(header)
    for found in record["top"]:
        why = "; ".join(_why(reason) for reason in found["reasons"]) or t("anomalies.why_none")
        table_.add_row(str(found["row"]), f"{found['score']:.4f}", escape(why))
    out.print(table_)
    result = record.get("evaluation")
    if result:
        say(t("anomalies.evaluation", label=eval_label, value=result["anomaly_value"], anomalies=result["anomalies"],
               rows=result["rows"], roc_auc=result["roc_auc"], precision=result["precision_at_k"]), console=out)


def _why(reason: dict) -> str:
    if reason["kind"] == "missing":
        return t("anomalies.why_missing", column=reason["column"], share=reason["share"])
    if reason["kind"] == "category":
        return t("anomalies.why_category", column=reason["column"], value=reason["value"], share=reason["share"])
    return t("anomalies.why_number", column=reason["column"], value=reason["value"], distance=reason["distance"],
             median=reason["median"])


@app.command()
def reduce(
    data: Annotated[str, typer.Argument(metavar="DATA", help="Data whose many columns to see as a few.")],
    method: Annotated[str, typer.Option(help="pca (saved, projects new rows), umap or tsne (pictures).")] = "pca",
    dims: Annotated[int, typer.Option(help="Dimensions to keep.")] = 2,
    coordinates: Annotated[Path | None, typer.Option(help="CSV to write the rows with their coordinates to.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder to save the PCA in (default: a new folder under ./manabu-models).")] = None,
    seed: Seed = 0,
    overwrite: Overwrite = False,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """See many columns as a few: PCA with explained variance and loadings, UMAP or t-SNE."""
    def run() -> None:
        frame = _read(data)  # first: a bad file is refused before scikit-learn loads
        from manabu.unsupervised.model import reduce as run_reduce
        with err.status(t("reduce.reducing", rows=len(frame), columns=frame.shape[1], dims=dims, method=method)):
            model = run_reduce(frame, method=method, dims=dims, seed=seed)
        if model.record.get("components"):
            _print_components(model.record)
        if coordinates is not None or method != "pca":
            target = coordinates or Path(f"{Path(data).stem}-{method}.csv")
            _write_rows(frame, dict(zip(model.columns, model.embedding_.T)), target)
            if method != "pca":  # not saved as a model: its page goes beside the coordinates
                page = target.with_suffix(".html")
                write_atomically(page, lambda partial: partial.write_text(model.report(), encoding="utf-8"))
                say(t("cli.report_written", path=str(page)), console=out)
        if method == "pca":
            _save_with_report(model, output or default_output(f"reduce-{data}"), "reduce.saved", overwrite)
    command(run)(lang=lang, debug=debug)


def _save_with_report(model, destination: Path, saved_key: str, overwrite: bool) -> None:
    """Save an unsupervised model (its folder holds the report) and say where both are."""
    from manabu.artifact import REPORT_FILE
    saved = model.save(destination, overwrite=overwrite)
    say(t(saved_key, path=str(saved)), console=out)
    say(t("cli.report_written", path=str(saved / REPORT_FILE)), console=out)


def _write_rows(frame: pd.DataFrame, answers: dict, path: Path) -> None:
    """The rows as they were read, with the command's answer for each (a cluster, a score,
    coordinates) as new columns."""
    placed = frame.reset_index(drop=True).assign(**{name: list(values) for name, values in answers.items()})
    write_atomically(path, lambda partial: placed.to_csv(partial, index=False))
    say(t("cli.rows_written", path=str(path), columns=", ".join(answers)), console=out)


def _print_components(record: dict) -> None:
    table_ = Table(title=escape(t("reduce.pca_title")))
    for header in ("PC", "%", ""):
        table_.add_column(header)
    for component in record["components"]:
        weights = ", ".join(f"{escape(w['feature'])} {w['weight']:+.2f}" for w in component["loadings"])
        table_.add_row(str(component["component"]), f"{component['explained']:.1%}", weights)
    out.print(table_)
    say(t("reduce.pca_total", dims=len(record["components"]), total=record["explained_total"]), console=out)
