"""The charts of the forecast page: a series' recent history with its forecast and bands, the
backtest windows, the seasonal decomposition and the autocorrelation.

They are drawn with ``charts.svg`` (glyphs as paths, the Japanese font, the page's deadline), and
their few labels come from the catalogues in both languages ("履歴 / history"), as the other
charts' do. Lines are drawn as single paths (the autocorrelation's bars too, joined by gaps), and
matplotlib simplifies long ones, so that a series of thousands of points stays a light SVG.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from matplotlib import dates as mdates
from matplotlib.axes import Axes

from manabu.base.i18n import t
from manabu.report.charts import PALETTE, svg

WIDE = 6.4            # inches: time runs sideways, so these charts are wider than the others
TRUTH = "#1f2328"
DRAWN = 400           # points per line at most: about one per point of the chart's width


def label(key: str) -> str:
    """A chart label in both languages, Japanese first as the other charts write them."""
    return f"{t(f'forecast_report.{key}', 'ja')} / {t(f'forecast_report.{key}', 'en')}"


def _dates(ax: Axes) -> None:
    """Concise date ticks: a year written once, not on every tick."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _light(text: str) -> str:
    """Path coordinates cut to a tenth of a point (matplotlib writes six decimals; the charts are
    a few hundred points wide): close to half the bytes of a long line, no visible change."""
    return re.sub(r' d="[^"]*"', lambda found: re.sub(r"(\d\.\d)\d+", r"\1", found.group(0)), text)


def thin(times: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most ``DRAWN`` points of a line: the lowest and the highest of each run of points, in
    their order. A long, noisy line keeps its envelope (what the eye sees at this width) in a
    fraction of the SVG; matplotlib's own simplification keeps most of a noisy line."""
    if len(values) <= DRAWN:
        return times, values
    keep = []
    edges = np.linspace(0, len(values), DRAWN // 2 + 1).astype(int)
    for start, end in zip(edges[:-1], edges[1:]):
        chunk = values[start:end]
        keep.extend(sorted({start + int(np.argmin(chunk)), start + int(np.argmax(chunk))}))
    return times[keep], values[keep]


def _legend(ax: Axes) -> None:
    """The legend in a row above the plot, where it hides no line."""
    ax.legend(fontsize=7, frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=5, borderaxespad=0.2)


def forecast_chart(times: np.ndarray, values: np.ndarray, future: np.ndarray, point: np.ndarray,
                   bands: dict[str, tuple[np.ndarray, np.ndarray]]) -> str:
    """The history's tail, then the forecast with its bands, the widest (lightest) first; the
    last observed point joins the forecast line so that no gap opens at the origin."""
    def draw(ax: Axes) -> None:
        ax.plot(*thin(times, values), color=TRUTH, linewidth=1.0, label=label("label_history"))
        for (level, (lower, upper)), alpha in zip(sorted(bands.items(), reverse=True), (0.18, 0.32)):
            ax.fill_between(future, lower, upper, color=PALETTE[0], alpha=alpha, linewidth=0,
                            label=f"{float(level):.0%}")
        ax.plot(np.concatenate([times[-1:], future]), np.concatenate([values[-1:], point]), color=PALETTE[0],
                linewidth=1.4, label=label("label_forecast"))
        ax.axvline(times[-1], color="#999999", linestyle=":", linewidth=0.8)
        _dates(ax)
        _legend(ax)
    return _light(svg(draw, width=WIDE, height=2.8))


def backtest_chart(times: np.ndarray, values: np.ndarray, origins: Sequence[int],
                   windows: Sequence[tuple[np.ndarray, np.ndarray, str]]) -> str:
    """The truth over the windows (with some history before them), each window's forecast in
    its colour, and a dotted line at each origin (the last point the model saw)."""
    def draw(ax: Axes) -> None:
        ax.plot(*thin(times, values), color=TRUTH, linewidth=1.0, label=label("label_truth"))
        for index, (when, forecast, name) in enumerate(windows):
            ax.plot(when, forecast, color=PALETTE[(index + 1) % len(PALETTE)], linewidth=1.4, label=name)
        for origin in origins:
            ax.axvline(times[origin], color="#999999", linestyle=":", linewidth=0.8)
        _dates(ax)
        _legend(ax)
    return _light(svg(draw, width=WIDE, height=2.8))


def decomposition_chart(times: np.ndarray, rows: Sequence[tuple[str, np.ndarray]]) -> str:
    """One row per component (data, trend, each season, remainder), sharing the time axis."""
    def draw(ax: Axes) -> None:
        figure = ax.figure
        figure.delaxes(ax)  # ``svg`` hands one axes; this chart needs a column of them
        axes = figure.subplots(len(rows), 1, sharex=True)
        for index, (axis, (name, values)) in enumerate(zip(axes, rows)):
            colour = TRUTH if index == 0 else PALETTE[(index - 1) % len(PALETTE)]
            if index == len(rows) - 1:  # the remainder: points around zero, not a line
                axis.axhline(0, color="#999999", linewidth=0.6)
            axis.plot(*thin(times, values), color=colour, linewidth=0.9)
            axis.set_ylabel(name, fontsize=7)
            axis.tick_params(labelsize=7)
        _dates(axes[-1])
    return _light(svg(draw, width=WIDE, height=1.1 * len(rows) + 0.6))


def acf_chart(values: np.ndarray, band: float) -> str:
    """The autocorrelation at lags 1, 2, ... as thin bars (one path, broken between bars), the
    band of ±1.96/√n inside which white noise would stay 95% of the time shaded."""
    lags = np.arange(1, len(values))

    def draw(ax: Axes) -> None:
        x = np.repeat(lags, 3).astype(float)
        y = np.column_stack([np.zeros(len(lags)), values[1:], np.full(len(lags), np.nan)]).ravel()
        ax.axhspan(-band, band, color=PALETTE[0], alpha=0.15, linewidth=0)
        ax.axhline(0, color="#999999", linewidth=0.6)
        ax.plot(x, y, color=PALETTE[0], linewidth=1.6 if len(lags) <= 60 else 0.8)
        ax.set_xlim(0, len(values))
        ax.set_ylim(-1.05, 1.05)
        ax.set_xlabel(label("label_lag"))
        ax.set_ylabel(label("label_acf"))
    return _light(svg(draw, width=WIDE, height=2.4))
