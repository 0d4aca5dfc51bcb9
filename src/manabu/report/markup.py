"""The HTML that every report page is made of (the training report, ``manabu monitor``'s drift
page, the pages of cluster, anomalies and reduce): text in both languages, explanations,
sections, figures, tables, numbers, and the self-contained page around them (no network, a
language switch, printable, the Japanese font embedded).

Every sentence comes from the catalogues (``[report]`` and the like in ``en.toml`` and
``ja.toml``) and is written in every language, each in an element the switch shows or hides;
``lang`` picks the one shown first. Parameters are escaped here; the catalogue's own markup is kept.
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
from manabu.report.fonts import japanese_font_file

_EMBEDDED_FONT = "manabu-ja"


# ------------------------------------------------------------------------------ text and blocks

def both(key: str, tag: str = "span", **params: Any) -> str:
    """The catalogue text of ``key`` in every language, each in an element the switch shows or
    hides; parameters are escaped, the catalogue's own markup is kept."""
    safe = {name: html.escape(str(value)) for name, value in params.items()}
    return "".join(f'<{tag} lang="{lang}">{t(key, lang, **safe)}</{tag}>' for lang in LANGUAGES)


def message(saved: dict[str, Any], tag: str = "span") -> str:
    """A saved Message (its ``en`` and ``ja`` renderings), escaped."""
    return "".join(f'<{tag} lang="{lang}">{html.escape(str(saved.get(lang, "")))}</{tag}>' for lang in LANGUAGES)


def explain(key: str, **params: Any) -> str:
    """The catalogue text of ``key`` as a muted explanation paragraph."""
    return f'<div class="explain">{both(key, "p", **params)}</div>'


def section(anchor: str, title_key: str, content: str) -> str:
    """A section of the page, reachable as ``#anchor``, under its title."""
    return f'<section id="{anchor}"><h2>{both(title_key)}</h2>\n{content}\n</section>'


def figure(svg: str, caption_key: str, **params: Any) -> str:
    """A chart with its caption (the catalogue text of ``caption_key``)."""
    return f'<figure>{svg}<figcaption>{both(caption_key, **params)}</figcaption></figure>'


def panel(title: str, explanation: str, body: str) -> str:
    """One chart (or small table) with its heading and explanation, to sit beside another in
    ``panels``. Always three children, so that side by side their headings, explanations and
    charts line up (the rows of a CSS subgrid)."""
    return f'<div class="panel"><h3>{title}</h3><div>{explanation}</div><div>{body}</div></div>'


def panels(items: Iterable[str]) -> str:
    """Panels two to a row where the page is wide enough (one on a phone), instead of a column
    of charts each filling part of the width."""
    shown = [item for item in items if item]
    return f'<div class="panels">{"".join(shown)}</div>' if shown else ""


def table(header: list[str], rows: Iterable[list[str]], css: str = "") -> str:
    """A table that scrolls sideways when wide; the cells are markup already (escaped by the caller)."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def number(value: Any, digits: int = 4) -> str:
    """A number as a reader wants it: thousands separated, ``digits`` significant; "—" for none."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return html.escape(str(value))
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}g}" if abs(value) < 1e5 else f"{value:,.0f}"


# ------------------------------------------------------------------------------ the page

def page(title: str, sections: list[str], lang: str, footer_key: str = "report.footer") -> str:
    """One self-contained page: the sections, the language switch, the embedded Japanese font."""
    body = "\n".join(part for part in sections if part)
    title = html.escape(title)
    footer, switch = both(footer_key, when=_now()), _switch()
    style = _font_face(title + body + footer + switch) + _STYLE
    return _PAGE.format(lang=lang if lang in LANGUAGES else "en", title=title, style=style, script=_SCRIPT,
                        switch=switch, body=body, footer=footer)


def _font_face(text: str) -> str:
    """The bundled Japanese font (the charts' IPAexGothic), cut down to the characters of this
    page and embedded, first in the font list: a reader whose machine has no Japanese font (a
    bare Linux server) still sees text, not boxes. It holds no Latin letters, which come from
    the reader's own font. (Placed last, Chromium drew boxes for the text at some sizes.)"""
    wide = {ord(c) for c in re.sub(r"<svg.*?</svg>", "", text, flags=re.S) if ord(c) >= 0x2E80}
    font = japanese_font_file()
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


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _switch() -> str:
    return ('<nav class="switch" aria-label="language">'
            '<button type="button" data-lang="ja">日本語</button>'
            '<button type="button" data-lang="en">English</button></nav>')


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
.chart-left-out { color: var(--muted); font-style: italic; }
ul.explain { color: var(--muted); margin: 0 0 8px; padding-left: 1.4em; }
.warnings { border-left: 4px solid var(--warn); padding: 4px 12px; background: #fff8c5; }
.verdict { border-left: 4px solid var(--accent); padding: 2px 12px; background: #eef4fb; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dt { color: var(--muted); }
dd { margin: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px; text-align: left; white-space: nowrap; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
table.examples { width: 100%; }
table.examples td:first-child { white-space: normal; overflow-wrap: anywhere; min-width: 12em; }
figure { margin: 8px 0 16px; }
figcaption { color: var(--muted); font-size: 0.85rem; }
svg.chart { width: 100%; max-width: 560px; height: auto; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 8px 16px; }
.grid svg.chart { max-width: 100%; }
.panels { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 420px), 1fr)); gap: 0 24px; }
.panel { display: grid; grid-row: span 3; grid-template-rows: subgrid; grid-template-columns: minmax(0, 1fr); }
.panel > h3:empty { margin: 0; }
.panel svg.chart { max-width: 100%; }
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
