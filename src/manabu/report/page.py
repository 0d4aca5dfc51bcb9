"""The report as one self-contained HTML page: no network, both languages, printable.

Every sentence comes from the catalogues (``[report]`` in ``en.toml`` and ``ja.toml``) and is
written in both languages; a button switches which one shows, and ``lang`` picks the first.
Anything taken from the data (column names, categories, model names) is escaped here, once.
"""
from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from manabu.base.i18n import LANGUAGES, t
from manabu.report import charts

MAX_COLUMN_CHARTS = 24   # per-column distribution charts; the table lists every column kept
MAX_LEADERBOARD_BARS = 15
MAX_LEVEL_BARS = 12      # categories drawn per chart; the rest are one "other" bar
_EMBEDDED_FONT = "manabu-ja"


def render_report(record: dict[str, Any], lang: str) -> str:
    """The page for a training record (``TrainingRecord.to_dict()``), drawn from the report
    numbers it holds (``manabu.training.numbers``; none in a model saved before reports)."""
    from manabu.report.text import text_section  # here: that module draws on this one's helpers
    report = record.get("report") or {}
    sections = [_summary(record), _data_section(report.get("profile")), _models_section(record),
                _best_section(record, report.get("diagnostics")), _learning_section(report.get("learning")),
                text_section(report.get("text")), _notices_section(record)]
    return page(f"manabu — {record.get('config', {}).get('target', '')}", sections, lang)


def page(title: str, sections: list[str], lang: str, footer_key: str = "report.footer") -> str:
    """One self-contained page: the sections, the language switch, the embedded Japanese font."""
    body = "\n".join(section for section in sections if section)
    title = html.escape(title)
    footer, switch = _both(footer_key, when=_now()), _switch()
    style = _font_face(title + body + footer + switch) + _STYLE
    return _PAGE.format(lang=lang if lang in LANGUAGES else "en", title=title, style=style, script=_SCRIPT,
                        switch=switch, body=body, footer=footer)


def _font_face(text: str) -> str:
    """The bundled Japanese font (the charts' IPAexGothic), cut down to the characters of this
    page and embedded, first in the font list: a reader whose machine has no Japanese font (a
    bare Linux server) still sees text, not boxes. It holds no Latin letters, which come from
    the reader's own font. (Placed last, Chromium drew boxes for the text at some sizes.)"""
    wide = {ord(c) for c in re.sub(r"<svg.*?</svg>", "", text, flags=re.S) if ord(c) >= 0x2E80}
    font = charts.japanese_font_file()
    if not wide or font is None:
        return ""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]
    options.hinting = False  # smaller; browsers hint outlines themselves
    cut = TTFont(str(font))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wide)
    subsetter.subset(cut)
    buffer = io.BytesIO()
    cut.flavor = "woff"  # zlib-compressed; WOFF2 would need brotli
    cut.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'@font-face {{ font-family: "{_EMBEDDED_FONT}"; src: url(data:font/woff;base64,{data}) format("woff"); }}\n'


# ------------------------------------------------------------------------------ text helpers

def _both(key: str, tag: str = "span", **params: Any) -> str:
    """The catalogue text of ``key`` in every language, each in an element the switch shows or
    hides; parameters are escaped, the catalogue's own markup is kept."""
    safe = {name: html.escape(str(value)) for name, value in params.items()}
    return "".join(f'<{tag} lang="{lang}">{t(key, lang, **safe)}</{tag}>' for lang in LANGUAGES)


def _message(message: dict[str, Any], tag: str = "span") -> str:
    """A saved Message (its ``en`` and ``ja`` renderings), escaped."""
    return "".join(f'<{tag} lang="{lang}">{html.escape(str(message.get(lang, "")))}</{tag}>' for lang in LANGUAGES)


def _explain(key: str, **params: Any) -> str:
    return f'<div class="explain">{_both(key, "p", **params)}</div>'


def _section(anchor: str, title_key: str, content: str) -> str:
    return f'<section id="{anchor}"><h2>{_both(title_key)}</h2>\n{content}\n</section>'


