"""Which images the report of an image classifier shows, chosen at the end of training from the
rows and the held-out predictions (those its confusion matrix counts): a few images of each
class, the most confidently wrong ones, and a few right and wrong ones with saliency maps
(``evaluate.saliency``).

The report is drawn again later from the manifest alone (``manabu report``), without the data,
so the pixels it shows are kept there: small PNGs in base64 (a few hundred bytes each for
digits, a few kilobytes for photos), chosen here, once, while the data is at hand. The rows are
read through the network's own preprocessing where the model has a network (its saliency maps
then lie on the very pixels it took), else through the schema's ``ImageInput``.
"""
from __future__ import annotations

import base64
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from manabu.data.schema import Schema
from manabu.evaluate.networks import last_step
from manabu.evaluate.saliency import network_of, saliency_maps
from manabu.features.images import has_images, image_column, image_input

log = logging.getLogger(__name__)

PER_CLASS = 6         # example images per class
MAX_CLASSES = 20      # classes shown (all are counted)
WRONG = 8             # confidently wrong images shown
SALIENCY_RIGHT = 3    # images given saliency maps: right answers, each of another class...
SALIENCY_WRONG = 3    # ...and the most confidently wrong (right ones fill in where fewer are wrong)
THUMBNAIL_SIDE = 64   # pixels, the longest side of an image kept for the grids (never enlarged)
SALIENCY_SIDE = 96    # ...and of an image kept with its maps

Read = Callable[[np.ndarray], np.ndarray]  # rows -> their images (rows, channels, height, width)


@dataclass(frozen=True)
class HeldOut:
    """The held-out predictions: the rows that have one and, for every row, the class
    probabilities, the class predicted and its probability (meaningless where a row has none)."""

    rows: np.ndarray
    probabilities: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray


def held_out(oof: Any, n_rows: int) -> HeldOut | None:
    """The out-of-fold class probabilities (NaN where a row was not held out) as ``HeldOut``;
    a single column is a binary task's second class."""
    if oof is None:
        return None
    probabilities = np.asarray(oof, dtype=float).reshape(n_rows, -1)
    if probabilities.shape[1] == 1:
        probabilities = np.column_stack([1 - probabilities[:, 0], probabilities[:, 0]])
    filled = np.nan_to_num(probabilities, nan=-1.0)
    return HeldOut(np.flatnonzero(~np.isnan(probabilities).any(axis=1)), probabilities,
                   filled.argmax(axis=1), filled.max(axis=1))


def class_rows(y: np.ndarray, n_classes: int, seed: int, per_class: int = PER_CLASS) -> list[np.ndarray]:
    """For each class, ``per_class`` of its rows drawn at random (seeded: the same run, the
    same images), in row order."""
    rng = np.random.default_rng(seed)
    return [np.sort(rng.permutation(np.flatnonzero(y == k))[:per_class]) for k in range(n_classes)]


def confidently_wrong(y: np.ndarray, held: HeldOut, k: int = WRONG) -> np.ndarray:
    """The ``k`` held-out rows answered wrong with the highest probability, highest first (the
    earlier row first among equals)."""
    rows = held.rows[held.predicted[held.rows] != y[held.rows]]
    return rows[np.argsort(-held.confidence[rows], kind="stable")[:k]]


def saliency_rows(y: np.ndarray, held: HeldOut, seed: int, right: int = SALIENCY_RIGHT,
                  wrong: int = SALIENCY_WRONG) -> np.ndarray:
    """Held-out rows to draw saliency maps on: the ``wrong`` most confidently wrong, then right
    answers drawn at random, each of a class not yet shown where there are enough classes,
    ``right + wrong`` in all where there are that many held-out rows."""
    mistakes = confidently_wrong(y, held, wrong)
    correct = np.random.default_rng(seed).permutation(held.rows[held.predicted[held.rows] == y[held.rows]])
    first_of_class: dict[int, int] = {}
    for row in correct:
        first_of_class.setdefault(int(y[row]), int(row))
    firsts = list(first_of_class.values())  # one right answer per class before a second of any
    taken = set(firsts)
    others = [int(row) for row in correct if int(row) not in taken]
    chosen = (firsts + others)[:right + wrong - len(mistakes)]
    return np.concatenate([mistakes, np.asarray(chosen, dtype=np.intp)]).astype(np.intp)


def image_numbers(X: pd.DataFrame, y: np.ndarray, oof: Any, labels: list[str] | None, schema: Schema, model: Any,
                  name: str, seed: int, saliency: bool = True, deadline: float | None = None) -> dict | None:
    """What the report's image sections draw (``report.images``), for a classifier of images
    (None otherwise): per class its count and a few images; the held-out rows' count, how
    many were wrong and the most confidently wrong; saliency maps of a few held-out images, or
    why there are none (``saliency`` False, or ``deadline`` past: the time is up)."""
    if not labels or not has_images(schema):
        return None
    held = held_out(oof, len(y))
    network = network_of(model, name) if model is not None else None
    read = image_reader(X, schema, network[1] if network else None)
    examples = class_rows(y, len(labels), seed)[:MAX_CLASSES]
    wrong = confidently_wrong(y, held) if held is not None else np.empty(0, dtype=np.intp)
    shown = np.unique(np.concatenate([*examples, wrong])).astype(np.intp)
    pictures = read(shown)
    top = brightest(pictures)
    thumbnail = {int(row): png_base64(picture / top, THUMBNAIL_SIDE) for row, picture in zip(shown, pictures)}
    names = _names(X, schema)
    out = {"n_classes": len(labels), "n_images": int(len(y)),
           "classes": [{"label": labels[k], "count": int(np.sum(y == k)), "images": [thumbnail[int(i)] for i in rows]}
                       for k, rows in enumerate(examples)]}
    if held is not None:
        out.update(held_out=int(len(held.rows)),
                   wrong_total=int(np.sum(held.predicted[held.rows] != y[held.rows])),
                   wrong=[{"image": thumbnail[int(i)], **_answer(int(i), y, held, labels, names)} for i in wrong])
    if saliency and (deadline is None or time.monotonic() < deadline):
        out["saliency"] = _saliency(network, held, y, labels, names, read, top, seed)
    else:
        out["saliency"] = {"skipped": "time"}
    return out


