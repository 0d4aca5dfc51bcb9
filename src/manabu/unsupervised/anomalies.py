"""Anomaly detection: which rows are unlike the others, and why.

The columns are prepared as for clustering (numbers scaled, categories one-hot encoded). Three
detectors look at the rows in different ways: an isolation forest (a row that random splits
isolate quickly is unusual), the local outlier factor (a row in a sparser neighbourhood than its
neighbours' is unusual) and a robust covariance (a row far from the bulk, in the Mahalanobis
sense, is unusual). The ensemble averages their verdicts, each first turned into the share of
training rows that look less unusual (a percentile), so that their different scales do not
matter. A score is between 0 and 1: 0.99 means more unusual than 99% of the training rows.

Why a row is unusual is told from the data itself: the numbers furthest from their median (in
robust standard deviations) and the categories that are rare in the training rows.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.covariance import EllipticEnvelope
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import LocalOutlierFactor

from manabu.base.trust import register_trusted
from manabu.data.schema import ColumnType, Schema
from manabu.base.errors import ConfigError, DataError

METHODS = ("ensemble", "isolation_forest", "lof", "robust_covariance")
REFERENCE_POINTS = 1_001  # training-score quantiles kept to turn a score into a percentile
FIT_ROWS = 50_000          # LOF and the robust covariance are fitted on at most this many rows
RARE_SHARE = 0.01          # a category this rare in training makes a row unusual
FAR = 2.0                  # a number this many robust standard deviations from the median is unusual
RARELY_MISSING = 0.05      # a missing value in a column missing this rarely is unusual

# (the neighbour trees a fitted LOF holds are on the artifact's own list)
register_trusted("manabu.unsupervised.anomalies.Detectors", "sklearn.ensemble._iforest.IsolationForest",
                 "sklearn.neighbors._lof.LocalOutlierFactor", "sklearn.covariance._elliptic_envelope.EllipticEnvelope")


class Detectors(BaseEstimator):
    """The chosen detectors fitted on the prepared rows; ``score_samples`` gives each row's
    percentile among the training rows' (averaged over the detectors for the ensemble)."""

    def __init__(self, method: str = "ensemble", random_state: int = 0) -> None:
        self.method = method
        self.random_state = random_state

    def fit(self, Z: np.ndarray, y=None) -> "Detectors":
        self._fit(Z)
        return self

    def fit_predict(self, Z: np.ndarray, y=None) -> np.ndarray:
        """Fit, and the scores of the training rows ``Z``; when every row was fitted on, the
        raw scores the fit computed are used rather than computed again."""
        sample, raws = self._fit(Z)
        return self._percentiles(raws) if sample is Z else self.score_samples(Z)

    def _fit(self, Z: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Fits the detectors; the rows the references were taken from, and their raw scores."""
        if self.method not in METHODS:
            raise ConfigError("anomalies.bad_method", method=self.method, methods=", ".join(METHODS))
        names = METHODS[1:] if self.method == "ensemble" else (self.method,)
        rng = np.random.default_rng(self.random_state)
        sample = Z[rng.choice(len(Z), FIT_ROWS, replace=False)] if len(Z) > FIT_ROWS else Z
        self.detectors_, self.references_, raws = [], [], []
        for name in names:
            detector = _detector(name, len(sample), self.random_state)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # covariance of one-hot columns is near singular, and says so
                try:
                    detector.fit(Z if name == "isolation_forest" else sample)
                except (ValueError, np.linalg.LinAlgError):
                    if self.method != "ensemble":
                        raise DataError("anomalies.detector_failed", method=name) from None
                    continue  # the ensemble goes on without a detector the data does not suit
                raw = -detector.score_samples(sample)
            self.detectors_.append(detector)
            self.references_.append(np.quantile(raw, np.linspace(0, 1, REFERENCE_POINTS)))
            raws.append(raw)
        return sample, raws

    def score_samples(self, Z: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self._percentiles([-detector.score_samples(Z) for detector in self.detectors_])

    predict = score_samples

    def _percentiles(self, raws: list[np.ndarray]) -> np.ndarray:
        """Each detector's raw scores as percentiles of its training rows', averaged."""
        return np.mean([np.searchsorted(reference, raw, side="right") / len(reference)
                        for reference, raw in zip(self.references_, raws)], axis=0)


def _detector(name: str, n_rows: int, seed: int):
    if name == "isolation_forest":
        return IsolationForest(n_estimators=200, random_state=seed)
    if name == "lof":
        return LocalOutlierFactor(n_neighbors=min(20, max(n_rows - 1, 1)), novelty=True)
    return EllipticEnvelope(support_fraction=0.9, random_state=seed)


def reasons(X: pd.DataFrame, schema: Schema, rows: np.ndarray, top: int = 3) -> list[list[dict[str, Any]]]:
    """For each row in ``rows`` (positions), what makes it unusual: numbers far from their median
    (in robust standard deviations), categories rare in the data, values missing where they
    rarely are. A row with none of these is unusual by the combination of its values."""
    numbers = schema.of_type(ColumnType.NUMERIC, ColumnType.BOOLEAN)
    categories = schema.of_type(ColumnType.CATEGORICAL, ColumnType.HIGH_CARDINALITY)
    median = X[numbers].median()
    spread = (X[numbers] - median).abs().median() * 1.4826
    spread = spread.where(spread > 0, X[numbers].std()).replace(0, np.nan)
    shares = {name: X[name].value_counts(normalize=True) for name in categories}
    missing = X.isna().mean()
    found = []
    for row in rows:
        traits = []
        for column in schema.features:
            name, value = column.name, X[column.name].iloc[row]
            if pd.isna(value):
                if missing[name] < RARELY_MISSING:
                    traits.append({"column": name, "kind": "missing", "share": float(missing[name]),
                                   "strength": 1.0 + (RARELY_MISSING - missing[name]) / RARELY_MISSING})
            elif name in spread.index and pd.notna(spread[name]):
                distance = float((value - median[name]) / spread[name])
                if abs(distance) >= FAR:
                    traits.append({"column": name, "kind": "number", "value": float(value), "median": float(median[name]),
                                   "distance": distance, "strength": abs(distance) / FAR})
            elif name in shares:
                share = float(shares[name].get(value, 0.0))
                if share < RARE_SHARE:
                    traits.append({"column": name, "kind": "category", "value": str(value), "share": share,
                                   "strength": 1.0 + (RARE_SHARE - share) / RARE_SHARE})
        traits.sort(key=lambda t: -t["strength"])
        found.append(traits[:top])
    return found


def evaluation(scores: np.ndarray, label: pd.Series) -> dict[str, Any]:
    """ROC-AUC and precision at k (k = the number of anomalies), the rarer label value being the
    anomaly."""
    known = label.notna().to_numpy()
    values = label[known].astype(str)
    counts = values.value_counts()
    if len(counts) != 2:
        raise DataError("anomalies.eval_label_values", n=len(counts))
    positive = counts.index[-1]
    truth = (values == positive).to_numpy()
    ranked = np.argsort(-scores[known])[: int(truth.sum())]
    return {"anomaly_value": positive, "anomalies": int(truth.sum()), "rows": int(known.sum()),
            "roc_auc": float(roc_auc_score(truth, scores[known])), "precision_at_k": float(truth[ranked].mean())}
