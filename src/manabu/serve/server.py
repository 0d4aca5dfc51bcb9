"""Running the app: the model loaded and checked first, then uvicorn with one or more workers.

Several workers are separate processes, each importing ``app_from_environment``; what they need
(the model folder, the token, the body limit) reaches them through the environment, so the
token never shows in a process list.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from manabu.artifact import read_manifest
from manabu.base.errors import ConfigError
from manabu.base.i18n import t
from manabu.training.predictor import Predictor
from manabu.serve import model_fingerprint
from manabu.serve.app import DEFAULT_MAX_BODY_BYTES, ServeSettings, create_app

MODEL_VARIABLE = "MANABU_SERVE_MODEL"
TOKEN_VARIABLE = "MANABU_TOKEN"
BODY_VARIABLE = "MANABU_SERVE_MAX_BODY"
LOG_VARIABLE = "MANABU_SERVE_LOG"        # the request log's path, and the share logged after a "|"
VERSION_CHARS = 12                       # /metadata's model_version: the start of the manifest's sha256


@dataclass(frozen=True)
class Served:
    """A model ready to serve: the app, the model it holds and the settings it was built with
    (which workers in other processes are given again)."""

    app: FastAPI
    predictor: Any                # a Predictor, a segmentation model or a forecaster
    folder: Path
    settings: ServeSettings

    def listening(self, url: str) -> str:
        """What the command says once the server is up."""
        if isinstance(self.predictor, Predictor):
            return t("serve.listening", model=self.predictor.record.best_model, task=str(self.predictor.task),
                     target=self.predictor.target, url=url)
        if getattr(self.predictor, "KIND", None) == "forecast":
            return t("serve.listening_forecast", series=len(self.predictor.series), horizon=self.predictor.horizon,
                     chosen=self.predictor.record["chosen"], url=url)
        if getattr(self.predictor, "KIND", None) == "rl":
            from manabu.reinforcement.spaces import shown
            return t("rl_serve.listening", algo=self.predictor.algo, env=self.predictor.env_id, url=url,
                     observation=shown(self.predictor.settings["observation_space"]),
                     action=shown(self.predictor.settings["action_space"]))
        return t("serve.listening_masks", classes=", ".join(map(str, self.predictor.classes.tolist())), url=url)


def load_app(model_dir: str | Path, token: str | None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
             model_info: dict | None = None, log_requests: str | None = None, log_share: float = 1.0) -> Served:
    """The app for a model folder, which is verified as it loads (a tampered file stops here);
    ``model_info`` (the registry's name, version and stage) goes into /metadata."""
    folder = Path(model_dir)
    info = {"model_path": str(folder.resolve()), "model_version": model_fingerprint(folder)[:VERSION_CHARS],
            **(model_info or {})}
    settings = ServeSettings(token=token or None, max_body_bytes=max_body_bytes, model_info=info,
                             log_requests=log_requests, log_share=log_share)
    kind = read_manifest(folder).get("kind")
    if kind == "forecast":  # the next steps of every series: POST /forecast
        from manabu.forecasting.model import Forecaster
        from manabu.serve.forecast import create_forecast_app

        model = Forecaster.load(folder)
        return Served(create_forecast_app(model, settings), model, folder, settings)
    if kind == "segmentation":  # a mask per image: POST /segment
        from manabu.segmentation.model import SegmentationModel
        from manabu.serve.segmentation import create_segmentation_app

        model = SegmentationModel.load(folder)
        return Served(create_segmentation_app(model, settings), model, folder, settings)
    if kind == "rl":  # the action an agent takes: POST /act
        from manabu.reinforcement.agent import Agent
        from manabu.serve.rl import create_rl_app

        agent = Agent.load(folder)
        return Served(create_rl_app(agent, settings), agent, folder, settings)
    predictor = Predictor.load(folder)
    return Served(create_app(predictor, settings), predictor, folder, settings)


def app_from_environment() -> FastAPI:
    """The app of one worker process (uvicorn's factory when there are several)."""
    log, _, share = os.environ.get(LOG_VARIABLE, "").partition("|")
    return load_app(os.environ[MODEL_VARIABLE], os.environ.get(TOKEN_VARIABLE),
                    int(os.environ.get(BODY_VARIABLE, DEFAULT_MAX_BODY_BYTES)),
                    log_requests=log or None, log_share=float(share or 1.0)).app


def run(served: Served, *, host: str, port: int, workers: int) -> None:
    import uvicorn

    if workers == 1:
        uvicorn.run(served.app, host=host, port=port, log_level="warning")
        return
    settings = served.settings
    os.environ[MODEL_VARIABLE] = str(served.folder.resolve())
    os.environ[BODY_VARIABLE] = str(settings.max_body_bytes)
    if settings.log_requests:
        os.environ[LOG_VARIABLE] = f"{Path(settings.log_requests).resolve()}|{settings.log_share}"
    if settings.token:
        os.environ[TOKEN_VARIABLE] = settings.token
    uvicorn.run("manabu.serve.server:app_from_environment", factory=True, host=host, port=port,
                workers=workers, log_level="warning")


def check_port_free(host: str, port: int) -> None:
    """Say so at once when another program holds the port (uvicorn would only log it)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise ConfigError("serve.port_in_use", host=host, port=port, reason=error.strerror or str(error)) from None
