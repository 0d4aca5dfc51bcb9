"""Kernel support vector machines: strong on small data, quadratic in rows, so small data only."""
from __future__ import annotations

from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import SVC, SVR

from manabu.base.trust import register_trusted

from manabu.features.preprocess import PreprocessKind
from manabu.models.entry import ALL_TASKS, ModelEntry, Params
from manabu.models.space import Real


register_trusted("sklearn.calibration.CalibratedClassifierCV", "sklearn.calibration._CalibratedClassifier",
                 "sklearn.calibration._SigmoidCalibration")


def make(task: str, params: Params, seed: int):
    c = params.get("C", 1.0)
    if task == "regression":
        return SVR(C=c, gamma="scale")
    # probabilities by Platt scaling on internal folds, as scikit-learn now recommends
    return CalibratedClassifierCV(SVC(C=c, gamma="scale", random_state=seed), method="sigmoid",
                                  ensemble=False, cv=3)


SPACE = {"C": Real(0.05, 100.0, log=True)}


ENTRY = ModelEntry("svm", ALL_TASKS, PreprocessKind.LINEAR, make, SPACE, max_rows=5_000, cost=2.0,
                   cost_exponent=2.0)
