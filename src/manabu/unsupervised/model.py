"""A fitted clustering: assigns rows to clusters, says what each cluster is like, and is saved
and loaded like a trained model (``manabu.load`` gives it back, ``manabu predict`` uses it)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from manabu.artifact import data_fingerprint, load_model, save_model
from manabu.data.read import read
from manabu.data.schema import Schema, infer_schema
from manabu.unsupervised.clustering import fit_clusters, profiles

KIND = "cluster"
COLUMN = "cluster"


class ClusterModel:
    def __init__(self, pipeline: Pipeline, schema: Schema, record: dict[str, Any],
                 labels: np.ndarray | None = None) -> None:
        self.pipeline = pipeline
        self.schema = schema
        self.record = record  # method, k, how k was chosen, sizes and profiles, data fingerprint
        self._labels = labels  # the training rows' clusters (not saved: new rows get predict)

    @property
    def k(self) -> int:
        return int(self.record["k"])

    @property
    def prediction_column(self) -> str:
        return COLUMN

    @property
    def labels_(self) -> np.ndarray:
        """The cluster of each training row (-1: noise); only on the clustering just fitted."""
        if self._labels is None:
            raise AttributeError("a loaded clustering keeps no training labels: use predict(data)")
        return self._labels

    def predict(self, data) -> pd.Series:
        """The cluster of each row (-1: noise, for HDBSCAN and DBSCAN)."""
        frame = read(data)
        labels = self.pipeline.predict(self.schema.prepare(frame, where=frame.attrs.get("manabu_source", {}).get("path")))
        return pd.Series(np.asarray(labels, dtype=int), index=frame.index, name=COLUMN)

    def predict_frame(self, data) -> pd.DataFrame:
        frame = read(data)
        result = frame.copy()
        result[self.prediction_column] = self.predict(frame).to_numpy()
        return result

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        return save_model(path, self.pipeline, {"kind": KIND, "schema": self.schema.to_dict(), "clustering": self.record},
                          overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path) -> "ClusterModel":
        pipeline, manifest = load_model(path)
        return cls(pipeline, Schema.from_dict(manifest["schema"]), manifest["clustering"])

    def __repr__(self) -> str:
        sizes = ", ".join(str(p["size"]) for p in self.record.get("profiles", []))
        return f"ClusterModel(method={self.record['method']!r}, k={self.k}, sizes=[{sizes}])"


def cluster(data, *, k: int | str = "auto", method: str = "kmeans", seed: int = 0) -> ClusterModel:
    """Group the rows of ``data`` into clusters (``manabu.unsupervised.clustering``)."""
    frame = read(data)
    schema = infer_schema(frame, None, where=frame.attrs.get("manabu_source", {}).get("path"))
    pipeline, labels, choice = fit_clusters(frame, schema, k=k, method=method, seed=seed)
    found = sorted(set(labels.tolist()) - {-1})
    record = {"method": method, "k": len(found), "seed": seed, "n_rows": len(frame),
              "k_choice": None if choice is None else {"k": choice.k, "scores": choice.scores, "votes": choice.votes},
              "profiles": profiles(schema.prepare(frame), schema, labels),
              "noise": int((labels == -1).sum()), "fingerprint": data_fingerprint(frame),
              "notices": [n.to_dict() for n in schema.notices]}
    return ClusterModel(pipeline, schema, record, labels.astype(int))
