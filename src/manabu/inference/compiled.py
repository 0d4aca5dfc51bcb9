"""The compiled form of a fitted pipeline or ensemble: the same methods, on prepared rows.

``compile_rows`` re-expresses the preprocessing (``preprocess``) and the model (``models``);
nothing here is checked yet: ``path.build_row_path`` verifies a compiled model before use.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from manabu.inference.errors import Unsupported
from manabu.inference.models import compile_model
from manabu.inference.preprocess import CompiledColumns, Values, compile_columns, share_alike


@dataclass
class Rows:
    """Prepared rows handed through a pipeline's or an ensemble's own methods in place of a
    frame; ``len`` is all that those methods ask of their input besides passing it on."""

    values: Values
    n_rows: int
    matrices: dict[int, np.ndarray] = field(default_factory=dict)  # per preprocessing, this call

    def __len__(self) -> int:
        return self.n_rows


@dataclass
class PipelineRows:
    """A fitted ``Pipeline([preprocess, model])`` with both steps compiled."""

    columns: CompiledColumns
    model: Any

    @property
    def classes_(self):
        return self.model.classes_

    def matrix(self, rows: Rows) -> np.ndarray:
        """The model's input; members of an ensemble whose preprocessing was fitted alike
        (same family kind, same rows, same seed) compute it once per call."""
        key = self.columns.key
        matrix = rows.matrices.get(key)
        if matrix is None:
            matrix = rows.matrices[key] = self.columns.transform(rows.values, rows.n_rows)
        return matrix

    def predict(self, rows: Rows) -> np.ndarray:
        return self.model.predict(self.matrix(rows))

    def predict_proba(self, rows: Rows) -> np.ndarray:
        return self.model.predict_proba(self.matrix(rows))


class RowPath:
    """Predictions for a few prepared rows (``Schema.prepare_values``) that equal the original
    pipeline's. Methods may raise ``NotCovered``: the caller then asks the original."""

    def __init__(self, compiled: Any, classifier: bool) -> None:
        self.compiled = compiled
        self.classifier = classifier

    def predict(self, values: Values, n_rows: int) -> np.ndarray:
        return self.compiled.predict(Rows(values, n_rows))

    def predict_proba(self, values: Values, n_rows: int) -> np.ndarray:
        return self.compiled.predict_proba(Rows(values, n_rows))


def compile_rows(model: Any) -> Any:
    """The compiled stand-in of a fitted Pipeline, or of a model that combines fitted pipelines
    (an ensemble: anything with ``members``, a list of (name, pipeline), whose own methods call
    the members' ``predict``/``predict_proba``): a copy of it is given compiled members, and
    keeps its own way of combining them."""
    if isinstance(getattr(model, "members", None), list):
        compiled = copy.copy(model)
        compiled.members = [(name, compile_rows(member)) for name, member in model.members]
        share_alike([member.columns for _, member in compiled.members])
        return compiled
    if not isinstance(model, Pipeline) or len(model.steps) != 2:
        raise Unsupported(f"model of type {type(model).__name__}")
    (_, preprocess), (_, estimator) = model.steps
    columns = compile_columns(preprocess)
    if getattr(estimator, "n_features_in_", columns.width) != columns.width:
        raise Unsupported("preprocessing width differs from the model's input")
    return PipelineRows(columns, compile_model(estimator))


def compile_row_path(pipeline: Any, classifier: bool | None = None) -> RowPath:
    """The row path of ``pipeline``, not yet verified: good for timing it, not for answers."""
    return RowPath(compile_rows(pipeline), _is_classifier(pipeline) if classifier is None else classifier)


def compiled_pipelines(compiled: Any) -> list[PipelineRows]:
    """The compiled pipelines of a compiled model: an ensemble's members, or the one."""
    return [member for _, member in compiled.members] if hasattr(compiled, "members") else [compiled]


def forests_in(compiled: Any) -> list[Any]:
    """The flat-array forests (``trees.Forest``) that the compiled pipelines predict with."""
    found = (getattr(pipeline.model, "forest", None) for pipeline in compiled_pipelines(compiled))
    return [forest for forest in found if forest is not None]


def _is_classifier(model: Any) -> bool:
    """Answers classes (an ensemble says so by its task; a pipeline by its last step)."""
    task = getattr(model, "task", None)
    if task is not None:
        return str(task) != "regression"
    try:
        return hasattr(model, "predict_proba") and getattr(model, "classes_", None) is not None
    except AttributeError:
        return False
