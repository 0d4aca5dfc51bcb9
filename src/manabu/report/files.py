"""The report beside a model: drawn from a Predictor or from a model folder's manifest."""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from manabu.artifact import REPORT_FILE, read_manifest, write_derived
from manabu.base.i18n import get_language
from manabu.report.page import render_report


def predictor_report(predictor: Any, lang: str | None = None) -> str:
    """The page for a trained (or loaded) Predictor."""
    return render_report(predictor.record.to_dict(), lang or get_language())


class Report:
    """A report page that shows itself in Jupyter: ``Report(predictor)`` as a cell's value.

    The page goes into an ``<iframe srcdoc>``, so that its style and script stay inside it and
    the notebook's own look is left alone."""

    def __init__(self, predictor: Any, lang: str | None = None, height: int = 800) -> None:
        self.html = predictor_report(predictor, lang)
        self.height = height

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" title="manabu report" '
                f'style="width: 100%; height: {self.height}px; border: 1px solid #d0d7de;"></iframe>')

    def save(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_text(self.html, encoding="utf-8")
        return target


def report_for_folder(model_dir: str | Path, lang: str | None = None) -> str:
    """The page for a saved model, from its manifest alone: the report is drawn from the
    numbers kept there, so neither the model files nor the data are read."""
    return render_report(read_manifest(Path(model_dir))["training"], lang or get_language())


def write_report(model_dir: str | Path, lang: str | None = None) -> Path:
    """Rebuild ``report.html`` in the model folder, atomically."""
    return write_derived(model_dir, REPORT_FILE, report_for_folder(model_dir, lang).encode("utf-8"))
