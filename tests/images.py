"""Images made by the tests: small shapes whose class a network can learn in a few epochs, as a
table of pixels or as a folder of files."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SHAPES = ("bar", "cross", "square")


def shape_images(n: int, side: int = 12, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(images in [0, 1] as (n, side, side), class codes): a horizontal bar, a cross or a hollow
    square, at a random place and brightness, on noise."""
    rng = np.random.default_rng(seed)
    codes = np.arange(n) % classes
    rng.shuffle(codes)
    images = rng.uniform(0.0, 0.25, size=(n, side, side))
    for image, code in zip(images, codes):
        r, c, level = rng.integers(2, side - 3), rng.integers(2, side - 3), rng.uniform(0.7, 1.0)
        if code == 0:
            image[r, 1:-1] = level
        elif code == 1:
            image[r, :] = level
            image[:, c] = level
        else:
            image[r - 2:r + 3, c - 2] = image[r - 2:r + 3, c + 2] = level
            image[r - 2, c - 2:c + 3] = image[r + 2, c - 2:c + 3] = level
    return images.astype(np.float32), codes


def pixel_frame(n: int = 240, task: str = "multiclass", side: int = 12, seed: int = 0) -> pd.DataFrame:
    """A table of pixels px_0 .. px_{side*side-1} (0-255) and a target "y": the shape's name, or,
    for regression, the image's brightest level times ten."""
    images, codes = shape_images(n, side, 2 if task == "binary" else 3, seed)
    frame = pd.DataFrame((images.reshape(n, -1) * 255).round(), columns=[f"px_{i}" for i in range(side * side)])
    if task == "regression":
        frame["y"] = images.reshape(n, -1).max(axis=1) * 10 + codes
    else:
        frame["y"] = np.asarray(SHAPES)[codes]
    return frame


def image_folder(root: Path, n: int = 60, side: int = 24, colour: bool = False, seed: int = 0) -> Path:
    """A folder of PNG files, one sub-folder per shape."""
    from PIL import Image

    images, codes = shape_images(n, side, seed=seed)
    for i, (image, code) in enumerate(zip(images, codes)):
        folder = root / SHAPES[code]
        folder.mkdir(parents=True, exist_ok=True)
        picture = Image.fromarray((image * 255).astype(np.uint8))
        (picture.convert("RGB") if colour else picture).save(folder / f"{i:04d}.png")
    return root
