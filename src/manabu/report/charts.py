"""The report's charts: matplotlib figures written as inline SVG with every glyph drawn as a path.

Paths need no font on the reader's machine, so Japanese column names and categories show on any
laptop or phone; the glyphs come from IPAexGothic, which the ``matplotlib-fontja`` package ships
(found without importing that package, which would change matplotlib's settings for the whole
process). Charts carry no sentence of their own: titles and explanations are in the page, in
both languages, so one SVG serves both.
"""
from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from manabu.report.fonts import japanese_font_file
from manabu.report.markup import both

JAPANESE_FONT = "IPAexGothic"
PALETTE = ("#3b6ea8", "#d9822b", "#4f9a5b", "#b5474b", "#7c5fa8", "#8c6d46", "#c76fa7", "#6d6d6d")
WIDTH, HEIGHT = 4.8, 3.2  # inches; the page scales SVGs to its width


@cache
def japanese_font() -> str | None:
    """Register the bundled Japanese font with matplotlib once; its family name, or None when
    the package is missing (Latin text still draws; Japanese would show as boxes)."""
    font = japanese_font_file()
    if font is None:
        return None
    font_manager.fontManager.addfont(str(font))
    return JAPANESE_FONT


@contextmanager
def _style() -> Iterator[None]:
    family = [name for name in (japanese_font(), "DejaVu Sans") if name]
    with matplotlib.rc_context({"font.family": family, "svg.fonttype": "path", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False,
                                "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
                                "svg.hashsalt": "manabu"}):  # the same chart gives the same bytes
        yield


class _Deadline:
    """Until when charts are drawn (time.monotonic()), and how many were left out after it."""

    def __init__(self, until: float) -> None:
        self.until = until
        self.left_out = 0


_deadline: ContextVar[_Deadline | None] = ContextVar("chart_deadline", default=None)


@contextmanager
def drawing_until(until: float | None) -> Iterator[_Deadline | None]:
    """Charts asked for after ``until`` (time.monotonic(); None: no end) are not drawn: each
    is a line that says so, in both languages. A page drawn within --time-limit uses this, so
    that a machine slower than planned for shortens the report, not the user's wait."""
    deadline = None if until is None else _Deadline(until)
    token = _deadline.set(deadline)
    try:
        yield deadline
    finally:
        _deadline.reset(token)


def _left_out() -> str | None:
    """The line that stands for a chart past the deadline (None: draw it)."""
    deadline = _deadline.get()
    if deadline is None or time.monotonic() < deadline.until:
        return None
    deadline.left_out += 1
    return f'<p class="chart-left-out">{both("report.chart_left_out")}</p>'


def svg(draw: Callable[[Axes], None], *, width: float = WIDTH, height: float = HEIGHT) -> str:
    """One chart as an ``<svg>`` element to put in the page (no XML prolog, no fixed size), or
    the line that says it was left out (``drawing_until``).

    A bare ``Figure``, not pyplot: no backend is chosen or changed, so building a report in a
    notebook leaves its inline plots alone."""
    left_out = _left_out()
    if left_out is not None:
        return left_out
    with _style():
        figure = Figure(figsize=(width, height))
        draw(figure.subplots())
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    # the page sizes the chart; keep its proportions through the viewBox
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 class="chart" role="img"', text, count=1)


def _short(label: object, limit: int = 18) -> str:
    text = str(label)
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ------------------------------------------------------------------------------------ the charts

def histogram(edges: Sequence, counts: Sequence[int], *, color: str = PALETTE[0]) -> str:
    """Bars over numeric bins (or dates given as ISO strings, shown by bin index with the ends)."""
    def draw(ax):
        if edges and isinstance(edges[0], str):
            positions = list(range(len(edges)))
            ax.bar(positions[:-1], counts, width=1.0, align="edge", color=color, edgecolor="white", linewidth=0.3)
            ax.set_xticks([0, len(edges) - 1], [edges[0][:10], edges[-1][:10]])
        else:
            widths = [b - a for a, b in zip(edges[:-1], edges[1:])] or [1.0]
            ax.bar(edges[:-1], counts, width=widths, align="edge", color=color, edgecolor="white", linewidth=0.3)
        ax.set_ylabel("件数 / count")
    return svg(draw, height=2.4)


