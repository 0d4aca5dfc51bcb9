"""``manabu train DATA --target a,b,c``: several label columns at once, one search per label
(``training.multilabel``), with a table of the labels' scores at the end."""
from __future__ import annotations

import inspect
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from manabu.base.i18n import t
from manabu.cli.common import default_output, out, say


def train_labels(data: str, targets: list[str], arguments: dict, output: Path | None, overwrite: bool) -> None:
    """Train every label of ``targets`` with the options of ``manabu train`` that a multi-label
    fit takes (the others are refused by ``fit`` with a message naming them)."""
    from manabu.api import fit

    accepted = set(inspect.signature(fit).parameters) - {"data", "target", "output", "overwrite", "verbose"}
    options = {k: v for k, v in arguments.items() if k in accepted and v is not None}
    options["track"] = arguments.get("track")
    destination = output or default_output(data)
    model = fit(data, target=targets, output=destination, overwrite=overwrite, verbose=True, **options)
    _print_labels(model.record)
    from manabu.artifact import REPORT_FILE
    say(t("cli.saved", path=str(destination)), console=out)
    say(t("cli.report_written", path=str(Path(destination) / REPORT_FILE)), console=out)


def _print_labels(record: dict) -> None:
    table = Table(title=escape(t("multilabel_report.title_labels")))
    for header in ("multilabel_report.col_label", "multilabel_report.col_rows_with", "multilabel_report.col_model",
                   "multilabel_report.col_auc"):
        table.add_column(t(header), justify="left" if header.endswith(("label", "model")) else "right")
    for entry in record["labels"]:
        auc = "—" if entry.get("roc_auc") is None else f"{entry['roc_auc']:.4f}"
        table.add_row(escape(str(entry["label"])), f"{entry.get('rows', 0):,}", escape(str(entry.get("model", ""))), auc)
    mean = record.get("mean_roc_auc")
    table.add_row(t("multilabel_report.mean_row"), "", "", "—" if mean is None else f"{mean:.4f}", style="bold")
    out.print(table)
