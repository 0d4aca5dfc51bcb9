"""Kernel support vector machines: strong on small data, quadratic in rows, so small data only."""
from __future__ import annotations

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import SVC, SVR

from manabu.base.trust import register_trusted
from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, ModelEntry, Params
from manabu.models.space import Real


CALIBRATION_FOLDS = 3


class RareClassCalibratedClassifierCV(CalibratedClassifierCV):
    """Platt scaling on stratified internal folds needs as many rows of each class as folds:
    on 3,772 rows with a class of 2, every configuration failed alike. The rows of a class
    smaller than that are repeated up to it (the only rows that then teach the scaling twice)."""

    def fit(self, X, y, **fit_params):
        y = np.asarray(y)
        labels, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
        if counts.min() >= CALIBRATION_FOLDS or fit_params:
            return super().fit(X, y, **fit_params)
        rows = np.arange(len(y))
        repeats = np.where(counts[codes] < CALIBRATION_FOLDS, -(-CALIBRATION_FOLDS // counts[codes]), 1)
        rows = np.repeat(rows, repeats)
        return super().fit(X[rows] if not hasattr(X, "iloc") else X.iloc[rows], y[rows])


register_trusted("sklearn.calibration.CalibratedClassifierCV", "sklearn.calibration._CalibratedClassifier",
                 "sklearn.calibration._SigmoidCalibration", f"{__name__}.RareClassCalibratedClassifierCV")


def make(task: str, params: Params, seed: int):
    c = params.get("C", 1.0)
    if task == "regression":
        return SVR(C=c, gamma="scale")
    # probabilities by Platt scaling on internal folds, as scikit-learn now recommends
    return RareClassCalibratedClassifierCV(SVC(C=c, gamma="scale", random_state=seed), method="sigmoid",
                                           ensemble=False, cv=CALIBRATION_FOLDS)


SPACE = {"C": Real(0.05, 100.0, log=True)}


ENTRY = ModelEntry("svm", ALL_TASKS, PreprocessKind.LINEAR, make, SPACE, max_rows=5_000, cost=2.0,
                   cost_exponent=2.0)
