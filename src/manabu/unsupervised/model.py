"""Fitted unsupervised models (clusterings, anomaly detectors and projections): they answer for new rows, say
what they found, and are saved and loaded like a trained model (``manabu.load`` gives them back,
``manabu predict`` adds their column to a file)."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline

from manabu.artifact import REPORT_FILE, data_fingerprint, load_model, read_manifest, save_model
from manabu.artifact.pages import page, page_maker
from manabu.data.read import read
from manabu.data.schema import Schema, infer_schema
from manabu.base.errors import ConfigError, DataError, SchemaError
from manabu.unsupervised.anomalies import Detectors, evaluation, reasons
from manabu.unsupervised.clustering import fit_clusters, prepare_rows, profiles
from manabu.unsupervised.reduction import Projection, summary

MAP_ROWS = 2_000  # rows drawn on the report's map
TOP_ANOMALIES = 10
UNUSUAL = 0.99  # the map marks the rows more unusual than this share of the training rows


class _Unsupervised:
    KIND = ""    # the manifest's "kind"
    COLUMN = ""  # the column predict_frame adds

    def __init__(self, pipeline: Pipeline, schema: Schema, record: dict[str, Any],
                 values: np.ndarray | None = None) -> None:
        self.pipeline = pipeline
        self.schema = schema
        self.record = record    # what was found, and how
        self._values = values   # the training rows' answers (not saved: new rows get predict)

    @property
    def prediction_column(self) -> str:
        return self.COLUMN

    def predict(self, data) -> pd.Series | pd.DataFrame:
        """The answer for each row of ``data``: its cluster, its anomaly score, or (``ReduceModel``)
        its coordinates, a column per dimension."""
        return self._answers(read(data))

    def predict_frame(self, data) -> pd.DataFrame:
        frame = read(data)
        return pd.concat([frame, pd.DataFrame(self._answers(frame))], axis=1)

    def _answers(self, frame: pd.DataFrame) -> pd.Series | pd.DataFrame:
        """The answers for ``frame`` (as ``read`` gives it), indexed like it."""
        return pd.Series(self._predicted(frame), index=frame.index, name=self.COLUMN)

    def _predicted(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.pipeline.predict(self.schema.prepare(frame, where=_where(frame))))

    def save(self, path: str | Path, *, overwrite: bool = False, report: bool = True,
             lang: str | None = None) -> Path:
        """The model folder, with ``report.html`` (what was found, explained; ``lang`` shown
        first) beside the model; ``report=False`` saves the model alone."""
        derived = {REPORT_FILE: page(self.KIND, self, lang)} if report else None
        return save_model(path, self.pipeline, {"kind": self.KIND, "schema": self.schema.to_dict(),
                                                self.KIND: self.record}, overwrite=overwrite, derived=derived)

    def report(self, lang: str | None = None) -> str:
        """The HTML page that explains what was found (drawn by the ``manabu.pages`` entry point
        named after the kind, ``artifact.pages``)."""
        return page_maker(self.KIND)(self, lang)

    @classmethod
    def load(cls, path: str | Path):
        pipeline, manifest = load_model(path)
        return cls(pipeline, Schema.from_dict(manifest["schema"]), manifest[cls.KIND])

    def _training_values(self) -> np.ndarray:
        if self._values is None:
            raise AttributeError("a loaded model keeps no answers for its training rows: use predict(data)")
        return self._values


class ClusterModel(_Unsupervised):
    KIND, COLUMN = "cluster", "cluster"

    @property
    def k(self) -> int:
        return int(self.record["k"])

    @property
    def labels_(self) -> np.ndarray:
        """The cluster of each training row (-1: noise)."""
        return self._training_values()

    def __repr__(self) -> str:
        sizes = ", ".join(str(p["size"]) for p in self.record.get("profiles", []))
        return f"ClusterModel(method={self.record['method']!r}, k={self.k}, sizes=[{sizes}])"


class AnomalyModel(_Unsupervised):
    KIND, COLUMN = "anomalies", "anomaly_score"

    @property
    def scores_(self) -> np.ndarray:
        """Each training row's score: the share of training rows that look less unusual."""
        return self._training_values()

    def __repr__(self) -> str:
        return f"AnomalyModel(method={self.record['method']!r}, rows={self.record['n_rows']})"


