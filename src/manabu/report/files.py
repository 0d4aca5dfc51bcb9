"""The report beside a model: drawn from a Predictor or from a model folder's manifest."""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from manabu.i18n import get_language
from manabu.report.page import render_report

REPORT_FILE = "report.html"


def predictor_report(predictor: Any, lang: str | None = None) -> str:
    """The page for a trained (or loaded) Predictor."""
    return render_report(predictor.record.to_dict(), predictor.record.report, lang or get_language())


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
    """The page for a saved model, from its verified manifest (the model itself is not built)."""
    from manabu.artifact import verify
    training = verify(model_dir)["training"]
    return render_report(training, training.get("report"), lang or get_language())


def write_report(model_dir: str | Path, lang: str | None = None, output: str | Path | None = None) -> Path:
    """Rebuild ``report.html`` in the model folder (atomically), or write it to ``output``."""
    from manabu.artifact import write_derived
    page = report_for_folder(model_dir, lang).encode("utf-8")
    if output is None:
        return write_derived(model_dir, REPORT_FILE, page)
    target = Path(output)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(page)
    temporary.replace(target)
    return target
