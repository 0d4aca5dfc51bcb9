"""The page of a multi-label model (``manabu.fit(target=[...])``): a row per label (the rows that
hold it, its share of positives, the chosen model, its validation ROC-AUC, the configurations of
the labels before it that its search opened with) and their mean, each label linking to its own
training report (the ``report.html`` of its folder under ``labels/``), with what masking the
missing labels, sharing the time limit and sharing the search mean, for a learner.

Everything comes from the model's record, so a model loaded from disk draws the same page.
"""
from __future__ import annotations

import html
from typing import Any

from manabu.base.i18n import get_language
from manabu.report.markup import both, explain, message, number, page, section, table

K = "multilabel_report."
S = "multilabel_sharing."
EQUAL_SHARES = "equal_with_carry"  # how models saved before the labels shared their search shared the time


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
    return section("summary", K + "title_summary", listed + masked + _sharing(record, len(entries)))


def _sharing(record: dict[str, Any], count: int) -> str:
    """How the labels shared the time limit, and (models saved since they did) their search and
    their validation."""
    limit = number(record.get("time_limit"), 3)
    if record.get("time_sharing", EQUAL_SHARES) == EQUAL_SHARES:
        return explain(K + "explain_time", count=count, limit=limit)
    folds = explain(S + "explain_folds") if record.get("label_folds") == 1 else ""
    described = explain(S + "explain_descriptors") if record.get("descriptors_left_out") else ""
    return explain(S + "explain_time", count=count, limit=limit) + explain(S + "explain_search") + folds + described


def _labels(record: dict[str, Any]) -> str:
    header = [both(K + key) for key in ("col_label", "col_rows_with", "col_positives", "col_model", "col_auc",
                                        "col_seconds")]
    opened = any("opened_with" in entry for entry in record["labels"])  # models saved since the labels shared
    if opened:
        header.append(both(S + "col_opened"))
    total = record["n_rows"]
    rows = [_row(entry, total) + ([_opened(entry)] if opened else []) for entry in record["labels"]]
    mean = [f"<strong>{both(K + 'mean_row')}</strong>", "", "", "",
            f"<strong>{_auc(record.get('mean_roc_auc'))}</strong>"]
    rows.append(mean + [""] * (len(header) - len(mean)))
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


def _opened(entry: dict[str, Any]) -> str:
    """The configurations of the labels before that a label's search tried first ("—" for the first)."""
    return html.escape(", ".join(entry.get("opened_with") or [])) or "—"


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