def _figure(svg: str, caption_key: str, **params: Any) -> str:
    return f'<figure>{svg}<figcaption>{_both(caption_key, **params)}</figcaption></figure>'


def _table(header: list[str], rows: Iterable[list[str]], css: str = "") -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _number(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return html.escape(str(value))
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}g}" if abs(value) < 1e5 else f"{value:,.0f}"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _switch() -> str:
    return ('<nav class="switch" aria-label="language">'
            '<button type="button" data-lang="ja">日本語</button>'
            '<button type="button" data-lang="en">English</button></nav>')


# ---------------------------------------------------------------------------------- sections

def _summary(record: dict[str, Any]) -> str:
    config = record.get("config", {})
    best = next((row for row in record.get("leaderboard", []) if row.get("model") == record.get("best_model")), {})
    facts = [
        ("report.target", html.escape(str(config.get("target", "")))),
        ("report.task", html.escape(str(record.get("task", "")))),
        ("report.rows", _number(record.get("n_rows"))),
        ("report.metric", html.escape(str(record.get("metric", "")))),
        ("report.best_model", html.escape(str(record.get("best_model", "")))),
        ("report.best_score", _number(best.get("score"))),
        ("report.validation", _message(record.get("validation_text", {}))),
        ("report.seconds", _number(record.get("seconds"), 3)),
    ]
    items = "".join(f"<dt>{_both(key)}</dt><dd>{value}</dd>" for key, value in facts)
    return _section("summary", "report.summary_title", _explain("report.summary_explain") + f"<dl>{items}</dl>")


def _data_section(profile: dict[str, Any] | None) -> str:
    if not profile:
        return _section("data", "report.data_title", _explain("report.data_missing"))
    parts = [_explain("report.data_explain", rows=_number(profile.get("n_rows")),
                      columns=_number(profile.get("n_columns")))]
    warnings = profile.get("warnings") or []
    if warnings:
        items = "".join(f"<li>{_both('report.warning_' + w['kind'], **_readable(w.get('params', {})))}</li>"
                        for w in warnings)
        parts.append(f'<div class="warnings"><h3>{_both("report.warnings_title")}</h3><ul>{items}</ul></div>')
    columns = profile.get("columns") or []
    parts.append(f"<h3>{_both('report.columns_title')}</h3>" + _explain("report.columns_explain"))
    parts.append(_table([_both("report.column"), _both("report.type"), _both("report.missing"),
                         _both("report.unique"), _both("report.used")],
                        ([html.escape(str(c["name"])), html.escape(str(c["type"])),
                          f"{100 * (c.get('missing_fraction') or 0):.1f}%", _number(c.get("n_unique")),
                          _both("report.yes") if c.get("used") else
                          _both("report.dropped_" + str(c.get("dropped_reason") or "other"))]
                         for c in columns)))
    missing = sorted((c for c in columns if c.get("missing_fraction")), key=lambda c: -c["missing_fraction"])[:20]
    if missing:
        parts.append(_figure(charts.missing_bars([c["name"] for c in missing], [c["missing_fraction"] for c in missing]),
                             "report.missing_caption"))
    target = profile.get("target")
    if target and target.get("distribution"):
        parts.append(f"<h3>{_both('report.target_title')}</h3>" + _explain("report.target_explain"))
        parts.append(_figure(_distribution_chart(target["distribution"], color=charts.PALETTE[1]),
                             "report.target_caption", name=target.get("name", "")))
    charted = [c for c in columns if c.get("distribution")][:MAX_COLUMN_CHARTS]
    if charted:
        parts.append(f"<h3>{_both('report.distributions_title')}</h3>" + _explain("report.distributions_explain"))
        figures = "".join(f'<figure>{_distribution_chart(c["distribution"])}<figcaption>{html.escape(str(c["name"]))}'
                          f"{_caption_note(c)}</figcaption></figure>" for c in charted)
        parts.append(f'<div class="grid">{figures}</div>')
        if len(columns) > len(charted):
            parts.append(_explain("report.distributions_limited", shown=len(charted), total=len(columns)))
    correlation = profile.get("correlation")
    if correlation and len(correlation.get("columns", [])) >= 2:
        parts.append(f"<h3>{_both('report.correlation_title')}</h3>" + _explain("report.correlation_explain"))
        parts.append(_figure(charts.heatmap(correlation["columns"], correlation["matrix"]), "report.correlation_caption"))
    return _section("data", "report.data_title", "\n".join(parts))


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
    return f" ({_both('report.text_length')})" if kind == "text_length" else ""


