"""Judging models: the metrics every score in manabu is computed with."""
from manabu.evaluate.metrics import (
    ALIASES,
    METRICS,
    Metric,
    compute_all,
    default_metric,
    get_metric,
    metrics_for,
    signed,
)

__all__ = [
    "ALIASES",
    "METRICS",
    "Metric",
    "compute_all",
    "default_metric",
    "get_metric",
    "metrics_for",
    "signed",
]
