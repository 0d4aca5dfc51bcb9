"""Fast predictions on a few rows, with exactly the answers of the fitted pipeline.

A fitted pipeline answers one row in tens of milliseconds, nearly all of it scikit-learn's
and pandas' work around the numbers. ``build_row_path`` re-expresses the preprocessing as
numpy and dict look-ups and calls the model at its lowest safe level, then checks the result
against the original on made-up rows; only a row path that agrees is ever used.
"""
from manabu.inference.errors import NotCovered, Unsupported
from manabu.inference.compiled import RowPath, compile_row_path
from manabu.inference.path import build_row_path, row_path_or_none

__all__ = ["NotCovered", "RowPath", "Unsupported", "build_row_path", "compile_row_path", "row_path_or_none"]
