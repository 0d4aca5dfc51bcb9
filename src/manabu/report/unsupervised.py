"""The report pages of ``manabu cluster``, ``manabu anomalies`` and ``manabu reduce``: the same
look, language switch and explanations as the training report, for what each method found."""
from __future__ import annotations

import html
from typing import Any

from manabu.report import charts
from manabu.report.page import _both, _explain, _figure, _number, _section, _table, page


def render_unsupervised(kind: str, record: dict[str, Any], lang: str) -> str:
    sections = {"cluster": _cluster, "anomalies": _anomalies, "reduce": _reduce}[kind](record)
    return page(f"manabu {kind}", sections, lang, "unsupervised.footer")


def _map_section(record: dict[str, Any], caption_key: str, explain_key: str) -> str:
    """The rows on two axes, coloured by their group where the record's map has groups."""
    points = record.get("map")
    figure = ""
    if points:
        svg = charts.scatter(points["x"], points["y"], x_label="1", y_label="2", groups=points.get("groups"))
        figure = _figure(svg, caption_key, n=len(points["x"]))
    return _section("map", "unsupervised.title_map", figure + _explain(explain_key))


def _cluster(record: dict[str, Any]) -> list[str]:
    text = _both("unsupervised.cluster_summary", k=record["k"], method=record["method"], rows=f"{record['n_rows']:,}")
    summary = _section("summary", "unsupervised.title_clusters", f"<p>{text}</p>" + _explain("unsupervised.explain_clusters"))
    parts = [summary]
    choice = record.get("k_choice")
    if choice:
        scores = choice["scores"]
        bars = charts.bars([f"k={s['k']}" for s in scores], [s["silhouette"] for s in scores], [None] * len(scores),
                           "silhouette", highlight=f"k={choice['k']}")
        table = _table(["k", "silhouette", "Calinski-Harabasz", "BIC"],
                       ([str(s["k"]), _number(s["silhouette"], 3), _number(s["calinski_harabasz"]), _number(s["bic"])]
                        for s in scores))
        parts.append(_section("k", "unsupervised.title_k", _figure(bars, "unsupervised.caption_k", k=choice["k"])
                              + table + _explain("unsupervised.explain_k")))
    found = record["profiles"]
    rows = [[str(p["cluster"]), f"{p['size']:,}", f"{p['share']:.0%}", "; ".join(map(_trait, p["traits"])) or "—"]
            for p in found]
    sizes = charts.bars([str(p["cluster"]) for p in found], [p["size"] for p in found], [None] * len(found), "rows",
                        from_zero=True)
    header = [_both("unsupervised.col_cluster"), _both("unsupervised.col_rows"), "%", _both("unsupervised.col_traits")]
    parts.append(_section("profiles", "unsupervised.title_profiles", _figure(sizes, "unsupervised.caption_sizes")
                          + _table(header, rows) + _explain("unsupervised.explain_profiles")))
    parts.append(_map_section(record, "unsupervised.caption_map", "unsupervised.explain_map"))
    return parts


def _trait(trait: dict[str, Any]) -> str:
    column = html.escape(trait["column"])
    if trait["kind"] == "category":
        return f"{column} = {html.escape(trait['value'])} ({trait['share']:.0%} / {trait['overall']:.0%})"
    return f"{column} {trait['shift']:+.1f} sd ({_number(trait['mean'])} / {_number(trait['overall'])})"


def _anomalies(record: dict[str, Any]) -> list[str]:
    text = _both("unsupervised.anomaly_summary", rows=f"{record['n_rows']:,}", detectors=", ".join(record["detectors"]))
    parts = [_section("summary", "unsupervised.title_anomalies", f"<p>{text}</p>" + _explain("unsupervised.explain_anomalies"))]
    rows = []
    for found in record["top"]:
        why = "; ".join(_reason(r) for r in found["reasons"]) or _both("anomalies.why_none")
        rows.append([str(found["row"]), _number(found["score"]), why])
    header = [_both("anomalies.col_row"), _both("anomalies.col_score"), _both("anomalies.col_why")]
    parts.append(_section("top", "unsupervised.title_top", _table(header, rows) + _explain("unsupervised.explain_top")))
    result = record.get("evaluation")
    if result:
        text = _both("unsupervised.evaluation", roc_auc=_number(result["roc_auc"], 3),
                     precision=f"{result['precision_at_k']:.1%}", anomalies=result["anomalies"], rows=result["rows"])
        parts.append(_section("evaluation", "unsupervised.title_evaluation",
                              f"<p>{text}</p>" + _explain("unsupervised.explain_evaluation")))
    parts.append(_map_section(record, "unsupervised.caption_anomaly_map", "unsupervised.explain_anomaly_map"))
    return parts


def _reason(reason: dict[str, Any]) -> str:
    column = html.escape(reason["column"])
    if reason["kind"] == "missing":
        return f"{column}: —"
    if reason["kind"] == "category":
        return f"{column} = {html.escape(reason['value'])} ({reason['share']:.1%})"
    return f"{column} = {_number(reason['value'])} ({reason['distance']:+.1f} sd)"


def _reduce(record: dict[str, Any]) -> list[str]:
    text = _both("unsupervised.reduce_summary", method=record["method"], dims=record["dims"],
                 rows=f"{record['n_rows']:,}")
    parts = [_section("summary", "unsupervised.title_reduce", f"<p>{text}</p>" + _explain("unsupervised.explain_reduce"))]
    components = record.get("components")
    if components:
        bars = charts.bars([f"PC{c['component']}" for c in components], [c["explained"] for c in components],
                           [None] * len(components), "share of variance", from_zero=True)
        rows = [[f"PC{c['component']}", f"{c['explained']:.1%}",
                 ", ".join(f"{html.escape(w['feature'])} {w['weight']:+.2f}" for w in c["loadings"])] for c in components]
        parts.append(_section("components", "unsupervised.title_components",
                              _figure(bars, "unsupervised.caption_components", total=f"{record['explained_total']:.1%}")
                              + _table(["PC", "%", _both("unsupervised.col_loadings")], rows)
                              + _explain("unsupervised.explain_components")))
    parts.append(_map_section(record, "unsupervised.caption_map", "unsupervised.explain_map"))
    return parts
