"""Data that ships with manabu's dependencies, for ``manabu quickstart`` and the examples."""
from __future__ import annotations

import pandas as pd

from manabu.base.i18n import Message


def load_quickstart() -> tuple[pd.DataFrame, str, Message]:
    """The Wisconsin breast cancer data bundled with scikit-learn (569 tumours, 30 measurements):
    real, small, and a question that matters: is the tumour malignant or benign?"""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.copy()
    names = dict(enumerate(bunch.target_names))  # 0: malignant, 1: benign
    frame["diagnosis"] = frame.pop("target").map(names)
    return frame, "diagnosis", Message("cli.quickstart_intro", {"rows": len(frame), "columns": frame.shape[1] - 1})
