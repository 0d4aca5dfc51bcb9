"""Frames with every kind of column the preprocessing has a block for, and fitted pipelines
of the zoo's families built the way the search builds them."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from manabu.data.schema import Schema, infer_schema
from manabu.features.preprocess import build_preprocessor
from manabu.models.zoo import ZOO
from tests.frames import mixed_frame

WORDS = ["train", "station", "東京", "rain", "coffee", "late", "morning", "ticket", "bus", "晴れ"]
# few trees: the tests check answers, not accuracy
SMALL = {"random_forest": {"n_estimators": 20}, "extra_trees": {"n_estimators": 20}, "hist_gradient_boosting": {"max_iter": 40},
         "xgboost": {"n_estimators": 40}, "catboost": {"iterations": 40}, "lightgbm": {"n_estimators": 60}}


def frame(task: str, n: int = 240, seed: int = 0) -> pd.DataFrame:
    """mixed_frame plus a high-cardinality code and a free-text note."""
    out = mixed_frame(n, task=task, seed=seed)
    rng = np.random.default_rng(seed + 100)
    out["code"] = [f"K{v:03d}" for v in rng.integers(0, 70, n)]
    out["note"] = [" ".join(rng.choice(WORDS, 6)) for _ in range(n)]
    return out


def new_rows(task: str) -> pd.DataFrame:
    """Rows the model has not seen: other values, unseen categories, missing values."""
    out = frame(task, n=60, seed=7).drop(columns="y")
    out["flag"] = out["flag"].astype(object)  # so that it can hold a missing value
    out.loc[0, "colour"] = "紫"
    out.loc[1, "code"] = "UNSEEN"
    out.loc[2, ["x1", "x2", "colour", "when", "flag", "code", "note"]] = np.nan
    out.loc[3, "note"] = ""
    out.loc[4, "when"] = pd.Timestamp("1950-06-01 13:00")
    return out


def fit(family: str, task: str) -> tuple[Pipeline, Schema]:
    """A fitted pipeline of ``family``, as Candidate.build makes them, and its schema."""
    train = frame(task)
    schema = infer_schema(train, "y")
    X = schema.prepare(train)
    y = train["y"].to_numpy()
    if task != "regression":
        y = np.unique(y, return_inverse=True)[1]
    entry = ZOO[family]
    preprocessor = build_preprocessor(schema, entry.preprocess, task, 0, sparse=entry.sparse_input)
    estimator = entry.make(task, SMALL.get(family, {}), 0)
    if entry.threads_param:
        estimator.set_params(**{entry.threads_param: 1})
    fit_params = entry.use_categoricals(estimator, preprocessor.n_categorical)
    pipeline = Pipeline([("preprocess", preprocessor.transformer), ("model", estimator)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipeline.fit(X, y, **{f"model__{k}": v for k, v in fit_params.items()})
    return pipeline, schema


@pytest.fixture(autouse=True)
def one_thread():
    """OpenMP threads spin waiting for each other on a busy two-core machine: one is faster."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="session")
def fitted():
    """fit(), remembered: several tests use the same pipelines."""
    cache: dict[tuple[str, str], tuple[Pipeline, Schema]] = {}

    def get(family: str, task: str) -> tuple[Pipeline, Schema]:
        if (family, task) not in cache:
            cache[family, task] = fit(family, task)
        return cache[family, task]

    return get
