"""Experiment tracking: one training run logged to MLflow (``manabu train --track [URI]``,
``manabu.fit(..., output=..., track=URI or True)``).

A run holds the settings as parameters (and the chosen model's hyperparameters), the scores as
metrics (the chosen model's, and every finished candidate's under ``leaderboard/``), the
leaderboard as a CSV file, and the saved model folder with its report as artifacts. Without a
URI the store is local: ``mlruns/mlflow.db`` (SQLite) beside its ``mlruns/artifacts`` folder.
MLflow is an optional dependency (``pip install "manabu[track]"``), imported only here.
"""
from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any

from manabu.artifact.manifest import manabu_version
from manabu.base.errors import ConfigError, MissingExtraError
from manabu.data.read import first_line

DEFAULT_FOLDER = Path("mlruns")
EXPERIMENT = "manabu"
MAX_PARAM_CHARS = 6000  # MLflow's limit on a parameter's value


def track_run(predictor, model_dir: Path, uri: str | None = None, experiment: str = EXPERIMENT) -> tuple[str, str]:
    """Log the run that trained ``predictor`` (saved in ``model_dir``); returns the run's id and
    the tracking URI it went to."""
    client, uri = _client(uri)
    from mlflow.entities import Metric, Param, RunTag

    experiment_id = _experiment(client, experiment, uri)
    record = predictor.record
    run = client.create_run(experiment_id, run_name=f"{predictor.target}: {record.best_model}",
                            tags={"manabu.version": manabu_version() or "unknown", "manabu.task": str(predictor.task),
                                  "manabu.data_fingerprint": record.fingerprint,
                                  "manabu.data": (record.source or {}).get("path") or "data frame"})
    now = int(time.time() * 1000)
    params = _params(record)
    metrics = [Metric(key, value, now, 0) for key, value in _metrics(record).items()]
    client.log_batch(run.info.run_id, metrics=metrics,
                     params=[Param(key, value) for key, value in params.items()],
                     tags=[RunTag("mlflow.note.content", f"manabu train, {record.validation_text.render('en')}")])
    with tempfile.TemporaryDirectory() as folder:
        board = Path(folder) / "leaderboard.csv"
        predictor.leaderboard().to_csv(board, index=False)
        client.log_artifact(run.info.run_id, str(board))
    client.log_artifacts(run.info.run_id, str(model_dir), artifact_path="model")
    client.set_terminated(run.info.run_id)
    return run.info.run_id, uri


def _client(uri: str | None):
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise MissingExtraError("tracking.missing_mlflow") from None
    if uri is None:
        DEFAULT_FOLDER.mkdir(exist_ok=True)
        uri = f"sqlite:///{(DEFAULT_FOLDER / 'mlflow.db').resolve()}"
    try:
        return MlflowClient(tracking_uri=uri), uri
    except Exception as error:  # MLflow raises its own tree for a bad store
        raise ConfigError("tracking.bad_uri", uri=uri, reason=first_line(error)) from None


def _experiment(client, name: str, uri: str) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = None
    if uri.startswith("sqlite:///"):  # artifacts beside the database, not wherever the command ran
        location = (Path(uri.removeprefix("sqlite:///")).parent / "artifacts").resolve().as_uri()
    return client.create_experiment(name, artifact_location=location)


def _params(record) -> dict[str, str]:
    config = record.config.to_dict()
    params: dict[str, Any] = {f"config.{key}": value for key, value in config.items() if value is not None}
    params |= {"task": str(record.task), "metric": record.metric, "best_model": record.best_model,
               "rows": record.n_rows, "validation": record.validation.get("kind")}
    params |= {f"best.{key}": value for key, value in (record.best_row.get("params") or {}).items()}
    return {key: str(value)[:MAX_PARAM_CHARS] for key, value in params.items()}


def _metrics(record) -> dict[str, float]:
    best = record.best_row
    metrics = {record.metric: best.get("score"), f"{record.metric}_std": best.get("score_std"),
               "training_seconds": record.seconds, "refit_seconds": record.refit_seconds}
    for row in record.leaderboard:
        if row.get("rank") is not None:
            metrics[f"leaderboard/{_key(row['model'])}"] = row.get("score")
    return {key: float(value) for key, value in metrics.items() if value is not None}


def _key(name: str) -> str:
    """A metric name MLflow takes: letters, digits and ``_-. /``."""
    return re.sub(r"[^A-Za-z0-9_\-. /]", "_", name)