def levels(values: Sequence[str], counts: Sequence[int], other: int = 0, *, color: str = PALETTE[0]) -> str:
    """Horizontal bars, the most frequent level on top; the rest as one "other" bar."""
    names = [_short(v) for v in values] + (["(その他 / other)"] if other else [])
    sizes = list(counts) + ([other] if other else [])

    def draw(ax):
        ax.barh(range(len(sizes))[::-1], sizes, color=color)
        ax.set_yticks(range(len(sizes))[::-1], names)
        ax.set_xlabel("件数 / count")
    return svg(draw, height=max(1.6, 0.22 * len(sizes) + 0.8))


def missing_bars(names: Sequence[str], fractions: Sequence[float]) -> str:
    """Share of missing values per column, the worst first."""
    def draw(ax):
        ax.barh(range(len(names))[::-1], [100 * f for f in fractions], color=PALETTE[3])
        ax.set_yticks(range(len(names))[::-1], [_short(n) for n in names])
        ax.set_xlim(0, 100)
        ax.set_xlabel("欠損 / missing (%)")
    return svg(draw, height=max(1.6, 0.22 * len(names) + 0.8))


def heatmap(labels: Sequence[str], matrix: Sequence[Sequence[float | None]], *, signed: bool = True,
            annotate: bool = True, row_title: str = "", column_title: str = "") -> str:
    """A matrix as coloured cells: correlations (-1..1, diverging colours) or counts."""
    values = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
    n = len(labels)
    size = min(7.5, max(3.0, 0.32 * n + 1.6))

    def draw(ax):
        if signed:
            image = ax.imshow(values, cmap="RdBu_r", vmin=-1, vmax=1)
        else:
            image = ax.imshow(values, cmap="Blues")
        ax.set_xticks(range(n), [_short(label, 14) for label in labels], rotation=60, ha="right")
        ax.set_yticks(range(n), [_short(label, 14) for label in labels])
        ax.set_xlabel(column_title)
        ax.set_ylabel(row_title)
        ax.figure.colorbar(image, ax=ax, shrink=0.8)
        if annotate and n <= 12:
            top = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
            for (i, j), v in np.ndenumerate(values):
                if np.isfinite(v):
                    text = f"{v:.2f}" if signed else f"{int(v):,}"
                    ax.text(j, i, text, ha="center", va="center", fontsize=7,
                            color="white" if abs(v) > 0.6 * top else "black")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return svg(draw, width=size + 0.8, height=size)


def bars(names: Sequence[str], values: Sequence[float], errors: Sequence[float | None], x_label: str,
         highlight: str | None = None, from_zero: bool = False) -> str:
    """Horizontal bars, the first on top, whiskers for a spread (the leaderboard over folds,
    importances over repeats), one bar highlighted (the chosen model)."""
    scores = [0.0 if v is None else v for v in values]

    def draw(ax):
        positions = range(len(names))[::-1]
        colors = [PALETTE[1] if name == highlight else PALETTE[0] for name in names]
        spread = [0.0 if e is None else e for e in errors]
        whiskers = spread if any(e is not None for e in errors) else None
        ax.barh(positions, scores, xerr=whiskers, color=colors, error_kw={"linewidth": 0.8, "capsize": 2})
        ax.set_yticks(positions, [_short(n, 24) for n in names])
        ax.set_xlabel(x_label)
        ax.set_xlim(*bar_limits(scores, spread, from_zero))
    return svg(draw, height=max(1.8, 0.24 * len(names) + 0.9))


