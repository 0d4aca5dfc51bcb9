"""The XGBoost family: the estimator and its search space (``family``), stored as its booster's
UBJSON (``codec``), answering a few rows through flat-array trees (``rows``), trained in the
scripts of ``manabu export-code`` as manabu trains it (``script``). The zoo lists ``ENTRY``
(``entry``); nothing else names the family.

Importing the package registers only the storage format and the row path, without importing
XGBoost: a saved model that holds a XGBoost member loads through them (the ``manabu.plugins``
entry point names this package), and XGBoost is imported when the model file is read.
"""
from __future__ import annotations

from manabu.models.entry import register_storage

from .codec import CODEC
from .rows import compile_xgboost

register_storage(CODEC, compile_xgboost)
