"""The training report: its sections (summary, data, images per class, models, the chosen model's
errors, its most confidently wrong images, how its network trained, how it learns, where it looks
in images, text, notices) drawn from a training record alone, on the self-contained page of
``manabu.report.markup``: no network, both languages, printable.

Every sentence comes from the catalogues (``[report]`` in ``en.toml`` and ``ja.toml``) and is
written in both languages; a button switches which one shows, and ``lang`` picks the first.
Anything taken from the data (column names, categories, model names) is escaped here, once.
"""
from __future__ import annotations

import html
from typing import Any

from manabu.report import charts
from manabu.report.images import classes_section, saliency_section, wrong_section
from manabu.report.expression import expression_section
from manabu.report.learning import learning_section
from manabu.report.molecules import molecules_section
from manabu.report.network import network_section
from manabu.report.markup import both, explain, figure, message, number, page, panel, panels, section, table
from manabu.report.text import text_section
from manabu.training.timings import time_spent_parts

MAX_COLUMN_CHARTS = 24   # per-column distribution charts; the table lists every column kept
MAX_LEADERBOARD_BARS = 15
MAX_LEVEL_BARS = 12      # categories drawn per chart; the rest are one "other" bar


def render_report(record: dict[str, Any], lang: str) -> str:
    """The page for a training record (``TrainingRecord.to_dict()``), drawn from the report
    numbers it holds (``manabu.training.numbers``; none in a model saved before reports)."""
    report = record.get("report") or {}
    images = report.get("images")  # a classifier of images: its images, mistakes and saliency maps
    sections = [_summary(record), _data_section(report.get("profile")), classes_section(images),
                _models_section(record), _best_section(record, report.get("diagnostics")), wrong_section(images),
                network_section(report.get("network")),
                learning_section(report.get("learning"), report.get("shap"), measured="shap" in report),
                saliency_section(images), text_section(report.get("text")),
                molecules_section(report.get("molecules")), expression_section(report.get("expression")),
                _notices_section(record)]
    return page(f"manabu — {record.get('config', {}).get('target', '')}", sections, lang)


def _summary(record: dict[str, Any]) -> str:
    config = record.get("config", {})
    best = next((row for row in record.get("leaderboard", []) if row.get("model") == record.get("best_model")), {})
    facts = [
        ("report.target", html.escape(str(config.get("target", "")))),
        ("report.task", html.escape(str(record.get("task", "")))),
        ("report.rows", number(record.get("n_rows"))),
        ("report.metric", html.escape(str(record.get("metric", "")))),
        ("report.best_model", html.escape(str(record.get("best_model", "")))),
        ("report.best_score", number(best.get("score"))),
        ("report.validation", message(record.get("validation_text", {}))),
        ("report.seconds", number(record.get("seconds"), 3)),
    ]
    spent = time_spent_parts(record.get("timings"))
    if spent:
        facts.append(("time.title", " · ".join(both(key, **values) for key, values in spent)))
    items = "".join(f"<dt>{both(key)}</dt><dd>{value}</dd>" for key, value in facts)
    return section("summary", "report.summary_title", explain("report.summary_explain") + f"<dl>{items}</dl>")


