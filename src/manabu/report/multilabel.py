"""The page of a multi-label model (``manabu.fit(target=[...])``): a row per label (the rows that
hold it, its share of positives, the chosen model, its validation ROC-AUC) and their mean, each
label linking to its own training report (the ``report.html`` of its folder under ``labels/``),
with what masking the missing labels and sharing the time limit mean, for a learner.

Everything comes from the model's record, so a model loaded from disk draws the same page.
"""
from __future__ import annotations

import html
from typing import Any

from manabu.base.i18n import get_language
from manabu.report.markup import both, explain, message, number, page, section, table

K = "multilabel_report."


def multilabel_report(model: Any, lang: str | None = None) -> str:
    """The page of a ``MultiLabelPredictor`` (found by ``manabu.artifact.pages`` as "multilabel")."""
    record = model.record
    sections = [_summary(record), _labels(record), _notices(record.get("notices") or [])]
    return page("manabu multi-label", sections, lang or get_language())


def _summary(record: dict[str, Any]) -> str:
    entries = record["labels"]
    items = [("col_labels", number(len(entries))), ("col_rows", number(record["n_rows"])),
             ("col_mean", _auc(record.get("mean_roc_auc"))),
             ("col_time", f"{number(record.get('seconds'), 3)} / {number(record.get('time_limit'), 3)}")]
    listed = "<dl>" + "".join(f"<dt>{both(K + key)}</dt><dd>{value}</dd>" for key, value in items) + "</dl>"
    fewest = min(entries, key=lambda e: e["rows"])
    masked = explain(K + "explain_masked", label=fewest["label"], rows=f"{fewest['rows']:,}",
                     total=f"{record['n_rows']:,}")
    shared = explain(K + "explain_time", count=len(entries), limit=number(record.get("time_limit"), 3))
    return section("summary", K + "title_summary", listed + masked + shared)


def _labels(record: dict[str, Any]) -> str:
    header = [both(K + key) for key in ("col_label", "col_rows_with", "col_positives", "col_model", "col_auc",
                                        "col_seconds")]
    total = record["n_rows"]
    rows = [_row(entry, total) for entry in record["labels"]]
    rows.append([f"<strong>{both(K + 'mean_row')}</strong>", "", "", "",
                 f"<strong>{_auc(record.get('mean_roc_auc'))}</strong>", ""])
    intro = explain(K + "explain_labels")
    return section("labels", K + "title_labels", intro + table(header, rows) + explain(K + "explain_links"))


def _row(entry: dict[str, Any], total: int) -> list[str]:
    """One label: its name linking to its own page, its rows, its positives, model and score."""
    link = f'<a href="{html.escape(entry["folder"])}/report.html">{html.escape(str(entry["label"]))}</a>'
    rows = f"{entry['rows']:,} / {total:,}"
    positives = "—" if entry.get("positives") is None else f"{entry['positives']:.1%}"
    score = _auc(entry.get("roc_auc")) if entry.get("roc_auc") is not None else _other(entry)
    seconds = f"{number(entry.get('seconds'), 3)} / {number(entry.get('share_seconds'), 3)}"
    return [link, rows, positives, html.escape(str(entry["model"])), score, seconds]


def _auc(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def _other(entry: dict[str, Any]) -> str:
    """A label scored by another metric than ROC-AUC: its score, named."""
    if entry.get("score") is None:
        return "—"
    return f"{html.escape(str(entry['metric']))} {number(entry['score'], 4)}"


def _notices(notices: list[dict[str, Any]]) -> str:
    if not notices:
        return ""
    listed = "".join(f"<li>{message(n)}</li>" for n in notices)
    return section("notices", K + "title_notices", f'<div class="warnings"><ul>{listed}</ul></div>')
