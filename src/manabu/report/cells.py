"""The report page of ``manabu cluster`` on cells: how the matrix was prepared and why, the
Leiden resolutions tried with their stability and silhouette, the cells on UMAP, each cluster's
marker genes (a table and a dot plot), and where the results sit in the written ``.h5ad``."""
from __future__ import annotations

import html
from typing import Any

import numpy as np

from manabu.base.i18n import get_language
from manabu.report import charts
from manabu.report.markup import both, explain, figure, message, number, page, section, table


def cells_report(model: Any, lang: str | None = None) -> str:
    """The page of a cells clustering (found by ``manabu.artifact.pages`` as ``cells``)."""
    return render_cells(model.record, lang or get_language())


def render_cells(record: dict[str, Any], lang: str) -> str:
    sections = [_summary(record), _preparation(record), _resolution(record), _map(record), _markers(record),
                _scanpy(record)]
    return page("manabu cluster (cells)", sections, lang, "cells_report.footer")


def _summary(record: dict[str, Any]) -> str:
    text = both("cells_report.summary", cells=f"{record['n_cells']:,}", genes=f"{record['n_genes']:,}",
                k=len(record["clusters"]), resolution=f"{record['resolution']['chosen']:g}")
    return section("summary", "cells_report.title_summary", f"<p>{text}</p>" + explain("cells_report.explain_summary"))


def _preparation(record: dict[str, Any]) -> str:
    items = [message(notice) for notice in record.get("notices", [])]
    items += [both(f"cells_report.source_{record['source'].split('[')[0]}", source=record["source"]),
              both(f"cells_report.kind_{record['kind']}")]
    items += [_step(step) for step in record["steps"]]
    listing = "<ol>" + "".join(f"<li>{item}</li>" for item in items) + "</ol>"
    return section("preparation", "cells_report.title_preparation",
                   listing + explain("cells_report.explain_preparation"))


def _step(step: dict[str, Any]) -> str:
    name = step["step"]
    if name == "scale":
        return both("cells_report.step_scale_dense" if step["dense"] else "cells_report.step_scale_sparse",
                    max_value=f"{step['max_value']:g}")
    if name == "as_given":
        return both(f"cells_report.step_as_given_{step['kind']}")
    params = {key: f"{value:.1%}" if key == "explained" else number(value) for key, value in step.items()
              if key != "step"}
    return both(f"cells_report.step_{name}", **params)


def _resolution(record: dict[str, Any]) -> str:
    choice = record["resolution"]
    candidates = choice["candidates"]
    rows = [[f"{c['resolution']:g}" + (" ✓" if c["chosen"] else ""), str(c["clusters"]), number(c["stability"], 3),
             number(c["silhouette"], 3)] for c in candidates]
    header = [both("cells.col_resolution"), both("cells.col_clusters"), both("cells.col_stability"),
              both("cells.col_silhouette")]
    chart = ""
    if len(candidates) > 1:
        x = [c["resolution"] for c in candidates]
        lines = [("安定性 / stability (ARI)", x, [c["stability"] for c in candidates]),
                 ("シルエット / silhouette", x, [np.nan if c["silhouette"] is None else c["silhouette"]
                                              for c in candidates])]
        svg = charts.curves(lines, x_label="解像度 / resolution", y_label="", square=False)
        chart = figure(svg, "cells_report.caption_resolution", resolution=f"{choice['chosen']:g}")
    key = "cells_report.explain_resolution_given" if choice["given"] else "cells_report.explain_resolution"
    return section("resolution", "cells_report.title_resolution",
                   chart + table(header, rows) + explain(key, seeds=choice["seeds"]))


def _map(record: dict[str, Any]) -> str:
    points = record["map"]
    svg = charts.svg(lambda ax: _draw_map(ax, points), width=5.2, height=4.4)
    caption = figure(svg, "cells_report.caption_map", n=f"{len(points['x']):,}", total=f"{points['n']:,}")
    return section("map", "cells_report.title_map", caption + explain("cells_report.explain_map"))


