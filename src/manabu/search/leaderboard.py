"""The leaderboard: every candidate's out-of-fold score, best first, with its costs."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from manabu.evaluate.metrics import Metric, signed
from manabu.search.crossval import CandidateResult

COLUMNS = ["rank", "model", "family", "score", "score_std", "fit_seconds", "predict_seconds",
           "latency_ms", "status", "origin", "params"]


def leaderboard_records(results: list[CandidateResult], metric: Metric) -> list[dict[str, Any]]:
    """JSON-friendly rows: eligible candidates ranked by score, then those too slow for
    --max-latency-ms, then the ones that did not finish."""
    def order(r: CandidateResult) -> tuple[int, float]:
        if r.choosable:
            return (0, -signed(metric, r.score))
        return (1, -signed(metric, r.score)) if r.ok and math.isfinite(r.score) else (2, 0.0)

    records = []
    for rank, r in enumerate(sorted(results, key=order), start=1):
        records.append({
            "rank": rank if r.choosable else None,
            "model": r.candidate.name,
            "family": r.candidate.family,
            "score": _clean(r.score),
            "score_std": _clean(r.score_std),
            "fit_seconds": round(r.fit_seconds, 4),
            "predict_seconds": round(r.predict_seconds, 4),
            "latency_ms": _clean(round(r.latency_ms, 3)),
            "status": r.status if r.eligible else "too_slow",
            "origin": r.candidate.origin,
            "params": r.candidate.params,
            **_sample_of(r.candidate),
        })
    return records


def _sample_of(candidate) -> dict[str, float]:
    """``row_fraction`` for a model fitted on a sample of the rows (an exported script takes the
    same sample); nothing for the others, ensembles among them."""
    fraction = getattr(candidate, "row_fraction", 1.0)
    return {"row_fraction": fraction} if fraction < 1.0 else {}


def leaderboard_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def _clean(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)