def _data_section(profile: dict[str, Any] | None) -> str:
    if not profile:
        return section("data", "report.data_title", explain("report.data_missing"))
    parts = [explain("report.data_explain", rows=number(profile.get("n_rows")),
                     columns=number(profile.get("n_columns")))]
    warnings = profile.get("warnings") or []
    if warnings:
        items = "".join(f"<li>{both('report.warning_' + w['kind'], **_readable(w.get('params', {})))}</li>"
                        for w in warnings)
        parts.append(f'<div class="warnings"><h3>{both("report.warnings_title")}</h3><ul>{items}</ul></div>')
    columns = profile.get("columns") or []
    parts.append(f"<h3>{both('report.columns_title')}</h3>" + explain("report.columns_explain"))
    parts.append(table([both("report.column"), both("report.type"), both("report.missing"),
                        both("report.unique"), both("report.used")],
                       ([html.escape(str(c["name"])), html.escape(str(c["type"])),
                          f"{100 * (c.get('missing_fraction') or 0):.1f}%", number(c.get("n_unique")),
                          both("report.yes") if c.get("used") else
                          both("report.dropped_" + str(c.get("dropped_reason") or "other"))]
                         for c in columns)))
    missing = sorted((c for c in columns if c.get("missing_fraction")), key=lambda c: -c["missing_fraction"])[:20]
    if missing:
        parts.append(figure(charts.missing_bars([c["name"] for c in missing], [c["missing_fraction"] for c in missing]),
                            "report.missing_caption"))
    target, shown = profile.get("target"), []
    if target and target.get("distribution"):
        shown.append(panel(both("report.target_title"), explain("report.target_explain"), figure(
            _distribution_chart(target["distribution"], color=charts.PALETTE[1]), "report.target_caption",
            name=target.get("name", ""))))
    correlation = profile.get("correlation")
    if correlation and len(correlation.get("columns", [])) >= 2:
        shown.append(panel(both("report.correlation_title"), explain("report.correlation_explain"), figure(
            charts.heatmap(correlation["columns"], correlation["matrix"]), "report.correlation_caption")))
    parts.append(panels(shown))
    charted = [c for c in columns if c.get("distribution")][:MAX_COLUMN_CHARTS]
    if charted:
        parts.append(f"<h3>{both('report.distributions_title')}</h3>" + explain("report.distributions_explain"))
        figures = "".join(f'<figure>{_distribution_chart(c["distribution"])}<figcaption>{html.escape(str(c["name"]))}'
                          f"{_caption_note(c)}</figcaption></figure>" for c in charted)
        parts.append(f'<div class="grid">{figures}</div>')
        if len(columns) > len(charted):
            parts.append(explain("report.distributions_limited", shown=len(charted), total=len(columns)))
    return section("data", "report.data_title", "\n".join(parts))


def _readable(params: dict[str, Any]) -> dict[str, Any]:
    """Warning parameters as a reader wants them: shares as percentages, ratios rounded."""
    shown = dict(params)
    for name in ("share", "fraction"):
        if isinstance(shown.get(name), (int, float)):
            shown[name] = f"{100 * shown[name]:.1f}%"
    if isinstance(shown.get("ratio"), (int, float)):
        shown["ratio"] = f"{shown['ratio']:.1f}"
    return shown


def _caption_note(column: dict[str, Any]) -> str:
    kind = column["distribution"].get("kind")
    return f" ({both('report.text_length')})" if kind == "text_length" else ""


def _distribution_chart(distribution: dict[str, Any], color: str = charts.PALETTE[0]) -> str:
    if distribution.get("kind") == "levels":
        values, counts = distribution["values"], distribution["counts"]
        other = distribution.get("other", 0) + sum(counts[MAX_LEVEL_BARS:])  # a long tail reads better as one bar
        return charts.levels(values[:MAX_LEVEL_BARS], counts[:MAX_LEVEL_BARS], other, color=color)
    return charts.histogram(distribution["edges"], distribution["counts"], color=color)


def _models_section(record: dict[str, Any]) -> str:
    rows = record.get("leaderboard") or []
    parts = [explain("report.models_explain", metric=record.get("metric", ""))]
    scored = [r for r in rows if r.get("score") is not None][:MAX_LEADERBOARD_BARS]
    if scored:
        parts.append(figure(charts.bars([r["model"] for r in scored], [r["score"] for r in scored],
                                        [r.get("score_std") for r in scored], record.get("metric", ""),
                                        highlight=record.get("best_model", "")), "report.leaderboard_caption"))
    parts.append(table(
        ["#", both("report.model"), both("report.score"), "±", both("report.fit_seconds"),
         both("report.latency_ms"), both("report.status")],
        ([number(r.get("rank")), html.escape(str(r.get("model"))), number(r.get("score")),
          number(r.get("score_std"), 2), number(r.get("fit_seconds"), 3), number(r.get("latency_ms"), 3),
          html.escape(str(r.get("status")))] for r in rows), css="leaderboard"))
    return section("models", "report.models_title", "\n".join(parts))


def _best_section(record: dict[str, Any], diagnostics: dict[str, Any] | None) -> str:
    if not diagnostics or not diagnostics.get("n_rows"):
        return section("best", "report.best_title", explain("report.diagnostics_missing"))
    intro = explain("report.best_explain", model=record.get("best_model", ""), rows=number(diagnostics["n_rows"]))
    if record.get("task") == "regression":
        body = _regression(diagnostics)
    else:
        body = _classification(diagnostics)
    return section("best", "report.best_title", intro + body)


