"""The report's section on text: the words that push the model towards each class (or raise the
value), and example predictions to read (``manabu.training.numbers._text``)."""
from __future__ import annotations

import html
from typing import Any

from manabu.report import charts
from manabu.report.markup import both, explain, figure, number, section, table

CHART_WORDS = 10  # words drawn per class


def text_section(text: dict[str, Any] | None) -> str:
    if text and text.get("skipped"):
        return section("text", "report.text_title", explain("report.text_skipped"))
    if not text or not text.get("columns"):
        return ""
    parts = []
    for column, words in text["columns"].items():
        parts.append(f"<h3>{html.escape(str(column))}</h3>")
        parts.append(explain("report.text_explain", documents=number(words.get("documents")),
                             tokenizer=words.get("tokenizer") or "-"))
        figures = []
        for label, found in (words.get("classes") or {}).items():
            block = ""
            towards = found.get("towards", [])[:CHART_WORDS]
            if towards:
                axis = "予測値の変化 / change of prediction" if label == "value" else "確率の変化 / change of probability"
                svg = charts.bars([w["word"] for w in towards], [w["effect"] for w in towards],
                                  [None] * len(towards), axis, from_zero=True)
                block += figure(svg, "report.text_towards_caption", label=label)
            away = ", ".join(html.escape(w["word"]) for w in found.get("away", [])[:CHART_WORDS])
            if away:
                block += f'<p class="away">{both("report.text_away", label=label)} {away}</p>'
            if block:
                figures.append(f"<div>{block}</div>")
        parts.append(f'<div class="grid">{"".join(figures)}</div>' if figures else explain("report.text_no_words"))
    examples = text.get("examples") or []
    if examples:
        parts.append(f"<h3>{both('report.text_examples_title')}</h3>" + explain("report.text_examples_explain"))
        probability = "probability" in examples[0]
        header = [both("report.text_example"), both("report.text_actual"), both("report.text_predicted")]
        header += [both("report.text_probability")] if probability else []
        header += [both("report.text_verdict")]
        rows = []
        for e in examples:
            row = [html.escape(e["text"]), html.escape(str(e["actual"])) if probability else number(e["actual"]),
                   html.escape(str(e["predicted"])) if probability else number(e["predicted"])]
            row += [number(e["probability"], 3)] if probability else []
            row.append(both(f"report.text_{e['kind']}"))
            rows.append(row)
        parts.append(table(header, rows, "examples"))
    return section("text", "report.text_title", "\n".join(parts))