def image_reader(X: pd.DataFrame, schema: Schema, pipeline: Any = None) -> Read:
    """rows -> their images, through ``pipeline``'s preprocessing (a network's: what it takes),
    else the schema's ``ImageInput``, fitted on the rows' first images."""
    if pipeline is not None and hasattr(pipeline, "steps") and len(pipeline.steps) > 1:
        preprocess = pipeline[:-1]
    else:
        preprocess = image_input(schema).fit(X)

    def read(rows: np.ndarray) -> np.ndarray:
        return np.asarray(preprocess.transform(X.iloc[rows]), dtype=np.float32)
    return read


def brightest(images: np.ndarray) -> float:
    """The value drawn white: 1 for images read from files (in [0, 1]), the largest pixel for
    tables of pixels (16 for scikit-learn's digits, 255 for MNIST)."""
    finite = images[np.isfinite(images)]
    return max(1.0, float(finite.max())) if finite.size else 1.0


def png_base64(image: np.ndarray, side: int) -> str:
    """An image in [0, 1], (channels, height, width) or (height, width), as a PNG in base64,
    shrunk to ``side`` pixels at most (never enlarged: the page scales it up, pixel by pixel)."""
    array = np.clip(np.nan_to_num(np.asarray(image, dtype=np.float64)), 0.0, 1.0)
    if array.ndim == 3:
        array = array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0)
    return picture_base64(np.round(array * 255).astype(np.uint8), side)


def picture_base64(pixels: np.ndarray, side: int, nearest: bool = False) -> str:
    """A uint8 array, (height, width) or (height, width, 3), as a PNG in base64, shrunk to
    ``side`` pixels at most (``nearest``: without blending, as masks and labels must be)."""
    from PIL import Image

    picture = Image.fromarray(pixels)
    if max(picture.size) > side:
        picture.thumbnail((side, side), Image.NEAREST if nearest else Image.BILINEAR)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def png_array(data: str) -> np.ndarray:
    """A PNG in base64 (``png_base64``) as floats in [0, 1]: (height, width) or (height, width, 3)."""
    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(data))) as picture:
        return np.asarray(picture, dtype=np.float64) / 255.0


def _names(X: pd.DataFrame, schema: Schema) -> Callable[[int], str | None]:
    """row -> what a reader finds the image by: its folder and file name (None for a table of pixels)."""
    column = image_column(schema)
    if column is None:
        return lambda row: None
    return lambda row: "/".join(PurePath(str(X[column].iloc[row])).parts[-2:])


def _answer(row: int, y: np.ndarray, held: HeldOut, labels: list[str], names: Callable[[int], str | None]) -> dict:
    answer = {"actual": labels[int(y[row])], "predicted": labels[int(held.predicted[row])],
              "probability": round(float(held.confidence[row]), 4)}
    name = names(row)
    return answer if name is None else {**answer, "name": name}


def _saliency(network: tuple[str, Any] | None, held: HeldOut | None, y: np.ndarray, labels: list[str],
              names: Callable[[int], str | None], read: Read, top: float, seed: int) -> dict:
    """Each chosen held-out image with its maps towards the class its held-out prediction chose,
    or ``{"skipped": why}``: no network in the model, no held-out rows, no captum, or a failure
    (logged: the other image sections stand without it)."""
    if network is None:
        return {"skipped": "no_network"}
    if held is None or not len(held.rows):
        return {"skipped": "no_held_out", "model": network[0]}
    member, pipeline = network
    estimator = last_step(pipeline)
    outputs = {int(c): i for i, c in enumerate(getattr(estimator, "classes_", range(len(labels))))}
    rows = np.asarray([r for r in saliency_rows(y, held, seed) if int(held.predicted[r]) in outputs], dtype=np.intp)
    try:
        images = read(rows)
        maps = saliency_maps(estimator, images, np.asarray([outputs[int(held.predicted[r])] for r in rows]))
    except Exception as error:  # a network the maps cannot read is not worth the rest of the report
        log.warning("report: saliency maps failed (%s: %s)", type(error).__name__, error)
        return {"skipped": "failed", "model": member}
    if maps is None:
        return {"skipped": "captum", "model": member}
    shown = []
    for j, row in enumerate(rows):
        entry = {"image": png_base64(images[j] / top, SALIENCY_SIDE),
                 **{method: png_base64(values[j], SALIENCY_SIDE) for method, values in maps.items()}}
        entry.update(_answer(int(row), y, held, labels, names), right=bool(held.predicted[row] == y[row]))
        shown.append(entry)
    return {"model": member, "methods": list(maps), "images": shown}
