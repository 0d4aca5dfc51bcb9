"""``manabu cluster`` on expression data (an ``.h5ad`` file or a 10x Genomics folder).

``manabu.cli.unsupervised``'s ``cluster`` hands such data here: the cells are clustered by
``manabu.unsupervised.cells``, the candidates and clusters are shown, the cells with their
clusters are written as an ``.h5ad`` and the record with its report as a folder. Only pathlib
and manabu's messages are imported at the top: a table goes on to the table clustering without
scanpy loading.
"""
from __future__ import annotations

import os
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from manabu.base.errors import ConfigError
from manabu.base.i18n import Message, t
from manabu.cli.common import err, out, print_notices, say

MATRIX_FILES = ("matrix.mtx", "matrix.mtx.gz")


def is_expression_data(data: str | os.PathLike) -> bool:
    """An ``.h5ad`` file, or a folder of 10x Genomics output (``matrix.mtx`` with its genes
    and barcodes); decided by name alone."""
    path = Path(data)
    if path.suffix.lower() == ".h5ad":
        return True
    return path.is_dir() and any((path / name).is_file() for name in MATRIX_FILES)


def cluster_cells_command(data: str, *, resolution: str, seed: int, output: Path | None, labels: Path | None,
                          overwrite: bool, table_options: bool) -> None:
    """What ``manabu cluster DATA`` does when DATA holds cells: cluster, show, write, save."""
    from manabu.artifact import REPORT_FILE
    from manabu.cli.common import default_output
    from manabu.unsupervised.cells_model import cluster_file

    if table_options:
        raise ConfigError("cells.table_options")
    with err.status(t("cells.step_read", path=data)) as status:
        model = cluster_file(data, resolution=resolution, seed=seed,
                             progress=lambda step: status.update(t(f"cells.step_{step}", path=data)))
    print_notices([Message(n["key"], n["params"]) for n in model.record["notices"]])
    _print_candidates(model.record)
    _print_clusters(model.record)
    written = model.write_h5ad(labels or Path(f"{Path(data).stem}-clusters.h5ad"), source=data, overwrite=overwrite)
    say(t("cells.written", path=str(written)), console=out)
    saved = model.save(output or default_output(f"cells-{Path(data).stem}"), overwrite=overwrite)
    say(t("cells.saved", path=str(saved)), console=out)
    say(t("cli.report_written", path=str(saved / REPORT_FILE)), console=out)


def _print_candidates(record: dict) -> None:
    choice = record["resolution"]
    table = Table(title=escape(t("cells.candidates_title", seeds=choice["seeds"])))
    for key in ("col_resolution", "col_clusters", "col_stability", "col_silhouette"):
        table.add_column(t(f"cells.{key}"), justify="right")
    for row in choice["candidates"]:
        silhouette = "—" if row["silhouette"] is None else f"{row['silhouette']:.3f}"
        table.add_row(f"{row['resolution']:g}", str(row["clusters"]), f"{row['stability']:.3f}", silhouette,
                      style="bold green" if row["chosen"] else None)
    out.print(table)
    chosen = next(row for row in choice["candidates"] if row["chosen"])
    key = "cells.resolution_given" if choice["given"] else "cells.resolution_chosen"
    say(t(key, resolution=f"{chosen['resolution']:g}", clusters=chosen["clusters"],
          stability=f"{chosen['stability']:.3f}",
          silhouette="—" if chosen["silhouette"] is None else f"{chosen['silhouette']:.3f}"), console=out)


def _print_clusters(record: dict) -> None:
    say(t("cells.found", k=len(record["clusters"]), cells=record["n_cells"], method=record["markers_method"]),
        console=out)
    for cluster in record["clusters"]:
        genes = ", ".join(m["gene"] for m in cluster["markers"]) or "—"
        say(t("cells.cluster_line", cluster=cluster["cluster"], size=cluster["size"], share=cluster["share"],
              markers=genes), console=out)
