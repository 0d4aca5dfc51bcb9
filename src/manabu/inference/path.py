"""The row path of a fitted pipeline or ensemble, and the check that earns it its use.

``build_row_path`` compiles the preprocessing and the model (``compiled``), then predicts a set
of synthetic rows both ways (``verify``); the row path is returned only when every answer agrees
with the original within ``TOLERANCE``.
"""
from __future__ import annotations

import logging
from typing import Any

from manabu.data.schema import Schema
from manabu.inference.compiled import RowPath, compile_row_path, forests_in
from manabu.inference.errors import Unsupported
from manabu.inference.verify import verify

log = logging.getLogger(__name__)


def build_row_path(pipeline: Any, schema: Schema) -> RowPath:
    """A verified row path for ``pipeline``, or ``Unsupported`` saying why there is none.

    Its forests find their leaves with ONNX Runtime where they can; if the answers then
    differ, the numpy walk is verified instead (ONNX Runtime is a speed-up, never a risk)."""
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