def _distribution_chart(distribution: dict[str, Any], color: str = charts.PALETTE[0]) -> str:
    if distribution.get("kind") == "levels":
        values, counts = distribution["values"], distribution["counts"]
        other = distribution.get("other", 0) + sum(counts[MAX_LEVEL_BARS:])  # a long tail reads better as one bar
        return charts.levels(values[:MAX_LEVEL_BARS], counts[:MAX_LEVEL_BARS], other, color=color)
    return charts.histogram(distribution["edges"], distribution["counts"], color=color)


def _models_section(record: dict[str, Any]) -> str:
    rows = record.get("leaderboard") or []
    parts = [_explain("report.models_explain", metric=record.get("metric", ""))]
    scored = [r for r in rows if r.get("score") is not None][:MAX_LEADERBOARD_BARS]
    if scored:
        parts.append(_figure(charts.bars([r["model"] for r in scored], [r["score"] for r in scored],
                                         [r.get("score_std") for r in scored], record.get("metric", ""),
                                         highlight=record.get("best_model", "")), "report.leaderboard_caption"))
    parts.append(_table(
        ["#", _both("report.model"), _both("report.score"), "±", _both("report.fit_seconds"),
         _both("report.latency_ms"), _both("report.status")],
        ([_number(r.get("rank")), html.escape(str(r.get("model"))), _number(r.get("score")),
          _number(r.get("score_std"), 2), _number(r.get("fit_seconds"), 3), _number(r.get("latency_ms"), 3),
          html.escape(str(r.get("status")))] for r in rows), css="leaderboard"))
    return _section("models", "report.models_title", "\n".join(parts))


def _best_section(record: dict[str, Any], diagnostics: dict[str, Any] | None) -> str:
    if not diagnostics or not diagnostics.get("n_rows"):
        return _section("best", "report.best_title", _explain("report.diagnostics_missing"))
    intro = _explain("report.best_explain", model=record.get("best_model", ""), rows=_number(diagnostics["n_rows"]))
    if record.get("task") == "regression":
        body = _regression(diagnostics)
    else:
        body = _classification(diagnostics)
    return _section("best", "report.best_title", intro + body)


