"""The report's section on how the chosen model learns and which columns it relies on: the
learning curve and its verdict, permutation importance and partial dependence (of a model
fitted on the first fold, ``manabu.evaluate.learning``), and SHAP values of the model kept,
whatever it is (``manabu.evaluate.explain``)."""
from __future__ import annotations

import html
from typing import Any

from manabu.report import charts
from manabu.report.markup import both, explain, figure, number, panel, panels, section

SHAP_AXIS = {"share": "割合 / share", "probability": "平均 |SHAP|（確率）/ mean |SHAP| (probability)",
             "value": "平均 |SHAP| / mean |SHAP|", "raw": "平均 |SHAP| / mean |SHAP|"}


def learning_section(learning: dict[str, Any] | None, shap: dict[str, Any] | None = None,
                     measured: bool = True) -> str:
    """The learning curve with its verdict, and the columns the model relies on: permutation
    importance and partial dependence (of the fold's model), SHAP values (of the model kept,
    ``report["shap"]``, None where they failed; a record saved before it, ``measured`` False,
    has TreeSHAP in ``learning``, or none)."""
    if not learning and not shap:
        return section("learning", "report.learning_title", explain("report.learning_missing"))
    parts, shown = [], []
    if not learning:
        parts.append(explain("report.learning_missing"))
    elif "skipped_seconds" in learning:
        parts.append(explain("report.learning_skipped", model=learning["model"], seconds=learning["skipped_seconds"]))
    else:
        shown = _learning_panels(learning)
    if shap is not None:
        shown.append(_shap_panel(shap))
    elif measured:
        shown.append(panel(both("report.shap_title"), explain("report.shap_failed"), ""))
    elif learning and "skipped_seconds" not in learning:
        shown.append(_saved_shap_panel(learning.get("shap"), learning["model"]))
    parts.append(panels(shown))
    parts.append(_dependence((learning or {}).get("dependence") or []))
    return section("learning", "report.learning_title", "\n".join(p for p in parts if p))


def _learning_panels(learning: dict[str, Any]) -> list[str]:
    """The learning curve with its verdict, and the permutation importance."""
    curve, metric = learning["curve"], learning.get("metric", "")
    lines = [("train / 学習", curve["rows"], curve["train"]), ("validation / 検証", curve["rows"], curve["valid"])]
    body = figure(charts.curves(lines, x_label="学習に使った行数 / training rows", y_label=metric,
                                square=False, log_x=True), "report.learning_caption")
    if curve.get("verdict"):
        body += f'<div class="verdict">{both("report.verdict_" + curve["verdict"], "p")}</div>'
    shown = [panel("", explain("report.learning_explain", model=learning["model"], metric=metric), body)]
    importance = learning.get("importance")
    if importance and importance.get("columns"):
        chart = charts.bars(importance["columns"], importance["mean"], importance["std"],
                            f"{metric} の悪化 / drop in {metric}", from_zero=True)
        shown.append(panel(both("report.importance_title"), explain(
            "report.importance_explain", rows=number(importance.get("rows")), metric=metric),
            figure(chart, "report.importance_caption")))
    return shown


def _shap_panel(shap: dict[str, Any]) -> str:
    """SHAP values of the model kept: TreeSHAP, KernelSHAP on a sample, or an ensemble's
    members weighted as it weighs them; how they were measured is said with them."""
    if shap.get("skipped_images"):  # images: the saliency maps stand in their place
        return panel("", explain("report_images.shap_replaced"), "")
    title, model = both("report.shap_title"), shap.get("model", "")
    if "skipped_seconds" in shap:
        return panel(title, explain("report.shap_skipped", model=model, seconds=shap["skipped_seconds"]), "")
    if "skipped_columns" in shap:
        return panel(title, explain("report.shap_too_wide", model=model, columns=number(shap["skipped_columns"])), "")
    method, unit = shap.get("method"), shap.get("unit", "raw")
    if method == "ensemble":
        members = "".join(f"<li>{_measured(m)}</li>" for m in shap.get("members") or [])
        text = explain("report.shap_explain_ensemble") + f'<ul class="explain">{members}</ul>'
    elif method == "kernel":
        text = explain("report.shap_explain_kernel", model=model, rows=number(shap.get("rows")),
                       background=number(shap.get("background")))
    else:
        text = explain("report.shap_explain_tree", model=model, rows=number(shap.get("rows")))
    chart = charts.bars(shap["columns"], shap["mean_abs"], [None] * len(shap["columns"]), SHAP_AXIS.get(unit, ""),
                        from_zero=True)
    return panel(title, text, figure(chart, "report.shap_caption" if unit == "raw" else f"report.shap_caption_{unit}"))


def _measured(member: dict[str, Any]) -> str:
    """How one member of an ensemble was explained, and its weight."""
    how = "tree" if member["method"] == "tree" else "kernel"
    return both(f"report.shap_member_{how}", model=member["model"], weight=f"{member['weight']:g}",
                rows=number(member.get("rows")), background=number(member.get("background")))


def _saved_shap_panel(shap: dict[str, Any] | None, model: str) -> str:
    """A record saved before SHAP values of every model: TreeSHAP of the fold's boosting model,
    or the reason there is none."""
    title = both("report.shap_title")
    if not shap or not shap.get("columns"):
        return panel(title, explain("report.shap_absent", model=model), "")
    chart = charts.bars(shap["columns"], shap["mean_abs"], [None] * len(shap["columns"]), "平均 |SHAP| / mean |SHAP|",
                        from_zero=True)
    return panel(title, explain("report.shap_explain", rows=number(shap.get("rows"))),
                 figure(chart, "report.shap_caption"))


def _dependence(dependence: list[dict[str, Any]]) -> str:
    """Partial dependence of the top columns, a small chart each."""
    shown = [d for d in dependence if d.get("grid")]
    if not shown:
        return ""
    label = "予測 / prediction" if not shown[0].get("outputs") else "確率 / probability"
    figures = "".join(
        f'<figure>{charts.dependence(d["grid"], d["average"], d.get("outputs"), categorical=d["categorical"], y_label=label)}'
        f'<figcaption>{html.escape(str(d["column"]))}</figcaption></figure>' for d in shown)
    return (f"<h3>{both('report.dependence_title')}</h3>" + explain("report.dependence_explain")
            + f'<div class="grid">{figures}</div>')