def bar_limits(values: Sequence[float], spread: Sequence[float], from_zero: bool) -> tuple[float, float]:
    """The value axis of ``bars``. Importances, counts and shares start at zero, since a bar's
    length is read as its value (a bar from 1.96 would make 2.0 look twice 1.98); below zero
    where some are negative. Scores are zoomed in, where their differences are."""
    low = min(v - e for v, e in zip(values, spread))
    high = max(v + e for v, e in zip(values, spread))
    if from_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    pad = (high - low) * 0.08 or abs(high) * 0.05 or 1.0
    return (0.0 if from_zero and low == 0.0 else low - pad), high + pad


def curves(lines: Sequence[tuple[str, Sequence[float], Sequence[float]]], *, x_label: str, y_label: str,
           diagonal: bool = False, square: bool = True, log_x: bool = False) -> str:
    """Lines (ROC, precision-recall, calibration): (label, x, y) each, with a legend when several."""
    def draw(ax):
        if diagonal:
            ax.plot([0, 1], [0, 1], linestyle="--", color="#999999", linewidth=0.8)
        for label, x, y in lines:
            ax.plot(x, y, label=_short(label, 24), linewidth=1.4, marker="o" if len(x) <= 12 else None,
                    markersize=3)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        if log_x:  # rows double from point to point; label them as counts, not powers of ten
            ax.set_xscale("log")
            ax.minorticks_off()
            ax.set_xticks(lines[0][1], [f"{int(v):,}" for v in lines[0][1]])
        if square:
            ax.set_xlim(-0.02, 1.02)
            ax.set_ylim(-0.02, 1.02)
        if len(lines) > 1:
            ax.legend(fontsize=7, frameon=False)
    return svg(draw, width=3.8 if square else WIDTH, height=3.4 if square else HEIGHT)


def scatter(x: Sequence[float], y: Sequence[float], *, x_label: str, y_label: str, identity: bool = False,
            zero_line: bool = False, groups: Sequence | None = None) -> str:
    """Points (predicted against actual, residuals against predicted; rows on a map, coloured by
    ``groups`` with a legend)."""
    def draw(ax):
        if groups is None:
            ax.scatter(x, y, s=6, alpha=0.45, color=PALETTE[0], linewidths=0)
        else:
            for i, group in enumerate(sorted(set(groups), key=str)):
                chosen = [j for j, g in enumerate(groups) if g == group]
                ax.scatter([x[j] for j in chosen], [y[j] for j in chosen], s=7, alpha=0.6, linewidths=0,
                           color=PALETTE[i % len(PALETTE)], label=str(group))
            ax.legend(fontsize=6, markerscale=2, frameon=False, loc="best")
        if identity and len(x):
            low, high = min(min(x), min(y)), max(max(x), max(y))
            ax.plot([low, high], [low, high], linestyle="--", color=PALETTE[1], linewidth=1)
        if zero_line:
            ax.axhline(0, linestyle="--", color=PALETTE[1], linewidth=1)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
    return svg(draw)


def dependence(grid: Sequence, averages: Sequence[Sequence[float]], outputs: Sequence[str] | None, *,
               categorical: bool, y_label: str) -> str:
    """The model's mean answer at each value of one column: a line over numbers, bars (or one
    line per class) over categories."""
    def draw(ax):
        labels = list(outputs) if outputs else [""]
        positions = range(len(grid))
        for label, row in zip(labels, averages):
            values = [float("nan") if v is None else v for v in row]
            if categorical and len(averages) == 1:
                ax.bar(positions, values, color=PALETTE[0])
            else:
                ax.plot(positions if categorical else grid, values, label=_short(label, 20), linewidth=1.4,
                        marker="o" if categorical else None, markersize=3)
        if categorical:
            ax.set_xticks(positions, [_short(g, 12) for g in grid], rotation=45 if len(grid) > 4 else 0, ha="right"
                          if len(grid) > 4 else "center")
        ax.set_ylabel(y_label)
        if outputs:
            ax.legend(fontsize=7, frameon=False)
    return svg(draw, height=2.6)
