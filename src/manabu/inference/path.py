"""The row path of a fitted pipeline or ensemble, and the check that earns it its use.

``build_row_path`` compiles the preprocessing and the model (see ``preprocess`` and ``models``),
then predicts a set of synthetic rows both ways (``verify``); the row path is returned only
when every answer agrees with the original within ``TOLERANCE``.
"""
from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from manabu.data.schema import Schema
from manabu.inference.errors import Unsupported
from manabu.inference.models import compile_model
from manabu.inference.preprocess import CompiledColumns, Values, compile_columns, share_alike

log = logging.getLogger(__name__)


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
    """The compiled stand-in of a fitted Pipeline, or of an ensemble of them (which keeps its
    own way of combining members: a copy of it is given compiled members)."""
    ensemble = _ensemble_class()
    if ensemble is not None and isinstance(model, ensemble):
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


def _ensemble_class() -> type | None:
    try:
        from manabu.ensemble.model import Ensemble
    except ImportError:
        return None
    return Ensemble


def compile_row_path(pipeline: Any, classifier: bool | None = None) -> RowPath:
    """The row path of ``pipeline``, not yet verified: good for timing it, not for answers."""
    return RowPath(compile_rows(pipeline), _is_classifier(pipeline) if classifier is None else classifier)


def build_row_path(pipeline: Any, schema: Schema) -> RowPath:
    """A verified row path for ``pipeline``, or ``Unsupported`` saying why there is none.

    Its forests find their leaves with ONNX Runtime where they can; if the answers then
    differ, the numpy walk is verified instead (ONNX Runtime is a speed-up, never a risk)."""
    from manabu.inference.verify import verify

    path = compile_row_path(pipeline)
    forests = [forest for forest in forests_in(path.compiled) if forest.use_onnx()]
    try:
        verify(path, pipeline, schema)
    except Unsupported as reason:
        if not forests:
            raise
        log.info("ONNX Runtime's leaves set aside (%s); trying the numpy walk", reason)
        for forest in forests:
            forest.use_onnx(False)
        verify(path, pipeline, schema)
    return path


def compiled_pipelines(compiled: Any) -> list[PipelineRows]:
    """The compiled pipelines of a compiled model: an ensemble's members, or the one."""
    return [member for _, member in compiled.members] if hasattr(compiled, "members") else [compiled]


def forests_in(compiled: Any) -> list[Any]:
    """The flat-array forests (``trees.Forest``) that the compiled pipelines predict with."""
    found = (getattr(pipeline.model, "forest", None) for pipeline in compiled_pipelines(compiled))
    return [forest for forest in found if forest is not None]


def row_path_or_none(pipeline: Any, schema: Schema) -> RowPath | None:
    """``build_row_path``, or None when it cannot be built or verified: predictions then keep
    the original pipeline. Never raises: a row path is an optimisation, not a feature."""
    try:
        return build_row_path(pipeline, schema)
    except Unsupported as reason:
        log.debug("no row path: %s", reason)
    except Exception as error:  # a bug here must not break predictions; the original stays
        log.warning("no row path (%s: %s)", type(error).__name__, error)
    return None


def _is_classifier(model: Any) -> bool:
    """Answers classes (an ensemble says so by its task; a pipeline by its last step)."""
    task = getattr(model, "task", None)
    if task is not None:
        return str(task) != "regression"
    try:
        return hasattr(model, "predict_proba") and getattr(model, "classes_", None) is not None
    except AttributeError:
        return False
