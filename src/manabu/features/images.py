"""Images as the arrays a network takes: ``ImageInput`` turns a table's image column (paths to
files) or its pixel columns (MNIST-like tables) into one float32 array (rows, channels, height,
width), fitted inside each fold like every other preprocessing.

Files are decoded with Pillow (``data.read.images.decode_image``: EXIF orientation honoured, one
clear message for a file that cannot be read), converted to grey or colour as most of the
training images are, resized to one square side, and scaled into [0, 1] by their bit depth
(8- or 16-bit). Decoded images are kept in a bounded cache, so the folds and candidates of one
search decode each file once.
"""
from __future__ import annotations

import os
import re
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from manabu.base.trust import register_trusted
from manabu.data.schema import ColumnType, Schema

MAX_SIDE = 128          # images are resized to at most this side: a CNN from scratch on 2 CPU cores
MIN_SIDE = 8
HEADER_SAMPLE = 200     # images whose headers decide the channels and the side
MIN_PIXELS = 36         # fewer numeric columns than this is not taken for an image (6 x 6)
CACHE_BYTES = 512 * 2**20
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")

_GRID = re.compile(r"^(?P<prefix>.*?)(?P<row>\d+)_(?P<col>\d+)$")
_FLAT = re.compile(r"^(?P<prefix>.*?)(?P<index>\d+)$")


def image_column(schema: Schema) -> str | None:
    """The first image-path column of the features, if any."""
    names = schema.of_type(ColumnType.IMAGE)
    return names[0] if names else None


def pixel_grid(names: list[str]) -> tuple[list[str], tuple[int, int, int]] | None:
    """The columns in row-major order and the (channels, height, width) of a table of pixels,
    from their names: ``pixel_<row>_<col>`` (any prefix) gives the grid; ``px_<i>`` for
    i = 0 .. s*s-1 a square of side s. None when the names are not one complete grid."""
    if len(names) < MIN_PIXELS:
        return None
    grid = [_GRID.match(name) for name in names]
    if all(grid) and len({m["prefix"] for m in grid}) == 1:
        cells = {(int(m["row"]), int(m["col"])): name for m, name in zip(grid, names)}
        height, width = max(r for r, _ in cells) + 1, max(c for _, c in cells) + 1
        if len(cells) == len(names) == height * width:
            return [cells[(r, c)] for r in range(height) for c in range(width)], (1, height, width)
        return None
    flat = [_FLAT.match(name) for name in names]
    if not all(flat) or len({m["prefix"] for m in flat}) != 1:
        return None
    index = {int(m["index"]): name for m, name in zip(flat, names)}
    side = int(round(len(names) ** 0.5))
    if side * side != len(names) or set(index) != set(range(len(names))):
        return None
    return [index[i] for i in range(len(names))], (1, side, side)


def schema_pixels(schema: Schema) -> tuple[list[str], tuple[int, int, int]] | None:
    """The pixel grid of a schema whose features are all numeric pixel columns, else None. The
    constant columns, which the schema leaves out of the features (a digit's corners), are
    still pixels of the grid: ``ImageInput`` fills them with zeros."""
    features = schema.features
    if not features or any(c.type is not ColumnType.NUMERIC for c in features):
        return None
    constant = [c.name for c in schema.columns if c.type is ColumnType.CONSTANT]
    return pixel_grid([c.name for c in features] + constant)


def has_images(schema: Schema) -> bool:
    """Whether the image families can learn from these features."""
    return image_column(schema) is not None or schema_pixels(schema) is not None


def image_input(schema: Schema) -> "ImageInput":
    """The ImageInput for a schema with an image column or a pixel grid."""
    column = image_column(schema)
    if column is not None:
        return ImageInput(column=column)
    grid = schema_pixels(schema)
    if grid is None:
        raise ValueError("the data has neither an image column nor a grid of pixel columns")
    names, shape = grid
    return ImageInput(pixels=list(names), shape=list(shape))


class ImageInput(TransformerMixin, BaseEstimator):
    """A table's images as float32 (rows, channels, height, width): from the file paths in
    ``column``, or from the ``pixels`` columns laid out as ``shape`` (channels, height, width)."""

    def __init__(self, column: str | None = None, pixels: list[str] | None = None,
                 shape: list[int] | None = None, max_side: int = MAX_SIDE) -> None:
        self.column = column
        self.pixels = pixels
        self.shape = shape
        self.max_side = max_side

    def fit(self, X, y=None):
        if self.column is not None:
            paths = _paths(X, self.column)
            self.channels_, self.side_ = _channels_and_side(paths[:HEADER_SAMPLE], self.max_side)
            self.shape_ = [self.channels_, self.side_, self.side_]
        elif self.pixels and self.shape:
            self.shape_ = [int(v) for v in self.shape]
        else:
            raise ValueError("ImageInput needs an image column or pixel columns with their shape")
        return self

    def transform(self, X) -> np.ndarray:
        if self.column is not None:
            channels, side = self.shape_[0], self.shape_[1]
            return np.stack([image_array(path, channels, side) for path in _paths(X, self.column)]) \
                if len(X) else np.empty((0, *self.shape_), dtype=np.float32)
        values = _pixel_values(X, self.pixels) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=np.float32)
        return np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0).reshape(len(values), *self.shape_)

    def get_feature_names_out(self, input_features=None):
        return np.asarray([self.column] if self.column is not None else list(self.pixels or []), dtype=object)


