"""A trained model with everything needed to use it honestly: schema, classes, scores, notices."""
from __future__ import annotations

import html
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from manabu.data.read import read
from manabu.data.schema import ColumnType, Schema
from manabu.data.task import Task
from manabu.base.errors import ConfigError, SchemaError
from manabu.base.i18n import Message
from manabu.inference import NotCovered, row_path_or_none
from manabu.training.record import TrainingRecord

# The search (``leaderboard``) and the metrics (``evaluate``) are imported where they are used:
# loading a model to predict needs neither, and the search's package imports every family.

if TYPE_CHECKING:
    from manabu.evaluate.text import TextExplanation

ROW_PATH_MAX_ROWS = 256  # inputs of at most this many rows take the row path, when there is one
# Building the row path (compiling, then checking it against the pipeline) costs more than the
# pipeline answering a few hundred rows once: a first call of more rows than this is answered by
# the pipeline (``manabu predict`` on a small file calls once); the row path is built on a first
# call of a few rows (a server's, a loop's) or on the second call, when the model is being reused.
ROW_PATH_BUILD_ROWS = 16
_ROW_PATH_LOCK = threading.Lock()  # one row path built at a time


class Predictor:
    """Predicts on new data the way the training data was prepared, and knows how good it is."""

    def __init__(self, pipeline: Pipeline, schema: Schema, record: TrainingRecord,
                 molecules: dict[str, np.ndarray] | None = None) -> None:
        self.pipeline = pipeline
        self.schema = schema
        self.record = record
        # the training molecules' packed ECFP4 bits per SMILES column (``evaluate.applicability``)
        self.molecules = molecules

    # -- what it is -------------------------------------------------------------------------
    @property
    def task(self) -> Task:
        return self.record.task

    @property
    def target(self) -> str:
        return self.record.config.target

    @property
    def prediction_column(self) -> str:
        """The column ``predict_frame`` adds."""
        return f"{self.target}_predicted"

    @property
    def classes(self) -> list[Any] | None:
        return self.record.classes

    @property
    def metric(self) -> str:
        return self.record.metric

    @property
    def notices(self) -> list[Message]:
        return self.record.notices

    def leaderboard(self) -> pd.DataFrame:
        from manabu.search.leaderboard import leaderboard_frame
        return leaderboard_frame(self.record.leaderboard)

    def _repr_html_(self) -> str:
        """In Jupyter: the one-line summary and the leaderboard as a table. The whole report
        shows with ``manabu.report.Report(predictor)``."""
        table = self.leaderboard().drop(columns=["params"], errors="ignore")
        return f"<p><code>{html.escape(repr(self))}</code></p>" + table.to_html(index=False, na_rep="—")

    def export_code(self) -> str:
        """The best single model as a standalone Python script that rebuilds, trains and scores
        it without manabu (``manabu export-code``)."""
        from manabu.export import export_script
        return export_script(self.schema, self.record.to_dict())

    def __repr__(self) -> str:
        """One line that says what was learnt, how well, and how that was measured."""
        best = self.record.best_row
        score = best.get("score")
        shown = "nan" if score is None else f"{score:.4f}"
        if best.get("score_std") is not None:
            shown += f" ± {best['score_std']:.4f}"
        parts = [f"task={self.task!s}", f"target={self.target!r}", f"model={self.record.best_model!r}",
                 f"{self.metric}={shown}", f"validation={self.record.validation.get('kind')!r}",
                 f"rows={self.record.n_rows}", f"candidates={len(self.record.leaderboard)}"]
        if self.classes is not None:
            parts.append(f"classes={self.classes!r}" if len(self.classes) <= 5 else f"classes={len(self.classes)}")
        if self.record.interrupted:
            parts.append("interrupted=True")
        return f"Predictor({', '.join(parts)})"

    # -- using it ---------------------------------------------------------------------------
    def predict(self, data) -> pd.Series:
        frame = self._frame(data)
        raw = self._on_rows(frame, "predict")
        if raw is None:
            raw = self.pipeline.predict(self._prepare(frame))
        if self.classes is None:
            return pd.Series(np.asarray(raw, dtype=float), index=frame.index, name=self.target)
        return self._labels(np.asarray(raw, dtype=int), frame.index)

    def predict_proba(self, data) -> pd.DataFrame:
        if self.classes is None:
            raise SchemaError("predict.no_proba_for_regression")
        frame = self._frame(data)
        return self._proba_frame(frame, frame.index)

    def predict_frame(self, data) -> pd.DataFrame:
        """The data with ``<target>_predicted`` added (and ``proba_<class>`` for classes),
        preparing the rows once: labels are the most probable classes."""
        frame = read(data)  # a copy, which becomes the answer
        result = frame.copy()
        column = self.prediction_column
        if self.classes is None:
            raw = self._on_rows(frame, "predict")
            if raw is None:
                raw = self.pipeline.predict(self._prepare(frame))
            result[column] = np.asarray(raw, dtype=float)
            return result
        proba = self._proba_frame(frame, frame.index)
        result[column] = self._labels(proba.to_numpy().argmax(axis=1), frame.index).to_numpy()
        for label in proba.columns:
            result[f"proba_{label}"] = proba[label].to_numpy()
        return result

    def row_path(self):
        """The fast path for a few rows (``manabu.inference``), built and checked against the
        pipeline on first use; None when there is none and the pipeline answers every call."""
        built = self._cache.get("row_path")
        if built is None or built[0] is not self.pipeline:
            with _ROW_PATH_LOCK:
                built = self._cache.get("row_path")
                if built is None or built[0] is not self.pipeline:
                    built = (self.pipeline, row_path_or_none(self.pipeline, self.schema))
                    self._cache["row_path"] = built
        return built[1]

    def _row_path_if_worth(self, rows: int):
        """The row path when it is built, or worth building now (``ROW_PATH_BUILD_ROWS``)."""
        built = self._cache.get("row_path")
        if built is not None and built[0] is self.pipeline:
            return built[1]
        first = not self._cache.get("answered")
        self._cache["answered"] = True
        if first and rows > ROW_PATH_BUILD_ROWS:
            return None
        return self.row_path()

    @property
    def _cache(self) -> "_Transient":
        return self.__dict__.setdefault("_transient", _Transient())

    def _frame(self, data) -> pd.DataFrame:
        """``read(data)``; a small pandas frame that ``read`` would only copy is used as it is
        (nothing below changes it), which saves a copy on every single-row call."""
        if isinstance(data, pd.DataFrame) and 0 < len(data) <= ROW_PATH_MAX_ROWS and self._plain(data.columns):
            return data
        return read(data)

    def _plain(self, columns: pd.Index) -> bool:
        """Names that ``read`` keeps as they are: text, distinct, no byte-order mark (checked
        once per columns index: the rows taken from a frame share it, as ``Index.is_`` sees)."""
        known = self._cache.get("plain_columns")
        if known is not None and known[0].is_(columns):
            return known[1]
        names = list(columns)
        plain = (len(names) > 0 and all(type(n) is str for n in names) and len(set(names)) == len(names)
                 and not names[0].startswith("\ufeff"))
        self._cache["plain_columns"] = (columns, plain)
        return plain

    def _prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.schema.prepare(frame, where=_where(frame))

    def _on_rows(self, frame: pd.DataFrame, method: str) -> np.ndarray | None:
        """``method`` ("predict" or "predict_proba") answered by the row path, or None where
        the pipeline must answer: too many rows, no row path, or rows it does not cover."""
        if not 0 < len(frame) <= ROW_PATH_MAX_ROWS:
            return None
        path = self._row_path_if_worth(len(frame))
        if path is None:
            return None
        values = self.schema.prepare_values(frame, where=_where(frame))
        try:
            return getattr(path, method)(values, len(frame))
        except NotCovered:
            return None
        except Exception as error:  # a fault of the row path must not cost the user an answer
            logging.getLogger(__name__).warning("row path failed (%s: %s)", type(error).__name__, error)
            return None

    def _proba_frame(self, frame: pd.DataFrame, index) -> pd.DataFrame:
        proba = self._on_rows(frame, "predict_proba")
        if proba is None:
            proba = self.pipeline.predict_proba(self._prepare(frame))
        return pd.DataFrame(np.asarray(proba, dtype=float), index=index, columns=list(self.classes))

    def _labels(self, codes: np.ndarray, index) -> pd.Series:
        known = self._cache.get("labels")
        if known is None or known[0] is not self.classes:
            known = (self.classes, _label_rows(self.classes, self.target))
            self._cache["labels"] = known
        if known[1] is not None and len(codes) == 1:
            return known[1][int(codes[0])].set_axis(index)
        values = pd.Series(np.asarray(self.classes, dtype=object)[codes]).infer_objects().to_numpy()
        return pd.Series(values, index=index, name=self.target)

    def applicability(self, data) -> pd.DataFrame:
        """For each SMILES column, ``<column>_similarity``: the Tanimoto similarity (ECFP4) of each
        row's molecule to its nearest training molecule (1.0: seen in training; below 0.3: unlike
        any, so the prediction is an extrapolation; NaN: RDKit cannot read it)."""
        from manabu.evaluate.applicability import bit_vectors, nearest_similarity, unpacked
        if not self.molecules:
            raise ConfigError("molecules_report.no_reference", target=self.target)
        frame = self._frame(data)
        columns = {}
        for name, rows in self.molecules.items():
            known = self._cache.get(("reference", name))
            if known is None or known[0] is not rows:
                known = (rows, unpacked(rows))
                self._cache[("reference", name)] = known
            values = frame[name] if name in frame.columns else [None] * len(frame)
            columns[f"{name}_similarity"] = nearest_similarity(bit_vectors(values), known[1])
        return pd.DataFrame(columns, index=frame.index)

    def explain_text(self, text: str, column: str | None = None) -> TextExplanation:
        """Which words drive this model's prediction for ``text`` (``manabu.evaluate.text``): each
        word's effect is how much the prediction moves when the word is taken out. The model's
        other columns are left missing; ``column`` names the text column when there are several."""
        from manabu.evaluate.text import explain_document
        from manabu.features.tokenize import tokenizer_of
        names = self.schema.of_type(ColumnType.TEXT)
        if not names:
            raise ConfigError("text.not_text_model", target=self.target)
        if column is None and len(names) > 1:
            raise ConfigError("text.explain_column", names=", ".join(names))
        column = column or names[0]
        if column not in names:
            raise ConfigError("text.explain_unknown_column", name=column, names=", ".join(names))
        if not isinstance(text, str) or not text.strip():
            raise ConfigError("text.empty")
        features = [c.name for c in self.schema.features]

        def scores(texts: list[str]) -> np.ndarray:
            frame = pd.DataFrame({name: [np.nan] * len(texts) for name in features})
            frame[column] = pd.Series(texts, dtype=object)
            if self.classes is None:
                return self.predict(frame).to_numpy(dtype=float).reshape(-1, 1)
            return self.predict_proba(frame).to_numpy(dtype=float)

        return explain_document(text, tokenizer_of(self.schema.column(column)), scores, self.classes)

    def evaluate(self, data) -> dict[str, float]:
        """Every metric that applies, on data that holds the target column."""
        from manabu.evaluate.metrics import compute_all
        frame = read(data)
        if self.target not in frame.columns:
            raise SchemaError("predict.target_needed", target=self.target)
        where = _where(frame)
        frame = frame.loc[frame[self.target].notna()]
        X = self.schema.prepare(frame, where=where)
        if self.classes is None:
            y_true = pd.to_numeric(frame[self.target], errors="coerce").to_numpy(dtype=float)
            keep = np.isfinite(y_true)
            predicted = np.asarray(self.pipeline.predict(X.loc[keep]), dtype=float)
            return compute_all(str(self.task), y_true[keep], predicted)
        position = {value: i for i, value in enumerate(self.classes)}
        y_codes = frame[self.target].map(lambda v: position.get(plain_label(v), -1)).to_numpy(dtype=int)
        unknown = sorted({str(v) for v, c in zip(frame[self.target], y_codes) if c < 0})
        if unknown:
            raise SchemaError("predict.unknown_classes", classes=", ".join(unknown[:10]),
                              known=", ".join(map(str, self.classes)))
        proba = np.asarray(self.pipeline.predict_proba(X), dtype=float)
        return compute_all(str(self.task), y_codes, proba.argmax(axis=1), proba=proba,
                           classes=list(range(len(self.classes))))

    # -- keeping it -------------------------------------------------------------------------
    def save(self, path: str | Path, *, overwrite: bool = False, report: bool = True, lang: str | None = None,
             derived: dict[str, bytes] | None = None) -> Path:
        """Save the model folder with its ``report.html`` (as ``manabu train`` writes it, ``lang``
        shown first; ``report=False``: without it). ``derived`` files made from the model (a
        report drawn before) go in with it, in the same atomic step."""
        from manabu.artifact import REPORT_FILE, save_model
        from manabu.artifact.pages import page
        derived = dict(derived or {})
        if report and REPORT_FILE not in derived:
            derived[REPORT_FILE] = page("training", self, lang)
        metadata = {"schema": self.schema.to_dict(), "training": self.record.to_dict(),
                    "task": str(self.task), "target": self.target, "metric": self.metric,
                    "leaderboard": self.record.leaderboard}
        attached = None
        if self.molecules:  # the applicability domain's reference, beside the model
            from manabu.evaluate.applicability import REFERENCE_FILE, reference_bytes
            metadata["molecule_reference"] = {"file": REFERENCE_FILE, "columns": list(self.molecules)}
            attached = {REFERENCE_FILE: reference_bytes(self.molecules)}
        return save_model(path, self.pipeline, metadata, overwrite=overwrite, derived=derived or None,
                          attached=attached)

    @classmethod
    def load(cls, path: str | Path) -> "Predictor":
        from manabu.artifact import load_model_attached
        pipeline, manifest, attached = load_model_attached(path)
        reference = manifest.get("molecule_reference") or {}
        molecules = None
        if reference.get("file") in attached:
            from manabu.evaluate.applicability import reference_from_bytes
            molecules = reference_from_bytes(attached[reference["file"]], list(reference.get("columns", [])))
        return cls(pipeline, Schema.from_dict(manifest["schema"]),
                   TrainingRecord.from_dict(manifest["training"]), molecules=molecules)


def plain_label(value):
    """A class label as a plain Python value (not a numpy scalar), so it survives JSON unchanged."""
    return value.item() if hasattr(value, "item") else value


class _Transient(dict):
    """What a Predictor keeps to answer faster (its row path, checked column names, labels):
    rebuilt on demand, so neither copied nor pickled with it."""

    def __copy__(self) -> "_Transient":
        return _Transient()

    def __deepcopy__(self, memo) -> "_Transient":
        return _Transient()

    def __reduce__(self):
        return _Transient, ()


def _label_rows(classes: list[Any], name: str) -> list[pd.Series] | None:
    """Each class as the one-row Series ``_labels`` would build for it, so that a single-row
    answer is a copy with the caller's index rather than pandas' type inference again. Classes
    of one Python type infer alike alone or together; mixed ones are left to ``_labels``."""
    if len({type(c) for c in classes}) > 1:
        return None
    rows = []
    for label in classes:
        values = pd.Series(np.asarray([label], dtype=object)).infer_objects().to_numpy()
        rows.append(pd.Series(values, name=name))
    return rows


def _where(frame: pd.DataFrame) -> str | None:
    """The file the rows came from, for messages (``read`` keeps it on the frame)."""
    return frame.attrs.get("manabu_source", {}).get("path")