def _classification(d: dict[str, Any]) -> str:
    parts = []
    confusion = d.get("confusion")
    if confusion:
        parts.append(f"<h3>{_both('report.confusion_title')}</h3>" + _explain("report.confusion_explain"))
        parts.append(_figure(charts.heatmap(confusion["labels"], confusion["matrix"], signed=False,
                                            row_title="実際 / actual", column_title="予測 / predicted"),
                             "report.confusion_caption"))
    report = d.get("report")
    if report:
        classes = [c for c in report if isinstance(report[c], dict) and c not in ("macro avg", "weighted avg")]
        rows = [[html.escape(c), *(_number(report[c].get(k), 3) for k in ("precision", "recall", "f1")),
                 _number(report[c].get("support"))] for c in classes + ["macro avg", "weighted avg"] if c in report]
        parts.append(f"<h3>{_both('report.class_report_title')}</h3>" + _explain("report.class_report_explain",
                                                                                  accuracy=_number(report.get("accuracy"), 4)))
        parts.append(_table(["", "precision", "recall", "F1", "support"], rows))
    parts.append(_curves(d.get("roc"), "fpr", "tpr", "report.roc", diagonal=True))
    parts.append(_curves(d.get("pr"), "recall", "precision", "report.pr"))
    calibration = d.get("calibration")
    if calibration and calibration.get("mean_predicted"):
        parts.append(f"<h3>{_both('report.calibration_title')}</h3>" + _explain("report.calibration_explain",
                                                                                 brier=_number(calibration.get("brier"), 4)))
        parts.append(_figure(charts.curves([("model", calibration["mean_predicted"], calibration["fraction_positive"])],
                                           x_label="予測確率 / predicted probability",
                                           y_label="実際の割合 / observed share", diagonal=True),
                             "report.calibration_caption"))
    threshold = d.get("threshold")
    if threshold and threshold.get("thresholds"):
        parts.append(f"<h3>{_both('report.threshold_title')}</h3>" + _explain(
            "report.threshold_explain", best=_number(threshold.get("best_f1_threshold"), 3)))
        lines = [(name, threshold["thresholds"], threshold[name]) for name in ("precision", "recall", "f1")]
        parts.append(_figure(charts.curves(lines, x_label="しきい値 / threshold", y_label="", square=True),
                             "report.threshold_caption"))
    return "\n".join(p for p in parts if p)


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
    return (f"<h3>{_both(key + '_title')}</h3>" + _explain(key + "_explain", score=_number(score, 4))
            + _figure(charts.curves(lines, x_label=labels[x], y_label=labels[y], diagonal=diagonal), key + "_caption"))


def _regression(d: dict[str, Any]) -> str:
    parts = []
    summary = d.get("summary") or {}
    points = d.get("points")
    if points and points.get("actual"):
        parts.append(f"<h3>{_both('report.actual_title')}</h3>" + _explain(
            "report.actual_explain", rmse=_number(summary.get("rmse")), mae=_number(summary.get("mae")),
            r2=_number(summary.get("r2"), 3)))
        parts.append(_figure(charts.scatter(points["actual"], points["predicted"], x_label="実際 / actual",
                                            y_label="予測 / predicted", identity=True), "report.actual_caption"))
    residuals = d.get("residuals")
    if residuals and residuals.get("counts"):
        parts.append(f"<h3>{_both('report.residuals_title')}</h3>" + _explain(
            "report.residuals_explain", mean=_number(summary.get("mean_residual"))))
        parts.append(_figure(charts.histogram(residuals["edges"], residuals["counts"]), "report.residuals_caption"))
    by_predicted = d.get("by_predicted")
    if by_predicted and by_predicted.get("centers"):
        parts.append(_figure(charts.curves([("mean", by_predicted["centers"], by_predicted["mean"])],
                                           x_label="予測 / predicted", y_label="残差 / residual", square=False),
                             "report.bias_caption"))
    return "\n".join(parts)


