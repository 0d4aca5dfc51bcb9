"""Images made by the segmentation tests: bright discs on a noisy background, their masks 255 on
the discs and 0 elsewhere (as ISBI's are two values), written as PNG files."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def disc_image(side: int, rng: np.random.Generator, height: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(image in [0, 1], mask of 0/1): one to three discs, brighter than the background, on noise."""
    height = height or side
    rows, cols = np.mgrid[:height, :side]
    mask = np.zeros((height, side), dtype=np.uint8)
    for _ in range(rng.integers(1, 4)):
        radius = rng.uniform(4, max(5, min(height, side) / 4))
        r, c = rng.uniform(0, height), rng.uniform(0, side)
        mask[(rows - r) ** 2 + (cols - c) ** 2 <= radius ** 2] = 1
    image = rng.uniform(0.0, 0.45, size=(height, side)) + mask * rng.uniform(0.35, 0.5)
    return np.clip(image, 0, 1), mask


def disc_folders(root: Path, n: int = 40, side: int = 48, seed: int = 0, values=(0, 255),
                 mask_suffix: str = ".png") -> tuple[Path, Path]:
    """``root/images`` and ``root/masks``: n images named 0.png, 1.png, ... and their masks (the
    mask values ``values`` for background and disc)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    images, masks = root / "images", root / "masks"
    images.mkdir(parents=True, exist_ok=True)
    masks.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        image, mask = disc_image(side, rng)
        Image.fromarray((image * 255).astype(np.uint8)).save(images / f"{i}.png")
        Image.fromarray(np.asarray(values, dtype=np.uint8)[mask]).save(masks / f"{i}{mask_suffix}")
    return images, masks
