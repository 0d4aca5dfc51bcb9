"""The model behind HTTP: ``POST /predict``, ``GET /health``, ``GET /metadata``.

``create_app(predictor, ...)`` builds the FastAPI app around a loaded Predictor; ``manabu serve``
runs it under uvicorn. The request body is read here, not by FastAPI, so that one endpoint takes
JSON (one record or a list) and CSV, the body size is enforced while it streams in, and JSON's
NaN and Infinity (which Python's json module would let through) are refused.
"""
from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from manabu import __version__
from manabu.base.jsonable import to_jsonable
from manabu.data.read import read_csv_bytes
from manabu.base.errors import ManabuError
from manabu.base.i18n import t
from manabu.training.predictor import Predictor
from manabu.serve.monitor import RequestLog
from manabu.serve.records import Rows, problems

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
INLINE_ROWS = 16  # requests of at most this many rows are answered on the event loop, larger ones in a thread
OPEN_PATHS = frozenset({"/health"})  # answered without the token, for load balancers and probes


@dataclass(frozen=True)
class ServeSettings:
    token: str | None = None                  # bearer token every route but /health needs
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    model_info: dict[str, Any] = field(default_factory=dict)  # where the model came from, its version
    log_requests: str | None = None          # a JSON-lines file that a sample of the rows goes to
    log_share: float = 1.0                   # the share of the rows logged


def guarded_app(title: str, description: str, settings: ServeSettings, metadata: dict[str, Any],
                metadata_summary: str) -> FastAPI:
    """The app every kind of model is served by: the token and body-size guard, ``GET /health``
    (open to probes) and ``GET /metadata`` (``metadata``); each kind adds its own endpoint."""
    app = FastAPI(title=title, version=__version__, description=description)
    app.add_middleware(Guard, token=settings.token, max_body_bytes=settings.max_body_bytes)

    @app.get("/health", summary="Is the server up? (no token needed)")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metadata", summary=metadata_summary, responses=ERRORS_AUTH)
    def get_metadata() -> dict[str, Any]:
        return metadata
    return app


def media_type(request: Request) -> str:
    """The request's content type without its parameters ("application/json" when none is given)."""
    return request.headers.get("content-type", "application/json").split(";")[0].strip().lower()


def create_app(predictor: Predictor, settings: ServeSettings | None = None) -> FastAPI:
    settings = settings or ServeSettings()
    rows = Rows(predictor.schema)
    app = guarded_app(f"manabu: {predictor.target}", _description(predictor, rows), settings,
                      _metadata(predictor, settings.model_info),
                      "What the model is: task, columns, metric, scores, version")
    predictions = _predictions(predictor)
    # the first answer builds and checks the compiled row path: done now, not in a client's request
    # (an image model has none, and nothing to answer without an image)
    if rows.image_column is None:
        predictions(rows.from_json({name: None for name in rows.names}))
    log = RequestLog(settings.log_requests, settings.log_share) if settings.log_requests else None

    def answer(frame: pd.DataFrame) -> dict[str, Any]:
        result = predictions(frame)
        if log is not None:
            log.write(frame.astype(object).where(frame.notna(), None).to_dict("records"), result)
        return result

    @app.post("/predict", summary="Predict one or many rows (JSON) or a CSV table",
              responses={**ERRORS_AUTH, **_ERRORS_BODY},
              openapi_extra=_request_body(rows))
    async def predict(request: Request) -> JSONResponse:
        body = await read_body(request, settings.max_body_bytes)
        if body is None:
            return error_response(413, "serve.too_large", limit=settings.max_body_bytes)
        kind = media_type(request)
        if kind == "text/csv":
            frame = read_csv_bytes(body, "request body")  # ManabuError is answered below
            missing = rows.missing_columns(frame)
            if missing:
                return error_response(422, "serve.missing_columns", columns=", ".join(missing),
                              detail=[{"row": None, "column": name, "problem": "Field required",
                                       "type": "missing"} for name in missing])
        elif kind in ("application/json", ""):
            try:
                parsed = json.loads(body, parse_constant=_no_constant)
            except (ValueError, _NotJSON) as error:
                return error_response(422, "serve.bad_json", reason=str(error))
            if parsed == [] or not isinstance(parsed, dict | list):
                return error_response(422, "serve.no_records")
            try:
                frame = rows.from_json(parsed)
            except ValidationError as error:
                found = problems(error, single=isinstance(parsed, dict))
                first = found[0]
                key = "serve.invalid_value" if first["row"] is None else "serve.invalid_records"
                return error_response(422, key, column=first["column"] or "-", problem=first["problem"],
                                      row=first["row"], detail=found)
        elif kind == "multipart/form-data" and rows.image_column is not None:
            files, fields = await read_upload(request, body)
            if not files:
                return error_response(422, "serve.no_images")
            frame = rows.from_upload(files, fields)
        else:
            return error_response(415, "serve.media_type", kind=kind)
        if frame.empty:
            return error_response(422, "serve.no_records")
        if len(frame) <= INLINE_ROWS:  # a fraction of a millisecond: cheaper than a thread hop
            return JSONResponse(answer(frame))
        return JSONResponse(await run_in_threadpool(answer, frame))

    _document_records(app, rows)

    @app.exception_handler(ManabuError)
    async def manabu_error(request: Request, error: ManabuError) -> JSONResponse:
        return JSONResponse({"message": str(error), "detail": []}, status_code=422)

    return app


