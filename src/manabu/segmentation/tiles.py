"""Tiles: what the U-Net sees in training and how whole images are predicted.

Training draws random square tiles of one size from the images (an image smaller than a tile is
padded by reflection, its mask with IGNORE, which the losses skip), each turned by a random
multiple of 90 degrees and flipped, the same way for the image and its mask, with a little
brightness and contrast jitter on the image alone. These moves change no pixel's class, and
are exact on the pixel grid (no interpolation blurs a mask's edges).

Prediction covers an image with overlapping tiles and blends their class probabilities with a
window that is highest at a tile's centre, where the network saw the most context: seams at the
tiles' borders, where a padded convolution sees only half its neighbourhood, do not show.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

IGNORE = -1            # a mask code the losses and the scores skip: padding
OVERLAP = 0.25         # of a tile, shared with its neighbour in prediction
WINDOW_FLOOR = 0.05    # the blending weight at a tile's edge, relative to its centre
JITTER = 0.1           # brightness and contrast are moved by up to this share


def padded(image: np.ndarray, codes: np.ndarray | None, side: int) -> tuple[np.ndarray, np.ndarray | None]:
    """``image`` (channels, height, width) reflected, and ``codes`` padded with IGNORE, so that
    both sides are at least ``side``; unchanged when they are."""
    height, width = image.shape[1:]
    extra_h, extra_w = max(0, side - height), max(0, side - width)
    if not extra_h and not extra_w:
        return image, codes
    mode = "reflect" if extra_h < height and extra_w < width else "edge"  # reflection needs room
    image = np.pad(image, ((0, 0), (0, extra_h), (0, extra_w)), mode=mode)
    if codes is not None:
        codes = np.pad(codes, ((0, extra_h), (0, extra_w)), constant_values=IGNORE)
    return image, codes


def random_tiles(images: list[np.ndarray], codes: list[np.ndarray], side: int, count: int,
                 rng: np.random.Generator, augment: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``count`` tiles of ``side`` pixels from random places of random images (large images
    drawn more often, in proportion to their area), augmented: (tiles, their codes)."""
    areas = np.array([image.shape[1] * image.shape[2] for image in images], dtype=np.float64)
    chosen = rng.choice(len(images), size=count, p=areas / areas.sum())
    tiles = np.empty((count, images[0].shape[0], side, side), dtype=np.float32)
    marks = np.empty((count, side, side), dtype=np.int64)
    for i, index in enumerate(chosen):
        image, mask = images[index], codes[index]  # already padded to at least ``side``
        top = rng.integers(0, image.shape[1] - side + 1)
        left = rng.integers(0, image.shape[2] - side + 1)
        tile, mark = image[:, top:top + side, left:left + side], mask[top:top + side, left:left + side]
        if augment:
            tile, mark = _moved(tile, mark, rng)
        tiles[i], marks[i] = tile, mark
    return tiles, marks


def _moved(tile: np.ndarray, mark: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random one of the square's eight symmetries, on the tile and its mask alike, and a
    brightness and contrast jitter on the tile alone."""
    turns, flip = int(rng.integers(4)), bool(rng.integers(2))
    tile, mark = np.rot90(tile, turns, axes=(1, 2)), np.rot90(mark, turns)
    if flip:
        tile, mark = tile[:, :, ::-1], mark[:, ::-1]
    contrast, brightness = 1.0 + rng.uniform(-JITTER, JITTER), rng.uniform(-JITTER, JITTER)
    mean = tile.mean()
    return (tile - mean) * contrast + mean + brightness, mark


def starts(length: int, side: int) -> list[int]:
    """Where tiles of ``side`` start along ``length`` (at least ``side``), overlapping by about
    OVERLAP, the last one flush with the end."""
    if length <= side:
        return [0]
    stride = max(1, int(side * (1 - OVERLAP)))
    found = list(range(0, length - side, stride))
    return found + [length - side]


def grid(height: int, width: int, side: int) -> list[tuple[int, int]]:
    return [(top, left) for top in starts(height, side) for left in starts(width, side)]


def window(side: int) -> np.ndarray:
    """The blending weight of each pixel of a tile: a raised cosine from WINDOW_FLOOR at the
    edges to 1 at the centre, along each axis."""
    ramp = WINDOW_FLOOR + (1 - WINDOW_FLOOR) * np.sin(np.pi * (np.arange(side) + 0.5) / side)
    return np.outer(ramp, ramp).astype(np.float32)


def fixed_tiles(image: np.ndarray, codes: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """The tiles that cover a held-out image, unaugmented, with their codes (for validation)."""
    image, codes = padded(image, codes, side)
    places = grid(image.shape[1], image.shape[2], side)
    tiles = np.stack([image[:, t:t + side, l:l + side] for t, l in places])
    marks = np.stack([codes[t:t + side, l:l + side] for t, l in places])
    return tiles, marks


def blended(image: np.ndarray, side: int, n_classes: int, forward: Callable[[np.ndarray], np.ndarray],
            batch: int = 8) -> np.ndarray:
    """Class probabilities (n_classes, height, width) of a whole image: ``forward`` (tiles ->
    their probabilities) over overlapping tiles, blended by ``window``."""
    height, width = image.shape[1:]
    image, _ = padded(image, None, side)
    places = grid(image.shape[1], image.shape[2], side)
    weight = window(side)
    total = np.zeros((n_classes, *image.shape[1:]), dtype=np.float32)
    weights = np.zeros(image.shape[1:], dtype=np.float32)
    for group in _chunks(places, batch):
        tiles = np.stack([image[:, t:t + side, l:l + side] for t, l in group])
        for (top, left), probabilities in zip(group, forward(tiles)):
            total[:, top:top + side, left:left + side] += probabilities * weight
            weights[top:top + side, left:left + side] += weight
    return (total / weights)[:, :height, :width]


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
