"""A fitted model's answer in the one shape the search, the ensembles and the report compare:
a probability for every class of the task, or a value."""
from __future__ import annotations

import numpy as np
import pandas as pd


def predict_scores(pipeline, X: pd.DataFrame, task: str, n_classes: int) -> np.ndarray:
    """Class probabilities on all ``n_classes`` columns (a fold may lack a class), or values."""
    if task == "regression":
        return np.asarray(pipeline.predict(X), dtype=float)
    proba = np.asarray(pipeline.predict_proba(X), dtype=float)
    seen = np.asarray(pipeline.classes_, dtype=int)
    if len(seen) == n_classes:
        return proba
    full = np.zeros((len(X), n_classes))
    full[:, seen] = proba
    return full
