"""A forecaster behind HTTP: ``POST /forecast`` answers the next steps of every series.

The body is JSON, every field optional: ``{"horizon": 7}`` (at most the trained horizon; the
trained one when absent), ``"history"``: new rows in the training table's columns, appended to
the learnt history before forecasting, and ``"future"``: the known covariates over the horizon
(one row per series and step), which a forecaster trained with ``--known`` needs. The answer is
one row per series and step: the time, the series, ``<target>_forecast`` and the 80% and 95%
interval bounds, as ``manabu predict`` writes them.
"""
from __future__ import annotations

import json
from typing import Any

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from manabu.base.errors import ManabuError
from manabu.serve.app import ERRORS_AUTH, MESSAGE, ServeSettings, error_response, guarded_app, media_type, read_body

FORECAST_BODY = {"requestBody": {"required": False, "content": {"application/json": {"schema": {
    "type": "object", "properties": {
        "horizon": {"type": "integer", "minimum": 1, "description": "steps ahead (default: the trained horizon)"},
        "history": {"type": "array", "items": {"type": "object"},
                    "description": "new rows (training columns) appended to the learnt history"},
        "future": {"type": "array", "items": {"type": "object"},
                   "description": "known covariates over the horizon, one row per series and step"}}}}}}}
ERRORS = {413: {"description": "Body over the size limit", **MESSAGE},
          415: {"description": "Not JSON", **MESSAGE},
          422: {"description": "A horizon, history or future that cannot be used, named", **MESSAGE}}


def create_forecast_app(model, settings: ServeSettings | None = None) -> FastAPI:
    """The app around a loaded ``forecasting.model.Forecaster``."""
    settings = settings or ServeSettings()
    record = model.record
    columns = model.model.columns
    metadata = {"task": "forecast", "target": columns.target, "time": columns.time, "id": columns.id,
                "series": len(model.series), "freq": record["freq"], "horizon": model.horizon,
                "known": record["known"], "chosen": record["chosen"], "weights": record["weights"],
                "backtest": record["scores"], "coverage": record["coverage"], **settings.model_info}
    app = guarded_app("manabu: forecast", f"POST /forecast: the next {model.horizon} step(s) of "
                      f"{len(model.series)} series, with 80% and 95% prediction intervals.", settings, metadata,
                      "What the forecaster is: its series, horizon and backtest scores")

    @app.post("/forecast", summary="The next steps of every series, with prediction intervals",
              openapi_extra=FORECAST_BODY, responses={**ERRORS_AUTH, **ERRORS})
    async def forecast(request: Request) -> Response:
        body = await read_body(request, settings.max_body_bytes)
        if body is None:
            return error_response(413, "serve.too_large", limit=settings.max_body_bytes)
        asked = _asked(request, body)
        if isinstance(asked, Response):
            return asked
        table = await run_in_threadpool(lambda: model.predict(asked.get("horizon"), history=asked.get("history"),
                                                              future=asked.get("future")))
        return JSONResponse({"horizon": asked.get("horizon", model.horizon), "forecast": _rows(table)})

    @app.exception_handler(ManabuError)
    async def manabu_error(request: Request, error: ManabuError) -> JSONResponse:
        return JSONResponse({"message": str(error), "detail": []}, status_code=422)

    return app


def _asked(request: Request, body: bytes) -> dict[str, Any] | Response:
    """The body's horizon and tables, or the response that refuses it."""
    kind = media_type(request)
    if kind not in ("application/json", ""):
        return error_response(415, "serve.media_type_forecast", kind=kind)
    try:
        parsed = json.loads(body) if body.strip() else {}
    except ValueError as error:
        return error_response(422, "serve.bad_json", reason=str(error))
    if not isinstance(parsed, dict):
        return error_response(422, "serve.forecast_body")
    asked: dict[str, Any] = {}
    horizon = parsed.get("horizon")
    if horizon is not None:
        if not isinstance(horizon, int) or isinstance(horizon, bool):
            return error_response(422, "serve.forecast_body")
        asked["horizon"] = horizon
    for name in ("history", "future"):
        rows = parsed.get(name)
        if rows is None:
            continue
        if not isinstance(rows, list) or not rows or not all(isinstance(row, dict) for row in rows):
            return error_response(422, "serve.forecast_body")
        asked[name] = pd.DataFrame(rows)
    return asked


def _rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The forecast's rows with times as ISO text and plain numbers."""
    shown = table.copy()
    for column in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[column].dtype):
            shown[column] = shown[column].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return json.loads(shown.to_json(orient="records", double_precision=15))