def _pixel_values(frame: pd.DataFrame, pixels: list[str]) -> np.ndarray:
    """The pixel columns in grid order as float32; a pixel the frame lacks (a constant column
    that the schema left out) is zero."""
    present = [name for name in pixels if name in frame.columns]
    if len(present) == len(pixels):
        return frame[pixels].to_numpy(dtype=np.float32, na_value=np.nan)
    values = np.zeros((len(frame), len(pixels)), dtype=np.float32)
    positions = [i for i, name in enumerate(pixels) if name in frame.columns]
    values[:, positions] = frame[present].to_numpy(dtype=np.float32, na_value=np.nan)
    return values


def _paths(X: Any, column: str) -> list[str | bytes]:
    """The images of the column: paths to files, or the bytes of an image sent to the server."""
    cells = X[column] if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=object)[:, 0]
    return [cell if isinstance(cell, bytes) else str(cell) for cell in cells]


def _channels_and_side(paths: list[str], max_side: int) -> tuple[int, int]:
    """Colour when any of the images is in colour; the median of the images' longer sides,
    within [MIN_SIDE, max_side]."""
    from PIL import Image

    colour, sides = False, []
    for path in paths:
        try:
            with Image.open(path) as image:
                colour = colour or is_colour(image)
                sides.append(max(image.size))
        except (OSError, ValueError):
            continue  # decode_image names the file when it is read
    side = int(np.median(sides)) if sides else max_side
    return (3 if colour else 1), int(min(max(side, MIN_SIDE), max_side))


def is_colour(image) -> bool:
    """Whether a Pillow image has colour: a palette image only when its colours are not greys."""
    if image.mode == "P":
        return image.convert("RGB").getextrema() != image.convert("L").convert("RGB").getextrema()
    return image.mode not in ("1", "L", "LA", *SIXTEEN_BIT_MODES)


_cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
_cached_bytes = 0


def image_array(path: str | bytes, channels: int, side: int) -> np.ndarray:
    """One image file (or an uploaded image's bytes) as float32 (channels, side, side) in
    [0, 1], from the cache when the file has not changed since it was decoded."""
    global _cached_bytes
    if isinstance(path, bytes):
        from manabu.data.read.images import decode_image_bytes

        return _as_array(decode_image_bytes(path, "uploaded image"), channels, side)
    try:
        stat = os.stat(path)
    except OSError:
        return _decode(path, channels, side)  # names the file that cannot be read, in one message
    key = (path, stat.st_mtime_ns, stat.st_size, channels, side)
    array = _cache.get(key)
    if array is not None:
        _cache.move_to_end(key)
        return array
    array = _decode(path, channels, side)
    _cache[key] = array
    _cached_bytes += array.nbytes
    while _cached_bytes > CACHE_BYTES and _cache:
        _cached_bytes -= _cache.popitem(last=False)[1].nbytes
    return array


def _decode(path: str, channels: int, side: int) -> np.ndarray:
    from manabu.data.read.images import decode_image

    return _as_array(decode_image(path), channels, side)


def _as_array(image, channels: int, side: int) -> np.ndarray:
    return pixel_array(image, channels, side)


def pixel_array(image, channels: int, side: int | None = None) -> np.ndarray:
    """A Pillow image as float32 (channels, height, width) in [0, 1], resized to ``side`` a side
    where given; 16-bit grey (microscopy, X-rays) is scaled by its depth."""
    from PIL import Image

    def resized(picture):
        return picture if side is None else picture.resize((side, side), Image.BILINEAR)

    if image.mode in SIXTEEN_BIT_MODES:
        values = np.asarray(resized(image.convert("F")), dtype=np.float32)
        scaled = values / (65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0)
        grey = np.clip(scaled, 0.0, 1.0)[None]
        return np.repeat(grey, channels, axis=0) if channels == 3 else grey
    values = np.asarray(resized(image.convert("RGB" if channels == 3 else "L")), dtype=np.float32) / 255.0
    return values[None] if channels == 1 else values.transpose(2, 0, 1).copy()


register_trusted("manabu.features.images.ImageInput")
