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
    """(training rows, held-out rows), or None when there are too few rows to hold some out.

    A class of a single row cannot be split: its row always trains, and the other classes are
    held out in proportion, so that a class of one or two rows does not cost the rest early
    stopping."""
    n_valid = int(len(y) * HOLDOUT)
    if n_valid < MIN_HOLDOUT_ROWS:
        return None
    rows = np.arange(len(y))
    if not classification:
        return train_test_split(rows, test_size=n_valid, random_state=seed)
    _, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    alone = counts[codes] < 2
    rest = rows[~alone]
    n_classes = int((counts >= 2).sum())
    if n_valid < n_classes or len(rest) - n_valid < n_classes:
        return None  # a class could vanish from one side
    train, valid = train_test_split(rest, test_size=n_valid, random_state=seed, stratify=y[rest])
    return (np.concatenate([train, rows[alone]]), valid) if alone.any() else (train, valid)


def rows_at(X, index: np.ndarray):
    """The rows ``index`` of a frame or an array."""
    return X.iloc[index] if hasattr(X, "iloc") else X[index]