def _draw_map(ax, points: dict[str, Any]) -> None:
    """Cells on UMAP, a colour per cluster (tab10, or tab20 past ten clusters; they repeat past
    twenty), each cluster named at its centre."""
    import matplotlib

    x, y, groups = np.asarray(points["x"]), np.asarray(points["y"]), np.asarray(points["groups"])
    names = sorted(set(groups.tolist()), key=_cluster_order)
    colours = matplotlib.colormaps["tab10" if len(names) <= 10 else "tab20"]
    for i, group in enumerate(names):
        inside = groups == group
        ax.scatter(x[inside], y[inside], s=4, alpha=0.7, linewidths=0, color=colours(i % colours.N))
        ax.text(float(np.median(x[inside])), float(np.median(y[inside])), group, fontsize=8,
                ha="center", va="center")
    ax.set_xlabel("UMAP 1")
    ax.set_ylabel("UMAP 2")
    ax.set_xticks([])
    ax.set_yticks([])


def _short(gene: str, limit: int = 14) -> str:
    return gene if len(gene) <= limit else gene[:limit - 1] + "…"


def _cluster_order(name: str) -> tuple[int, str]:
    return (int(name), "") if name.isdigit() else (1 << 30, name)


def _markers(record: dict[str, Any]) -> str:
    rows = [[html.escape(c["cluster"]), f"{c['size']:,}", f"{c['share']:.1%}",
             ", ".join(html.escape(m["gene"]) for m in c["markers"]) or "—"] for c in record["clusters"]]
    header = [both("cells_report.col_cluster"), both("cells_report.col_cells"), "%", both("cells_report.col_markers")]
    dots = record["dotplot"]
    chart = ""
    if dots["genes"]:
        svg = charts.svg(lambda ax: _draw_dots(ax, dots), width=max(4.0, 0.28 * len(dots["genes"]) + 1.8),
                         height=max(2.2, 0.26 * len(dots["clusters"]) + 1.4))
        chart = figure(svg, "cells_report.caption_dotplot")
    explanation = explain("cells_report.explain_markers", method=record["markers_method"])
    return section("markers", "cells_report.title_markers", table(header, rows) + chart + explanation)


def _draw_dots(ax, dots: dict[str, Any]) -> None:
    """scanpy's dot plot: a dot per cluster and gene, its size the share of the cluster's cells
    that express the gene, its colour their mean expression (scaled per gene)."""
    mean, fraction = np.asarray(dots["mean"], float), np.asarray(dots["fraction"], float)
    span = mean.max(axis=0) - mean.min(axis=0)
    shade = (mean - mean.min(axis=0)) / np.where(span > 0, span, 1.0)
    rows, columns = np.indices(mean.shape)
    ax.scatter(columns.ravel(), rows.ravel(), s=4 + 90 * fraction.ravel(), c=shade.ravel(), cmap="Reds",
               vmin=0, vmax=1, edgecolors="#999999", linewidths=0.3)
    ax.set_xticks(range(len(dots["genes"])), [_short(g) for g in dots["genes"]], rotation=90)
    ax.set_yticks(range(len(dots["clusters"])), dots["clusters"])
    ax.set_xlim(-0.6, len(dots["genes"]) - 0.4)
    ax.set_ylim(len(dots["clusters"]) - 0.4, -0.6)
    ax.set_ylabel("クラスタ / cluster")


def _scanpy(record: dict[str, Any]) -> str:
    code = ("import scanpy as sc\n"
            f"adata = sc.read_h5ad({html.escape(repr(record.get('h5ad') or 'data-clusters.h5ad'))})\n"
            "sc.pl.umap(adata, color=\"manabu_cluster\")\n"
            "markers = sc.get.rank_genes_groups_df(adata, None, key=\"manabu_markers\")")
    return section("scanpy", "cells_report.title_scanpy",
                   f"<pre><code>{code}</code></pre>" + explain("cells_report.explain_scanpy"))
