"""What the gradient-boosting families share: they pick their own number of trees by holding
out a tenth of the rows they are given and stopping when those stop improving; on data too small
to hold rows out, they stop after a small fixed number of trees instead of overfitting.

``manabu export-code`` copies these lines into the scripts it writes, as they are here.
"""
from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

PATIENCE = 50           # rounds without improvement on the held-out rows before stopping
HOLDOUT = 0.1           # share of the training rows held out to decide when to stop
MIN_HOLDOUT_ROWS = 30   # below this, a fixed small number of trees is safer than early stopping
SMALL_DATA_TREES = 100



def holdout_split(y: np.ndarray, classification: bool, seed) -> tuple[np.ndarray, np.ndarray] | None:
    """(training rows, held-out rows), or None when there are too few rows to hold some out."""
    n_valid = int(len(y) * HOLDOUT)
    if n_valid < MIN_HOLDOUT_ROWS:
        return None
    stratify = None
    if classification:
        _, counts = np.unique(y, return_counts=True)
        if counts.min() < 2 or n_valid < len(counts):
            return None  # a class could vanish from one side
        stratify = y
    return train_test_split(np.arange(len(y)), test_size=n_valid, random_state=seed, stratify=stratify)


def rows_at(X, index: np.ndarray):
    """The rows ``index`` of a frame or an array."""
    return X.iloc[index] if hasattr(X, "iloc") else X[index]
