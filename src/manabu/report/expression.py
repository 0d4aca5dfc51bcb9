"""The report's section on expression data (``evaluate.expression``): how the genes were prepared
for the chosen model, and the genes that matter per class, by the data (markers) and by the
model. Nothing for a model of other data."""
from __future__ import annotations

import html
from typing import Any

from manabu.report.markup import both, explain, number, panel, panels, section, table


def expression_section(expression: dict[str, Any] | None) -> str:
    if not expression:
        return ""
    parts = [explain("expression_report.explain", genes=number(expression.get("genes"))),
             _preparation(expression.get("preparation"))]
    if expression.get("skipped"):
        parts.append(explain("expression_report.skipped"))
    parts += [_markers(expression.get("markers")), _model_genes(expression.get("model_genes"))]
    return section("expression", "expression_report.title", "\n".join(p for p in parts if p))


def _preparation(facts: dict[str, Any] | None) -> str:
    if not facts:
        return explain("expression_report.no_preparation")
    steps = [explain("expression_report.counts", size=number(facts.get("library_size"), 0))
             if facts.get("counts") else explain("expression_report.not_counts"),
             explain("expression_report.kept", kept=number(facts.get("kept")), of=number(facts.get("of"))),
             explain("expression_report.scaled" if facts.get("scaled") else "expression_report.not_scaled")]
    if facts.get("components"):
        steps.append(explain("expression_report.components", components=number(facts["components"]),
                             explained=number(100 * float(facts.get("explained") or 0), 3)))
    return f"<h3>{both('expression_report.preparation_title')}</h3>" + "".join(steps)


def _markers(markers: dict[str, Any] | None) -> str:
    if not markers or not markers.get("classes"):
        return ""
    fold = any("log_fold_change" in row for rows in markers["classes"].values() for row in rows)
    header = [both("expression_report.gene"), both("expression_report.score"), both("expression_report.p_adjusted")]
    header += [both("expression_report.log_fold_change")] if fold else []
    shown = [panel(html.escape(name), "", table(header, [
        [html.escape(row["gene"]), number(row.get("score"), 3), number(row.get("p_adjusted"), 2)]
        + ([number(row.get("log_fold_change"), 3)] if fold else []) for row in rows], "genes"))
        for name, rows in markers["classes"].items()]
    method = "expression_report.wilcoxon" if markers.get("method") == "wilcoxon" else "expression_report.t_test"
    return (f"<h3>{both('expression_report.markers_title')}</h3>" + explain("expression_report.markers_explain")
            + explain(method) + panels(shown))


def _model_genes(found: dict[str, Any] | None) -> str:
    if not found:
        return ""
    header = [both("expression_report.gene"), both("expression_report.weight")]

    def rows(entries: list[dict[str, Any]]) -> list[list[str]]:
        return [[html.escape(e["gene"]), number(e.get("weight"), 3)] for e in entries]

    if found.get("source") == "coefficients":
        body = panels(panel(html.escape(name), "", table(header, rows(entries), "genes"))
                      for name, entries in (found.get("classes") or {}).items())
        text = explain("expression_report.model_coefficients")
    else:
        body = table(header, rows(found.get("overall") or []), "genes")
        text = explain("expression_report.model_importances")
    return f"<h3>{both('expression_report.model_title')}</h3>" + text + body
