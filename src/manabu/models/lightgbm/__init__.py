"""The LightGBM family: the estimator and its search space (``family``), stored as its booster's own
text (``codec``), answering a few rows through its C API (``rows``), trained in the scripts of
``manabu export-code`` as manabu trains it (``script``). The zoo lists ``ENTRY`` (``entry``);
nothing else names the family.

Importing the package registers only the storage format and the row path, without importing
LightGBM: a saved model that holds a LightGBM member loads through them (the ``manabu.plugins``
entry point names this package), and LightGBM is imported when the model file is read.
"""
from __future__ import annotations

from manabu.models.entry import register_storage

from .codec import CODEC
from .rows import compile_lightgbm

register_storage(CODEC, compile_lightgbm)
