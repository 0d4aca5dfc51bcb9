"""How well predicted masks match the true ones: pixel accuracy, and Dice and IoU per class,
for each image and for all images together.

Pixel accuracy alone flatters a model on thin structures (EM membranes are a fifth of the
pixels: calling everything "cell" scores 0.8), so each class gets its own overlap scores:
Dice = 2|A∩B| / (|A|+|B|), IoU = |A∩B| / |A∪B|. A class absent from both the true and the
predicted mask of an image has no score there (None), rather than a perfect or a zero one.
Codes below zero (padding) are not counted.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def confusion(true: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Pixel counts (true class, predicted class), padding left out."""
    counted = true >= 0
    pairs = true[counted].astype(np.int64) * n_classes + predicted[counted].astype(np.int64)
    return np.bincount(pairs, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def scores(matrix: np.ndarray) -> dict[str, Any]:
    """Pixel accuracy, and Dice, IoU and the true share of pixels of each class, from a confusion
    matrix."""
    matrix = matrix.astype(np.float64)
    hits, true, predicted = np.diag(matrix), matrix.sum(axis=1), matrix.sum(axis=0)
    total = matrix.sum()
    dice = [None if t + p == 0 else float(2 * h / (t + p)) for h, t, p in zip(hits, true, predicted)]
    iou = [None if t + p == 0 else float(h / (t + p - h)) for h, t, p in zip(hits, true, predicted)]
    return {"pixel_accuracy": float(hits.sum() / total) if total else None, "dice": dice, "iou": iou,
            "share": [float(t / total) if total else None for t in true]}


def segmentation_scores(names: list[str], true: list[np.ndarray], predicted: list[np.ndarray],
                        n_classes: int) -> dict[str, Any]:
    """The scores of every image (``images``, in order) and of all their pixels together
    (``overall``), with the mean Dice and IoU over the classes."""
    matrices = [confusion(t, p, n_classes) for t, p in zip(true, predicted)]
    images = [{"name": name, **scores(matrix)} for name, matrix in zip(names, matrices)]
    overall = scores(np.sum(matrices, axis=0)) if matrices else scores(np.zeros((n_classes, n_classes)))
    for found in (*images, overall):
        found["mean_dice"] = _mean(found["dice"])
        found["mean_iou"] = _mean(found["iou"])
    return {"overall": overall, "images": images}


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None
