"""A segmentation model behind HTTP: ``POST /segment`` answers a mask per uploaded image.

The images come as files of a ``multipart/form-data`` body, or as base64 (or data URLs) in JSON:
``{"image": "..."}`` or ``{"images": ["...", ...]}``. Each mask comes back as a PNG in base64,
in the values of the training masks (8-bit grey where they fit, else 16-bit), with its size and
the pixels of each class; ``?format=png`` answers one image's mask as the PNG file itself.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from manabu.base.errors import ManabuError
from manabu.segmentation.folders import mask_png, pixels_of
from manabu.serve.app import (ERRORS_AUTH, MESSAGE, ServeSettings, error_response, guarded_app, media_type,
                              read_body, read_upload)

SEGMENT_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "image": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
    "application/json": {"schema": {"type": "object", "properties": {
        "image": {"type": "string", "description": "an image file in base64, or a data URL"},
        "images": {"type": "array", "items": {"type": "string"}}}}}}}}
SEGMENT_ANSWER = {200: {"description": "A mask per image: PNG in base64, its size, the pixels of each class",
                        "content": {"application/json": {}, "image/png": {}}}}
ERRORS = {413: {"description": "Body over the size limit", **MESSAGE},
          415: {"description": "Neither an image upload nor JSON", **MESSAGE},
          422: {"description": "No image, or one that cannot be decoded, named", **MESSAGE}}


def create_segmentation_app(model, settings: ServeSettings | None = None) -> FastAPI:
    """The app around a loaded ``segmentation.model.SegmentationModel``."""
    settings = settings or ServeSettings()
    classes = model.classes.tolist()
    metadata = {"task": "segmentation", "classes": classes, "channels": model.channels,
                "held_out": (model.record.get("held_out") or {}).get("overall"), **settings.model_info}
    app = guarded_app("manabu: segmentation", "POST /segment with an image (multipart/form-data, or base64 in "
                      f"JSON): its mask as PNG, with the classes {classes}.", settings, metadata,
                      "What the model is: its classes and held-out scores")

    @app.post("/segment", summary="The mask of each image sent", openapi_extra=SEGMENT_BODY,
              responses={**SEGMENT_ANSWER, **ERRORS_AUTH, **ERRORS})
    async def segment(request: Request, format: str = "json") -> Response:
        body = await read_body(request, settings.max_body_bytes)
        if body is None:
            return error_response(413, "serve.too_large", limit=settings.max_body_bytes)
        images = await _images(request, body)
        if isinstance(images, Response):
            return images
        masks = await run_in_threadpool(lambda: [_mask(model, data, f"image {i + 1}") for i, data in enumerate(images)])
        if format == "png" and len(masks) == 1:
            return Response(mask_png(masks[0]), media_type="image/png")
        return JSONResponse({"classes": classes, "masks": [_answer(mask, classes) for mask in masks]})

    @app.exception_handler(ManabuError)
    async def manabu_error(request: Request, error: ManabuError) -> JSONResponse:
        return JSONResponse({"message": str(error), "detail": []}, status_code=422)

    return app


async def _images(request: Request, body: bytes) -> list[bytes] | Response:
    """The images of the body, or the response that refuses it."""
    kind = media_type(request)
    if kind == "multipart/form-data":
        files, _ = await read_upload(request, body)
        return files or error_response(422, "serve.no_images")
    if kind not in ("application/json", ""):
        return error_response(415, "serve.media_type_images", kind=kind)
    try:
        parsed = json.loads(body)
    except ValueError as error:
        return error_response(422, "serve.bad_json", reason=str(error))
    texts = []
    if isinstance(parsed, dict):
        texts = parsed.get("images") or ([parsed["image"]] if parsed.get("image") else [])
    if not texts or not all(isinstance(text, str) for text in texts):
        return error_response(422, "serve.no_images")
    try:
        return [base64.b64decode(text.partition(",")[2] if text.startswith("data:") else text, validate=True)
                for text in texts]
    except (binascii.Error, ValueError) as error:
        return error_response(422, "serve.bad_base64", reason=str(error))


def _mask(model, data: bytes, where: str) -> np.ndarray:
    from manabu.data.read.images import decode_image_bytes

    return model.predict(pixels_of(decode_image_bytes(data, where), model.channels))


def _answer(mask: np.ndarray, classes: list) -> dict[str, Any]:
    values, counts = np.unique(mask, return_counts=True)
    found = dict(zip(values.tolist(), counts.tolist()))
    return {"height": int(mask.shape[0]), "width": int(mask.shape[1]),
            "pixels": {str(value): int(found.get(value, 0)) for value in classes},
            "mask_png": base64.b64encode(mask_png(mask)).decode("ascii")}
