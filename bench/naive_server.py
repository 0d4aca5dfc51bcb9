"""The naive baseline of serve_load.py: the plain FastAPI app most people write first.

It unpickles the fitted scikit-learn pipeline (preprocessing + model) and the column typing, and
answers each request by building a one-row DataFrame and calling ``predict_proba``; no request
model, no row path, no limits. Started by serve_load.py with ``NAIVE_MODEL=<pickle>``.
"""
from __future__ import annotations

import os
import pickle

import pandas as pd
from fastapi import FastAPI

with open(os.environ["NAIVE_MODEL"], "rb") as handle:
    pipeline, schema, classes = pickle.load(handle)

app = FastAPI()


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.post("/predict")
def predict(record: dict) -> dict:
    proba = pipeline.predict_proba(schema.prepare(pd.DataFrame([record])))[0]
    return {"predictions": [classes[int(proba.argmax())]],
            "probabilities": [dict(zip(map(str, classes), map(float, proba)))]}
