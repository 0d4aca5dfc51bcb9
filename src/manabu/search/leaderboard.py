"""The leaderboard: every candidate's out-of-fold score, best first, with its costs."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from manabu.evaluate.metrics import Metric, signed
from manabu.search.crossval import CandidateResult

COLUMNS = ["rank", "model", "family", "score", "score_std", "fit_seconds", "predict_seconds",
           "status", "origin", "params"]


def leaderboard_records(results: list[CandidateResult], metric: Metric) -> list[dict[str, Any]]:
    """JSON-friendly rows: trained candidates ranked by score, then the ones that did not finish."""
    def order(r: CandidateResult) -> tuple[int, float]:
        finished = r.ok and math.isfinite(r.score)
        return (0, -signed(metric, r.score)) if finished else (1, 0.0)

    records = []
    for rank, r in enumerate(sorted(results, key=order), start=1):
        finished = r.ok and math.isfinite(r.score)
        records.append({
            "rank": rank if finished else None,
            "model": r.candidate.name,
            "family": r.candidate.family,
            "score": _clean(r.score),
            "score_std": _clean(r.score_std),
            "fit_seconds": round(r.fit_seconds, 4),
            "predict_seconds": round(r.predict_seconds, 4),
            "status": r.status,
            "origin": r.candidate.origin,
            "params": r.candidate.params,
        })
    return records


def leaderboard_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame.from_records(records, columns=COLUMNS)


def _clean(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)
