"""The drift page of ``manabu monitor``: the same look, language switch and explanations as the
training report, for the numbers of ``manabu.evaluate.drift.compare``."""
from __future__ import annotations

import html
from typing import Any

from manabu.evaluate.drift import level
from manabu.report import charts
from manabu.report.markup import both, explain, figure, number, page, section, table

MAX_PSI_BARS = 20


def render_drift(result: dict[str, Any], lang: str) -> str:
    sections = [_summary(result), _predictions(result.get("predictions")), _columns(result)]
    return page(f"manabu monitor — {result.get('target', '')}", sections, lang, "monitor.footer")


def verdict(result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The sentence that sums a comparison up (on the page and in ``manabu monitor``'s output):
    its catalogue key and parameters."""
    drifted = result["drifted"]
    key = "monitor.verdict_drift" if drifted or result["prediction_drifted"] else "monitor.verdict_stable"
    return key, {"n": len(drifted), "columns": ", ".join(drifted[:10]) or "-", "threshold": result["threshold"]}


def _summary(result: dict[str, Any]) -> str:
    key, params = verdict(result)
    sentence = both(key, **params)
    facts = both("monitor.compared", rows=f"{result['rows']:,}", data=result.get("data", ""),
                 model=result.get("model", ""))
    return section("summary", "monitor.title_summary", f"<p>{facts}</p><p><strong>{sentence}</strong></p>"
                   + explain("monitor.explain_psi"))


def _predictions(prediction: dict[str, Any] | None) -> str:
    if prediction is None:
        return section("predictions", "monitor.title_predictions", explain("monitor.no_predictions"))
    text = both("monitor.prediction_psi", psi=number(prediction["psi"], 3)) + " " + _level(prediction["psi"])
    chart = ""
    if prediction["kind"] == "classes":
        names = [f"{c} ({which})" for c in prediction["classes"] for which in ("train", "now")]
        values = [v for pair in zip(prediction["shares_reference"], prediction["shares_now"]) for v in pair]
        chart = figure(charts.bars(names, values, [None] * len(values), "share", from_zero=True), "monitor.caption_classes")
    return section("predictions", "monitor.title_predictions", f"<p>{text}</p>{chart}"
                   + explain("monitor.explain_predictions"))


def _columns(result: dict[str, Any]) -> str:
    rows = result["columns"]
    shown = [r for r in rows if r["psi"] is not None][:MAX_PSI_BARS]
    chart = figure(charts.bars([r["column"] for r in shown], [r["psi"] for r in shown], [None] * len(shown),
                               "PSI", from_zero=True), "monitor.caption_psi") if shown else ""
    header = [both(f"monitor.col_{name}") for name in ("column", "type", "psi", "level", "test", "missing",
                                                       "unseen")]
    listing = table(header, ([html.escape(r["column"]), r["type"], number(r["psi"], 3), _level(r["psi"]),
                              f"{r['test']} p={number(r['p_value'], 2)}",
                              f"{r['missing_reference']:.1%} → {r['missing_now']:.1%}",
                              "—" if r["unseen"] is None else f"{r['unseen']:.1%}"] for r in rows))
    return section("columns", "monitor.title_columns", chart + listing + explain("monitor.explain_columns"))


def _level(value: float | None) -> str:
    return both(f"monitor.level_{level(value)}")
