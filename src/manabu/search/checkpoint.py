"""The state of a search, saved as it goes, so that a stopped search can be continued
(``--resume``) instead of started again.

A checkpoint is a folder: ``state.json`` says what the search was for (data fingerprint, target,
task, metric, validation, seed), ``results.jsonl`` has one line per finished candidate, and
``oof-N.npy`` its out-of-fold predictions (plain arrays: ``allow_pickle=False``). Lines are
appended and flushed one by one, so a crash loses at most the candidate that was running.
"""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from manabu.base.errors import ConfigError
from manabu.models.entry import ModelEntry
from manabu.search.candidate import Candidate
from manabu.search.crossval import CandidateResult

STATE = "state.json"
RESULTS = "results.jsonl"


def checkpoint_folder(model_folder: str | Path) -> Path:
    """Where the search of the model saved at ``model_folder`` keeps its checkpoint: a hidden
    folder beside it (the model folder itself holds only checked files)."""
    folder = Path(model_folder).expanduser().absolute()
    return folder.parent / f".{folder.name}.search"


class Checkpoint:
    def __init__(self, folder: str | Path, signature: dict[str, Any]) -> None:
        self.folder = Path(folder)
        self.signature = json.loads(json.dumps(signature, default=str))
        self.count = 0

    def start(self) -> None:
        """Begin a fresh checkpoint (an old one for the same folder is replaced)."""
        self.remove()
        self.folder.mkdir(parents=True)
        (self.folder / STATE).write_text(json.dumps(self.signature, ensure_ascii=False, indent=2), "utf-8")
        (self.folder / RESULTS).touch()

    def resume(self, entries: dict[str, ModelEntry]) -> list[CandidateResult]:
        """The results saved earlier, after checking that they belong to the same problem.
        Families no longer offered are left out. The checkpoint then goes on recording."""
        path = str(self.folder)
        if not (self.folder / STATE).is_file():
            raise ConfigError("search.resume_missing", path=path)
        try:
            saved = json.loads((self.folder / STATE).read_text("utf-8"))
            lines = (self.folder / RESULTS).read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ConfigError("search.resume_corrupt", path=path, error=str(error)) from error
        for what, value in self.signature.items():
            if saved.get(what) != value:
                raise ConfigError("search.resume_mismatch", path=path, what=what, saved=saved.get(what), given=value)
        results = []
        for line in lines:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                break  # the line being written when the search was stopped
            entry = entries.get(record["family"])
            if entry is not None:
                results.append(self._result(record, entry))
            self.count = max(self.count, record["index"] + 1)
        return results

    def record(self, result: CandidateResult) -> None:
        index = self.count
        self.count += 1
        has_oof = result.oof is not None
        if has_oof:
            np.save(self.folder / f"oof-{index}.npy", result.oof, allow_pickle=False)
        c = result.candidate
        line = {"index": index, "family": c.family, "name": c.name, "params": c.params, "origin": c.origin,
                "status": result.status, "score": _number(result.score), "fold_scores": [_number(s) for s in result.fold_scores],
                "fit_seconds": result.fit_seconds, "predict_seconds": result.predict_seconds,
                "rows_per_fold": result.rows_per_fold, "latency_ms": _number(result.latency_ms),
                "eligible": result.eligible, "error": result.error, "oof": has_oof,
                "stopped_at_deadline": result.stopped_at_deadline, "row_fraction": c.row_fraction}
        with open(self.folder / RESULTS, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
            handle.flush()

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _result(self, record: dict[str, Any], entry: ModelEntry) -> CandidateResult:
        oof = None
        if record.get("oof"):
            try:
                oof = np.load(self.folder / f"oof-{record['index']}.npy", allow_pickle=False)
            except (OSError, ValueError) as error:
                raise ConfigError("search.resume_corrupt", path=str(self.folder), error=str(error)) from error
        candidate = Candidate(record["name"], entry, record["params"], record["origin"],
                              float(record.get("row_fraction", 1.0)))
        return CandidateResult(candidate, record["status"], _float(record["score"]),
                               [_float(s) for s in record["fold_scores"]], fit_seconds=record["fit_seconds"],
                               predict_seconds=record["predict_seconds"], rows_per_fold=record["rows_per_fold"],
                               oof=oof, error=record.get("error"), latency_ms=_float(record["latency_ms"]),
                               eligible=record["eligible"],
                               stopped_at_deadline=bool(record.get("stopped_at_deadline")))


def _number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _float(value: float | None) -> float:
    return float("nan") if value is None else float(value)
