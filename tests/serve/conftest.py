"""A small trained model of each kind, saved once, and a client for its app."""
from __future__ import annotations

from pathlib import Path

import pytest

import manabu
from tests.frames import mixed_frame

TOKEN = "test-token-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def trained(folder: Path, task: str) -> Path:
    frame = mixed_frame(200, task=task)
    frame["id"] = range(len(frame))  # an identifier the model leaves out
    predictor = manabu.fit(frame, target="y", models=["lightgbm"], max_trials=1, time_limit=30, verbose=False)
    return predictor.save(folder / task)


@pytest.fixture(scope="session")
def binary_model(tmp_path_factory) -> Path:
    return trained(tmp_path_factory.mktemp("serve"), "binary")


@pytest.fixture(scope="session")
def regression_model(tmp_path_factory) -> Path:
    return trained(tmp_path_factory.mktemp("serve"), "regression")


def client(model_dir: Path, **settings):
    from fastapi.testclient import TestClient

    from manabu.serve.app import ServeSettings, create_app
    return TestClient(create_app(manabu.load(model_dir), ServeSettings(**settings)))