def _learning_section(learning: dict[str, Any] | None) -> str:
    """The learning curve with its verdict, and the columns the model relies on."""
    if not learning:
        return _section("learning", "report.learning_title", _explain("report.learning_missing"))
    if "skipped_seconds" in learning:
        return _section("learning", "report.learning_title", _explain(
            "report.learning_skipped", model=learning["model"], seconds=learning["skipped_seconds"]))
    parts = []
    curve, metric = learning["curve"], learning.get("metric", "")
    parts.append(_explain("report.learning_explain", model=learning["model"], metric=metric))
    lines = [("train / 学習", curve["rows"], curve["train"]), ("validation / 検証", curve["rows"], curve["valid"])]
    parts.append(_figure(charts.curves(lines, x_label="学習に使った行数 / training rows", y_label=metric,
                                       square=False, log_x=True), "report.learning_caption"))
    if curve.get("verdict"):
        parts.append(f'<div class="verdict">{_both("report.verdict_" + curve["verdict"], "p")}</div>')
    importance = learning.get("importance")
    if importance and importance.get("columns"):
        parts.append(f"<h3>{_both('report.importance_title')}</h3>" + _explain(
            "report.importance_explain", rows=_number(importance.get("rows")), metric=metric))
        parts.append(_figure(charts.bars(importance["columns"], importance["mean"], importance["std"],
                                         f"{metric} の悪化 / drop in {metric}"), "report.importance_caption"))
    shap = learning.get("shap")
    parts.append(f"<h3>{_both('report.shap_title')}</h3>")
    if shap and shap.get("columns"):
        parts.append(_explain("report.shap_explain", rows=_number(shap.get("rows"))))
        parts.append(_figure(charts.bars(shap["columns"], shap["mean_abs"], [None] * len(shap["columns"]),
                                         "平均 |SHAP| / mean |SHAP|"), "report.shap_caption"))
    else:
        parts.append(_explain("report.shap_absent", model=learning["model"]))
    shown = [d for d in learning.get("dependence") or [] if d.get("grid")]
    if shown:
        parts.append(f"<h3>{_both('report.dependence_title')}</h3>" + _explain("report.dependence_explain"))
        label = "予測 / prediction" if not shown[0].get("outputs") else "確率 / probability"
        figures = "".join(
            f'<figure>{charts.dependence(d["grid"], d["average"], d.get("outputs"), categorical=d["categorical"], y_label=label)}'
            f'<figcaption>{html.escape(str(d["column"]))}</figcaption></figure>' for d in shown)
        parts.append(f'<div class="grid">{figures}</div>')
    return _section("learning", "report.learning_title", "\n".join(parts))


def _notices_section(record: dict[str, Any]) -> str:
    notices = record.get("notices") or []
    if not notices:
        return ""
    items = "".join(f"<li>{_message(n)}</li>" for n in notices)
    return _section("notices", "report.notices_title", _explain("report.notices_explain") + f"<ul>{items}</ul>")


# ------------------------------------------------------------------------------ page and style

_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header><h1>{title}</h1>{switch}</header>
<main>
{body}
</main>
<footer>{footer}</footer>
<script>{script}</script>
</body>
</html>
"""

_STYLE = """
:root { --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --accent: #3b6ea8; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 0 16px 48px; color: var(--ink);
  font: 15px/1.6 "manabu-ja", system-ui, -apple-system, "Hiragino Sans", "Noto Sans JP", "Yu Gothic", Meiryo,
  sans-serif; }
button { font: inherit; }
header { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 8px;
  border-bottom: 2px solid var(--accent); }
h1 { font-size: 1.4rem; margin: 16px 0 8px; }
h2 { font-size: 1.2rem; margin-top: 32px; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 20px 0 4px; }
.switch button { font: inherit; padding: 4px 12px; border: 1px solid var(--accent); background: white;
  color: var(--accent); cursor: pointer; }
.switch button.active { background: var(--accent); color: white; }
html[lang="ja"] body [lang="en"], html[lang="en"] body [lang="ja"] { display: none; }
.explain p { color: var(--muted); margin: 4px 0 8px; }
.warnings { border-left: 4px solid var(--warn); padding: 4px 12px; background: #fff8c5; }
.verdict { border-left: 4px solid var(--accent); padding: 2px 12px; background: #eef4fb; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dt { color: var(--muted); }
dd { margin: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px; text-align: left; white-space: nowrap; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
figure { margin: 8px 0 16px; }
figcaption { color: var(--muted); font-size: 0.85rem; }
svg.chart { width: 100%; max-width: 560px; height: auto; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 8px 16px; }
.grid svg.chart { max-width: 100%; }
footer { margin-top: 40px; color: var(--muted); font-size: 0.8rem; }
@media print {
  .switch { display: none; }
  section { break-inside: avoid-page; }
  body { max-width: none; }
}
"""

_SCRIPT = """
(function () {
  var root = document.documentElement;
  var buttons = document.querySelectorAll('.switch button');
  function show(lang) {
    root.setAttribute('lang', lang);
    buttons.forEach(function (b) { b.classList.toggle('active', b.dataset.lang === lang); });
  }
  buttons.forEach(function (b) { b.addEventListener('click', function () { show(b.dataset.lang); }); });
  show(root.getAttribute('lang') || 'en');
})();
"""