def _predictions(predictor: Predictor) -> Callable[[pd.DataFrame], dict[str, Any]]:
    """The answer to a frame of rows: predictions, and for classes the probability of each class.
    The classes as JSON labels and as probability keys are made once, not in every request."""
    if predictor.classes is None:
        def values(frame: pd.DataFrame) -> dict[str, Any]:
            return {"predictions": to_jsonable(np.asarray(predictor.predict(frame), dtype=float).tolist())}
        return values
    labels = to_jsonable(predictor.classes)
    names = [str(c) for c in predictor.classes]

    def classes(frame: pd.DataFrame) -> dict[str, Any]:
        proba = predictor.predict_proba(frame).to_numpy()
        return {"predictions": [labels[i] for i in proba.argmax(axis=1)],
                "probabilities": [dict(zip(names, row)) for row in proba.tolist()]}
    return classes


async def read_body(request: Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes (a chunked upload has no
    Content-Length to check first)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def read_upload(request: Request, body: bytes) -> tuple[list[bytes], dict[str, str]]:
    """The files of a ``multipart/form-data`` body, in order, and its text fields."""
    from starlette.datastructures import UploadFile
    from starlette.formparsers import MultiPartParser

    async def stream():
        yield body
        yield b""

    form = await MultiPartParser(request.headers, stream()).parse()
    files, fields = [], {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            files.append(await value.read())
        else:
            fields[name] = value
    return files, fields


class _NotJSON(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _NotJSON(f"{name} is not JSON; send null for a missing value")


def error_response(status: int, key: str, detail: list | None = None, **params: Any) -> JSONResponse:
    """One message in English and Japanese, and the per-column details where there are some."""
    return JSONResponse({"message": t(key, "en", **params), "message_ja": t(key, "ja", **params),
                         "detail": detail or []}, status_code=status)


class Guard:
    """ASGI middleware: the bearer token (compared in constant time) on every route but the open
    ones, and a body refused at once when its declared length is over the limit."""

    def __init__(self, app, token: str | None, max_body_bytes: int) -> None:
        self.app = app
        self.token = token.encode("utf-8") if token else None
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        if self.token is not None and scope["path"] not in OPEN_PATHS and not self._authorised(headers):
            response = error_response(401, "serve.unauthorised")
            response.headers["WWW-Authenticate"] = "Bearer"
            return await response(scope, receive, send)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            return await error_response(413, "serve.too_large", limit=self.max_body_bytes)(scope, receive, send)
        return await self.app(scope, receive, send)

    def _authorised(self, headers: dict[bytes, bytes]) -> bool:
        scheme, _, given = headers.get(b"authorization", b"").partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.token)


def _metadata(predictor: Predictor, model_info: dict[str, Any]) -> dict[str, Any]:
    record = predictor.record
    best = record.best_row
    return to_jsonable({
        "task": str(predictor.task), "target": predictor.target, "classes": predictor.classes,
        "metric": predictor.metric, "model": record.best_model, "score": best.get("score"),
        "score_std": best.get("score_std"), "validation": record.validation.get("description"),
        "rows_trained": record.n_rows,
        "columns": [{"name": c.name, "type": c.type.value} for c in predictor.schema.features],
        "leaderboard": [{k: row.get(k) for k in ("rank", "model", "score", "score_std", "latency_ms")}
                        for row in record.leaderboard if row.get("rank") is not None],
        "manabu_version": __version__, **model_info,
    })


def _description(predictor: Predictor, rows: Rows) -> str:
    upload = (" An image is sent as base64 in JSON, or as files in a `multipart/form-data` upload "
              "(one prediction per file).") if rows.image_column is not None else ""
    return (f"Predicts **{predictor.target}** ({predictor.task}) from the columns below. "
            "Send one record as a JSON object, several as a JSON array, or a CSV table with "
            f"`Content-Type: text/csv`. A missing value is `null`.{upload}")


def _request_body(rows: Rows) -> dict[str, Any]:
    """The request body in the OpenAPI document: the generated record, one or many, or CSV; for
    an image model also an upload of image files."""
    record = {"$ref": "#/components/schemas/Record"}
    content = {
        "application/json": {"schema": {"anyOf": [record, {"type": "array", "items": record, "minItems": 1}]}},
        "text/csv": {"schema": {"type": "string", "description": "a header line with the column names, then rows"}},
    }
    if rows.image_column is not None:
        content["multipart/form-data"] = {"schema": {"type": "object", "properties": {
            rows.image_column: {"type": "array", "items": {"type": "string", "format": "binary"},
                    "description": "image files (PNG, JPEG, BMP, TIFF...): one prediction each"}}}}
    return {"requestBody": {"required": True, "content": content}}


def _document_records(app: FastAPI, rows: Rows) -> None:
    """Put the generated Record model in the OpenAPI document's components."""
    record = rows.model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    definitions = record.pop("$defs", {})
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            document.setdefault("components", {}).setdefault("schemas", {}).update({"Record": record, **definitions})
        return app.openapi_schema

    app.openapi = openapi


MESSAGE = {"content": {"application/json": {"schema": {"type": "object", "properties": {
    "message": {"type": "string"}, "message_ja": {"type": "string"}, "detail": {"type": "array"}}}}}}
ERRORS_AUTH = {401: {"description": "Missing or wrong bearer token", **MESSAGE}}
_ERRORS_BODY = {413: {"description": "Body over the size limit", **MESSAGE},
                415: {"description": "Neither JSON nor CSV", **MESSAGE},
                422: {"description": "A record or column that cannot be used, named", **MESSAGE}}
