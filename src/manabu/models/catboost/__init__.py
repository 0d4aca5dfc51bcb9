"""The CatBoost family: the estimator and its search space (``family``), stored as its cbm file
(``codec``), answering a few rows through a ``Pool`` of the rows (``rows``), trained in the
scripts of ``manabu export-code`` as manabu trains it (``script``). The zoo lists ``ENTRY``
(``entry``); nothing else names the family.

Importing the package registers only the storage format and the row path, without importing
CatBoost: a saved model that holds a CatBoost member loads through them (the ``manabu.plugins``
entry point names this package), and CatBoost is imported when the model file is read.
"""
from __future__ import annotations

from manabu.models.entry import register_storage

from .codec import CODEC
from .rows import compile_catboost

register_storage(CODEC, compile_catboost)
