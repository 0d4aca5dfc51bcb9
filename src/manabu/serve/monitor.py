"""``manabu monitor``: new rows (a data file, or the request log of ``manabu serve``) measured
against the training rows' sketch kept in the model folder (``manabu.evaluate.drift``).

The request log is JSON lines, one sampled request row per line: ``{"time": ..., "record":
{...}, "prediction": ...}``; ``RequestLog`` writes it from the server, each line with one
``write`` on a file opened for appending, so that the lines of several workers do not mix.
"""
from __future__ import annotations

import json
import os
import random
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from manabu.data.read import read
from manabu.base.errors import ConfigError, DataError
from manabu.evaluate.drift import MOVED, compare
from manabu.training.predictor import Predictor

MAX_ROWS = 100_000  # new rows compared, at most (a random sample of larger files)


def drift_of(model_dir: str | Path, data: str | Path, threshold: float = MOVED, seed: int = 0) -> dict[str, Any]:
    """The drift of ``data`` from the training rows of the model in ``model_dir``."""
    if not threshold > 0:
        raise ConfigError("monitor.bad_threshold", value=threshold)
    predictor = Predictor.load(model_dir)
    sketch = (predictor.record.report or {}).get("drift_reference")
    if sketch is None:
        raise ConfigError("monitor.no_reference", path=str(model_dir))
    frame = read_requests(data) if is_request_log(data) else read(data)
    if len(frame) > MAX_ROWS:
        frame = frame.sample(MAX_ROWS, random_state=seed)
    X = predictor.schema.prepare(frame, where=str(data))
    if predictor.classes is None:
        predictions = np.asarray(predictor.pipeline.predict(X), dtype=float)
    else:
        predictions = np.asarray(predictor.pipeline.predict_proba(X), dtype=float)
    result = compare(sketch, X, predictor.schema, predictions, predictor.classes, threshold)
    return {**result, "rows": len(frame), "data": str(data), "model": predictor.record.best_model,
            "target": predictor.target}


def is_request_log(path: str | Path) -> bool:
    """A JSON-lines file whose first line is a logged request."""
    path = Path(path)
    if path.suffix.lower() not in (".jsonl", ".ndjson") or not path.is_file():
        return False
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
    try:
        line = json.loads(first)
    except json.JSONDecodeError:
        return False
    return isinstance(line, dict) and "record" in line


def read_requests(path: str | Path) -> pd.DataFrame:
    """The rows of a request log (lines cut short by a server that stopped are skipped)."""
    records = []
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            try:
                records.append(json.loads(line)["record"])
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
    if not records:
        raise DataError("data.no_rows", path=str(path), columns="record")
    return pd.DataFrame.from_records(records)


class RequestLog:
    """Appends a sample (``share`` of the rows) of the served rows and their predictions."""

    def __init__(self, path: str | Path, share: float = 1.0, seed: int | None = None) -> None:
        if not 0 < share <= 1:
            raise ConfigError("monitor.bad_share", value=share)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.share = share
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, records: list[dict[str, Any]], answer: dict[str, Any]) -> None:
        now = datetime.now(timezone.utc).isoformat()
        lines = []
        for i, record in enumerate(records):
            if self.share < 1 and self._random.random() >= self.share:
                continue
            line = {"time": now, "record": record, "prediction": answer["predictions"][i]}
            if "probabilities" in answer:
                line["probabilities"] = answer["probabilities"][i]
            lines.append(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        if lines:
            with self._lock:
                os.write(self._descriptor, "".join(lines).encode("utf-8"))

    def close(self) -> None:
        os.close(self._descriptor)
