"""Augmentation that suits the images (kornia, on batches already on the device): small shifts,
rotations and zooms for every image; for colour photographs also mirror images, crops and colour
jitter. Grey images get no flips: a mirrored digit or letter is another symbol, and grey images
are most often such symbols, scans or micrographs."""
from __future__ import annotations

AUGMENTATIONS = ("auto", "light", "none")


def augmenter(kind: str, channels: int, size: tuple[int, ...]):
    """A callable (images -> augmented images) for ``kind`` (one of AUGMENTATIONS; "none": None)."""
    if kind == "none":
        return None
    if kind not in AUGMENTATIONS:
        raise ValueError(f"augment must be one of {AUGMENTATIONS}, not {kind!r}")
    import kornia.augmentation as K
    from torch import nn

    steps = [K.RandomAffine(degrees=10.0, translate=(0.1, 0.1), scale=(0.9, 1.1), p=0.75)]
    if kind == "auto" and channels == 3:
        steps = [K.RandomHorizontalFlip(),
                 K.RandomResizedCrop(tuple(int(s) for s in size), scale=(0.6, 1.0), p=0.75),
                 K.RandomAffine(degrees=10.0, p=0.5),
                 K.ColorJitter(0.2, 0.2, 0.2, 0.02, p=0.5)]
    return nn.Sequential(*steps)
