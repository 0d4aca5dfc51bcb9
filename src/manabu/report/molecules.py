"""The report's section on molecules (``evaluate.molecules``): the standardisation applied, the
best and worst predicted molecules drawn, the substructures that matter most, and the
applicability domain (the error by similarity to the training molecules). Nothing for a model of
other data.

The drawings are RDKit's SVG, kept as text in the record; they are shown as images (a data URL),
not inline markup, so that nothing in a record can run on the page.
"""
from __future__ import annotations

import base64
import html
from typing import Any

from manabu.base.i18n import LANGUAGES, t
from manabu.report.markup import both, explain, number, panel, panels, section, table


def molecules_section(molecules: dict[str, Any] | None) -> str:
    if not molecules:
        return ""
    parts = [explain("molecules_report.explain", column=molecules.get("column", "")),
             _standardised(molecules.get("standardisation") or [], molecules.get("standardised"))]
    if molecules.get("skipped"):
        parts.append(explain("molecules_report.skipped"))
    else:
        parts += [_examples(molecules.get("examples")), _bits(molecules.get("bits"), "bits" in molecules),
                  _domain(molecules.get("domain"), str(molecules.get("column", "")))]
    return section("molecules", "molecules_report.title", "\n".join(p for p in parts if p))


def _standardised(steps: list[str], changes: dict[str, Any] | None) -> str:
    """``molecules.standardised`` with its steps named in each language, and what it changed."""
    texts = []
    for lang in LANGUAGES:
        named = t("molecules_report.step_separator", lang).join(
            t(f"molecules_report.step_{step}", lang) for step in steps)
        texts.append(f'<p lang="{lang}">{t("molecules.standardised", lang, steps=html.escape(named))}</p>')
    out = f'<div class="explain">{"".join(texts)}</div>'
    if not changes or not changes.get("checked"):
        return out
    if not changes.get("changed"):
        return out + explain("molecules_report.standardised_none", checked=number(changes["checked"]))
    out += explain("molecules_report.standardised_changed", changed=number(changes["changed"]),
                   checked=number(changes["checked"]))
    rows = [[_code(e["before"]), _code(e["after"])] for e in changes.get("examples") or []]
    return out + table([both("molecules_report.before"), both("molecules_report.after")], rows, "standardised")


def _examples(examples: dict[str, list] | None) -> str:
    if not examples or not (examples.get("best") or examples.get("worst")):
        return ""
    classes = any("probability" in e for kind in ("best", "worst") for e in examples.get(kind) or [])
    header = [both("molecules_report.molecule"), both("molecules_report.actual"),
              both("molecules_report.predicted"),
              both("molecules_report.probability" if classes else "molecules_report.error")]
    shown = []
    for kind in ("best", "worst"):
        rows = [[_drawn(e), _value(e.get("actual")), _value(e.get("predicted")),
                 number(e.get("probability") if classes else e.get("error"), 3)] for e in examples.get(kind) or []]
        if rows:
            shown.append(panel(both("molecules_report." + kind), "", table(header, rows, "molecules")))
    return (f"<h3>{both('molecules_report.examples_title')}</h3>"
            + explain("molecules_report.examples_explain_classes" if classes else "molecules_report.examples_explain")
            + panels(shown))


def _bits(bits: dict[str, Any] | None, asked: bool) -> str:
    if not bits or not bits.get("bits"):
        return explain("molecules_report.bits_missing") if asked else ""
    regression = any("mean_with" in b for b in bits["bits"])
    by_model = bits.get("source") == "model"
    header = [both("molecules_report.bit"), both("molecules_report.fragment"), both("molecules_report.weight"),
              both("molecules_report.molecules_with")]
    header += [both("molecules_report.mean_with"), both("molecules_report.mean_without")] if regression else []
    rows = []
    for b in bits["bits"]:
        row = [html.escape(str(b.get("feature", b.get("bit")))), _drawing(b.get("svg"), b.get("smiles", "")),
               _share(b.get("importance")) if by_model else number(b.get("importance"), 2),
               f"{number(b.get('molecules'))} / {number(b.get('scanned'))}"]
        row += [number(b.get("mean_with"), 3), number(b.get("mean_without"), 3)] if regression else []
        rows.append(row)
    key = "molecules_report.bits_explain_" + ("model" if by_model else "association")
    return (f"<h3>{both('molecules_report.bits_title')}</h3>"
            + explain(key, radius=bits.get("radius"), size=number(bits.get("size")))
            + table(header, rows, "fragments"))


def _domain(domain: dict[str, Any] | None, column: str) -> str:
    title = f"<h3>{both('molecules_report.domain_title')}</h3>"
    if not domain:
        return title + explain("molecules_report.domain_missing")
    rows = []
    for band in domain.get("bands") or []:
        low, high = band["low"], band["high"]
        shown = f"≥ {low:g}" if high >= 1.0 and low > 0 else (f"< {high:g}" if low == 0 else f"{low:g} – {high:g}")
        rows.append([html.escape(shown), number(band.get("rows")), number(band.get("error"), 3)])
    unit = "molecules_report.error_" + str(domain.get("unit", "mae"))
    return (title + explain("molecules_report.domain_explain", column=column) + _domain_summary(domain)
            + table([both("molecules_report.band"), both("molecules_report.rows"), both(unit)], rows, "domain"))


def _domain_summary(domain: dict[str, Any]) -> str:
    """How many molecules were measured (all or a sample), their median similarity, how many are far."""
    far = round(domain.get("far_share", 0.0) * domain.get("rows", 0))
    sampled = "molecules_report.domain_" + ("sampled" if domain.get("sampled") else "all")
    lines = "".join(f'<p lang="{lang}">' + t("molecules_report.domain_summary", lang, rows=number(domain.get("rows")),
                                             far=number(far), median=number(domain.get("median"), 3),
                                             threshold=number(domain.get("far")), sampled=t(sampled, lang)) + "</p>"
                    for lang in LANGUAGES)
    return f'<div class="explain">{lines}</div>'


def _drawn(example: dict[str, Any]) -> str:
    """A molecule drawn, its SMILES under it."""
    smiles = example.get("smiles", "")
    return f"{_drawing(example.get('svg'), smiles)}<br>{_code(smiles)}"


def _drawing(svg: str | None, alt: str) -> str:
    if not svg:
        return "—"
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt, quote=True)}">'


def _share(value: Any) -> str:
    """A bit's importance as a percentage of all the model's importance."""
    return "—" if not isinstance(value, (int, float)) else f"{100 * value:.2g}%"


def _code(text: str) -> str:
    return f"<code>{html.escape(str(text))}</code>"


def _value(value: Any) -> str:
    return number(value, 4) if isinstance(value, (int, float)) else html.escape(str(value))
