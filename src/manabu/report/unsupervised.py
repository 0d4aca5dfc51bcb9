"""The report pages of ``manabu cluster``, ``manabu anomalies`` and ``manabu reduce``: the same
look, language switch and explanations as the training report, for what each method found."""
from __future__ import annotations

import html
from typing import Any

from manabu.base.i18n import get_language
from manabu.report import charts
from manabu.report.markup import both, explain, figure, number, page, section, table


def unsupervised_report(model: Any, lang: str | None = None) -> str:
    """The page of a clustering, anomaly or reduction model (found by ``manabu.artifact.pages``)."""
    return render_unsupervised(model.KIND, model.record, lang or get_language())


def render_unsupervised(kind: str, record: dict[str, Any], lang: str) -> str:
    sections = {"cluster": _cluster, "anomalies": _anomalies, "reduce": _reduce}[kind](record)
    return page(f"manabu {kind}", sections, lang, "unsupervised.footer")


def _map_section(record: dict[str, Any], caption_key: str, explain_key: str) -> str:
    """The rows on two axes, coloured by their group where the record's map has groups."""
    points = record.get("map")
    chart = ""
    if points:
        svg = charts.scatter(points["x"], points["y"], x_label="1", y_label="2", groups=points.get("groups"))
        chart = figure(svg, caption_key, n=len(points["x"]))
    return section("map", "unsupervised.title_map", chart + explain(explain_key))


def _cluster(record: dict[str, Any]) -> list[str]:
    text = both("unsupervised.cluster_summary", k=record["k"], method=record["method"], rows=f"{record['n_rows']:,}")
    summary = section("summary", "unsupervised.title_clusters", f"<p>{text}</p>" + explain("unsupervised.explain_clusters"))
    parts = [summary]
    choice = record.get("k_choice")
    if choice:
        scores = choice["scores"]
        bars = charts.bars([f"k={s['k']}" for s in scores], [s["silhouette"] for s in scores], [None] * len(scores),
                           "silhouette", highlight=f"k={choice['k']}")
        listing = table(["k", "silhouette", "Calinski-Harabasz", "BIC"],
                        ([str(s["k"]), number(s["silhouette"], 3), number(s["calinski_harabasz"]), number(s["bic"])]
                         for s in scores))
        parts.append(section("k", "unsupervised.title_k", figure(bars, "unsupervised.caption_k", k=choice["k"])
                             + listing + explain("unsupervised.explain_k")))
    found = record["profiles"]
    rows = [[str(p["cluster"]), f"{p['size']:,}", f"{p['share']:.0%}", "; ".join(map(_trait, p["traits"])) or "—"]
            for p in found]
    sizes = charts.bars([str(p["cluster"]) for p in found], [p["size"] for p in found], [None] * len(found), "rows",
                        from_zero=True)
    header = [both("unsupervised.col_cluster"), both("unsupervised.col_rows"), "%", both("unsupervised.col_traits")]
    parts.append(section("profiles", "unsupervised.title_profiles", figure(sizes, "unsupervised.caption_sizes")
                         + table(header, rows) + explain("unsupervised.explain_profiles")))
    parts.append(_map_section(record, "unsupervised.caption_map", "unsupervised.explain_map"))
    return parts


def _trait(trait: dict[str, Any]) -> str:
    column = html.escape(trait["column"])
    if trait["kind"] == "category":
        return f"{column} = {html.escape(trait['value'])} ({trait['share']:.0%} / {trait['overall']:.0%})"
    return f"{column} {trait['shift']:+.1f} sd ({number(trait['mean'])} / {number(trait['overall'])})"


def _anomalies(record: dict[str, Any]) -> list[str]:
    text = both("unsupervised.anomaly_summary", rows=f"{record['n_rows']:,}", detectors=", ".join(record["detectors"]))
    parts = [section("summary", "unsupervised.title_anomalies", f"<p>{text}</p>" + explain("unsupervised.explain_anomalies"))]
    rows = []
    for found in record["top"]:
        why = "; ".join(_reason(r) for r in found["reasons"]) or both("anomalies.why_none")
        rows.append([str(found["row"]), number(found["score"]), why])
    header = [both("anomalies.col_row"), both("anomalies.col_score"), both("anomalies.col_why")]
    parts.append(section("top", "unsupervised.title_top", table(header, rows) + explain("unsupervised.explain_top")))
    result = record.get("evaluation")
    if result:
        text = both("unsupervised.evaluation", roc_auc=number(result["roc_auc"], 3),
                    precision=f"{result['precision_at_k']:.1%}", anomalies=result["anomalies"], rows=result["rows"])
        parts.append(section("evaluation", "unsupervised.title_evaluation",
                             f"<p>{text}</p>" + explain("unsupervised.explain_evaluation")))
    parts.append(_map_section(record, "unsupervised.caption_anomaly_map", "unsupervised.explain_anomaly_map"))
    return parts


def _reason(reason: dict[str, Any]) -> str:
    column = html.escape(reason["column"])
    if reason["kind"] == "missing":
        return f"{column}: —"
    if reason["kind"] == "category":
        return f"{column} = {html.escape(reason['value'])} ({reason['share']:.1%})"
    return f"{column} = {number(reason['value'])} ({reason['distance']:+.1f} sd)"


def _reduce(record: dict[str, Any]) -> list[str]:
    text = both("unsupervised.reduce_summary", method=record["method"], dims=record["dims"],
                rows=f"{record['n_rows']:,}")
    parts = [section("summary", "unsupervised.title_reduce", f"<p>{text}</p>" + explain("unsupervised.explain_reduce"))]
    components = record.get("components")
    if components:
        bars = charts.bars([f"PC{c['component']}" for c in components], [c["explained"] for c in components],
                           [None] * len(components), "share of variance", from_zero=True)
        rows = [[f"PC{c['component']}", f"{c['explained']:.1%}",
                 ", ".join(f"{html.escape(w['feature'])} {w['weight']:+.2f}" for w in c["loadings"])] for c in components]
        parts.append(section("components", "unsupervised.title_components",
                             figure(bars, "unsupervised.caption_components", total=f"{record['explained_total']:.1%}")
                             + table(["PC", "%", both("unsupervised.col_loadings")], rows)
                             + explain("unsupervised.explain_components")))
    parts.append(_map_section(record, "unsupervised.caption_map", "unsupervised.explain_map"))
    return parts