class ReduceModel(_Unsupervised):
    KIND, COLUMN = "reduce", "component"

    @property
    def embedding_(self) -> np.ndarray:
        """The training rows' coordinates."""
        return self._training_values()

    def _answers(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The coordinates of the rows, a column per dimension (PCA and UMAP; not t-SNE)."""
        return pd.DataFrame(self._predicted(frame), index=frame.index, columns=self.columns)

    @property
    def columns(self) -> list[str]:
        return [f"{self.COLUMN}_{i}" for i in range(1, int(self.record["dims"]) + 1)]

    @property
    def prediction_column(self) -> str:
        return ", ".join(self.columns)

    def save(self, path: str | Path, *, overwrite: bool = False, report: bool = True,
             lang: str | None = None) -> Path:
        """Only a PCA is saved: it projects new rows exactly. UMAP and t-SNE give pictures of
        the rows they were fitted on (``embedding_``); a UMAP model holds compiled code that
        cannot be saved without pickle, which manabu's model folders never use."""
        if self.record["method"] != "pca":
            raise ConfigError("reduce.not_saved", method=self.record["method"])
        return super().save(path, overwrite=overwrite, report=report, lang=lang)

    def __repr__(self) -> str:
        return f"ReduceModel(method={self.record['method']!r}, dims={self.record['dims']})"


def load_unsupervised(path: str | Path):
    """The saved clustering, detector or projection in ``path``, or None for a trained model."""
    kind = read_manifest(Path(path)).get("kind")
    found = {model.KIND: model for model in (ClusterModel, AnomalyModel, ReduceModel)}.get(kind)
    return None if found is None else found.load(path)


def _where(frame: pd.DataFrame) -> str | None:
    """The file the rows came from, for messages (as ``manabu.training.predictor._where``)."""
    return frame.attrs.get("manabu_source", {}).get("path")


def _about(frame: pd.DataFrame, schema: Schema, method: str, seed: int) -> dict[str, Any]:
    """What every record says of how it was made and from what."""
    return {"method": method, "seed": seed, "n_rows": len(frame), "fingerprint": data_fingerprint(frame),
            "notices": [n.to_dict() for n in schema.notices]}


def _map(Z: np.ndarray, groups: np.ndarray | None, seed: int) -> dict[str, Any]:
    """A sample of the rows on two axes (the first two principal components of the prepared
    columns, or the given coordinates), for the report's map."""
    rows = np.sort(np.random.default_rng(seed).choice(len(Z), min(MAP_ROWS, len(Z)), replace=False))
    points = Z[rows]
    if points.shape[1] > 2:
        points = PCA(2, random_state=seed).fit_transform(points)
    elif points.shape[1] == 1:
        points = np.column_stack([points[:, 0], np.zeros(len(rows))])
    drawn = {"x": np.round(points[:, 0], 4).tolist(), "y": np.round(points[:, 1], 4).tolist()}
    if groups is not None:
        drawn["groups"] = [str(g) for g in np.asarray(groups)[rows]]
    return drawn


def _read_with_schema(data, leave_out: str | None = None):
    frame = read(data)
    where = _where(frame)
    label = None
    if leave_out is not None:
        if leave_out not in frame.columns:
            raise SchemaError("anomalies.no_eval_label", name=leave_out, where=where or "data")
        label = frame[leave_out]
        frame = frame.drop(columns=[leave_out])
    try:
        schema = infer_schema(frame, None, where=where)
    except SchemaError as error:  # the training message speaks of a target, which there is none of here
        if error.key != "schema.no_features":
            raise
        raise DataError("unsupervised.nothing_to_use", where=where or "data", dropped=error.params["dropped"]) from None
    return frame, schema, label


def cluster(data, *, k: int | str = "auto", method: str = "kmeans", seed: int = 0) -> ClusterModel:
    """Group the rows of ``data`` into clusters (``manabu.unsupervised.clustering``)."""
    frame, schema, _ = _read_with_schema(data)
    X = schema.prepare(frame)
    pipeline, labels, choice, Z = fit_clusters(X, schema, k=k, method=method, seed=seed)
    record = {**_about(frame, schema, method, seed), "k": len(set(labels.tolist()) - {-1}),
              "k_choice": None if choice is None else asdict(choice),
              "profiles": profiles(X, schema, labels), "map": _map(Z, labels, seed),
              "noise": int((labels == -1).sum())}
    return ClusterModel(pipeline, schema, record, labels.astype(int))


def anomalies(data, *, method: str = "ensemble", eval_label: str | None = None, top: int = TOP_ANOMALIES,
              seed: int = 0) -> AnomalyModel:
    """Score how unusual each row of ``data`` is (``manabu.unsupervised.anomalies``);
    ``eval_label`` names a column kept out of the detection and used only to evaluate it."""
    frame, schema, label = _read_with_schema(data, eval_label)
    X = schema.prepare(frame)
    preprocess, Z = prepare_rows(X, schema, seed)
    detectors = Detectors(method, seed)
    scores = np.asarray(detectors.fit_predict(Z), dtype=float)
    order = np.argsort(-scores, kind="stable")[:top]
    record = {**_about(frame, schema, method, seed),
              "detectors": [type(d).__name__ for d in detectors.detectors_],
              "top": [{"row": int(row), "score": float(scores[row]), "reasons": why}
                      for row, why in zip(order, reasons(X, schema, order))],
              "evaluation": None if label is None else evaluation(scores, label),
              "map": _map(Z, np.where(scores >= UNUSUAL, f"≥ {UNUSUAL}", "other"), seed)}
    return AnomalyModel(Pipeline([("preprocess", preprocess), ("model", detectors)]), schema, record, scores)


def reduce(data, *, method: str = "pca", dims: int = 2, seed: int = 0) -> ReduceModel:
    """Many columns seen as ``dims`` (``manabu.unsupervised.reduction``)."""
    frame, schema, _ = _read_with_schema(data)
    preprocess, Z = prepare_rows(schema.prepare(frame), schema, seed)
    projection = Projection(method, dims, seed)
    embedding = projection.fit_transform(Z)
    names = [str(n).split("__", 1)[-1] for n in preprocess.get_feature_names_out()]
    record = {**_about(frame, schema, method, seed), "dims": int(dims), **summary(projection, names),
              "map": _map(embedding[:, :2], None, seed) if embedding.shape[1] >= 2 else None}
    return ReduceModel(Pipeline([("preprocess", preprocess), ("model", projection)]), schema, record, embedding)