def _classification(d: dict[str, Any]) -> str:
    shown = []
    confusion = d.get("confusion")
    if confusion:
        shown.append(panel(both("report.confusion_title"), explain("report.confusion_explain"), figure(
            charts.heatmap(confusion["labels"], confusion["matrix"], signed=False, row_title="実際 / actual",
                           column_title="予測 / predicted"), "report.confusion_caption")))
    report = d.get("report")
    if report:
        classes = [c for c in report if isinstance(report[c], dict) and c not in ("macro avg", "weighted avg")]
        rows = [[html.escape(c), *(number(report[c].get(k), 3) for k in ("precision", "recall", "f1")),
                 number(report[c].get("support"))] for c in classes + ["macro avg", "weighted avg"] if c in report]
        shown.append(panel(both("report.class_report_title"),
                           explain("report.class_report_explain", accuracy=number(report.get("accuracy"), 4)),
                           table(["", "precision", "recall", "F1", "support"], rows)))
    shown.append(_curves(d.get("roc"), "fpr", "tpr", "report.roc", diagonal=True))
    shown.append(_curves(d.get("pr"), "recall", "precision", "report.pr"))
    calibration = d.get("calibration")
    if calibration and calibration.get("mean_predicted"):
        chart = charts.curves([("model", calibration["mean_predicted"], calibration["fraction_positive"])],
                              x_label="予測確率 / predicted probability", y_label="実際の割合 / observed share",
                              diagonal=True)
        shown.append(panel(both("report.calibration_title"), explain(
            "report.calibration_explain", brier=number(calibration.get("brier"), 4)),
            figure(chart, "report.calibration_caption")))
    threshold = d.get("threshold")
    if threshold and threshold.get("thresholds"):
        lines = [(name, threshold["thresholds"], threshold[name]) for name in ("precision", "recall", "f1")]
        shown.append(panel(both("report.threshold_title"), explain(
            "report.threshold_explain", best=number(threshold.get("best_f1_threshold"), 3)),
            figure(charts.curves(lines, x_label="しきい値 / threshold", y_label="", square=True),
                   "report.threshold_caption")))
    return panels(shown)


def _curves(block: dict[str, Any] | None, x: str, y: str, key: str, diagonal: bool = False) -> str:
    """ROC or precision-recall: one curve (binary) or one per class (multiclass)."""
    if not block:
        return ""
    if "curves" in block:
        lines = [(c["class"], c[x], c[y]) for c in block["curves"] if c.get(x)]
        each = [c.get("average_precision") for c in block["curves"] if c.get("average_precision") is not None]
        score = block.get("macro_auc", sum(each) / len(each) if each else None)  # PR: the mean over classes
    else:
        lines = [("model", block[x], block[y])] if block.get(x) else []
        score = block.get("auc", block.get("average_precision"))
    if not lines:
        return ""
    labels = {"fpr": "偽陽性率 / false positive rate", "tpr": "真陽性率 / true positive rate",
              "recall": "再現率 / recall", "precision": "適合率 / precision"}
    return panel(both(key + "_title"), explain(key + "_explain", score=number(score, 4)), figure(
        charts.curves(lines, x_label=labels[x], y_label=labels[y], diagonal=diagonal), key + "_caption"))


def _regression(d: dict[str, Any]) -> str:
    shown = []
    summary = d.get("summary") or {}
    points = d.get("points")
    if points and points.get("actual"):
        shown.append(panel(both("report.actual_title"), explain(
            "report.actual_explain", rmse=number(summary.get("rmse")), mae=number(summary.get("mae")),
            r2=number(summary.get("r2"), 3)), figure(charts.scatter(
                points["actual"], points["predicted"], x_label="実際 / actual", y_label="予測 / predicted",
                identity=True), "report.actual_caption")))
    residuals = d.get("residuals")
    if residuals and residuals.get("counts"):
        body = figure(charts.histogram(residuals["edges"], residuals["counts"]), "report.residuals_caption")
        by_predicted = d.get("by_predicted")
        if by_predicted and by_predicted.get("centers"):  # the same errors, against the prediction
            body += figure(charts.curves([("mean", by_predicted["centers"], by_predicted["mean"])],
                                         x_label="予測 / predicted", y_label="残差 / residual", square=False),
                           "report.bias_caption")
        shown.append(panel(both("report.residuals_title"), explain(
            "report.residuals_explain", mean=number(summary.get("mean_residual"))), body))
    return panels(shown)


def _notices_section(record: dict[str, Any]) -> str:
    notices = record.get("notices") or []
    if not notices:
        return ""
    items = "".join(f"<li>{message(n)}</li>" for n in notices)
    return section("notices", "report.notices_title", explain("report.notices_explain") + f"<ul>{items}</ul>")
