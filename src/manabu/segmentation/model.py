"""A trained segmentation model: ``segment`` trains it, ``predict`` answers a mask per image, and
it is saved and loaded like the other models (``manabu.load`` gives it back, ``manabu predict``
writes its masks as PNG files).

Its folder holds the U-Net (``codec``: safetensors and JSON) and a manifest whose ``kind`` is
"segmentation", with the record of the training: the images, the classes, the held-out scores.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from manabu.artifact import REPORT_FILE, load_model, save_model
from manabu.artifact.pages import page, page_maker
from manabu.base.errors import ArtifactError, ConfigError, DataError
from manabu.evaluate.segmentation import segmentation_scores
from manabu.segmentation import codec  # noqa: F401  (registers the storage format)
from manabu.segmentation.folders import Dataset, Pairs, image_pixels, list_images, mask_values, pair_files, read_pairs
from manabu.segmentation.network import UNetSegmenter

KIND = "segmentation"
HOLD_OUT = 0.1          # of the pairs, held out to stop early and to score the network
EXAMPLES = 3            # held-out images shown in the report: the worst, the middle and the best
RESERVE = 0.05          # of the time limit, kept for scoring the held-out images, the report and
MIN_RESERVE = 3.0       # the save, within these seconds (and at most half the limit): matplotlib's
MAX_RESERVE = 30.0      # first import alone takes a second or two
MAX_EPOCHS = 300        # the network's default: the time limit, or early stopping, ends training first


class SegmentationModel:
    KIND = KIND

    def __init__(self, segmenter: UNetSegmenter, record: dict[str, Any],
                 examples: list[dict[str, Any]] | None = None) -> None:
        self.segmenter = segmenter
        self.record = record          # how it was trained, and how well it did
        self._examples = examples     # the report's held-out images, while they are in memory

    @property
    def classes(self) -> np.ndarray:
        """The mask value of each class, in the order of the network's outputs."""
        return self.segmenter.classes_

    @property
    def channels(self) -> int:
        return int(self.segmenter.config_["in_channels"])

    # -- answering ----------------------------------------------------------------------------
    def predict(self, images) -> np.ndarray | list[np.ndarray]:
        """The mask of each image, in the values of the training masks: ``images`` is a folder
        or a list (of files or arrays), answered by a list; a file or one image array (height,
        width[, channels]) is answered by one mask."""
        arrays, single = self._arrays(images)
        masks = self.segmenter.predict(arrays)
        return masks[0] if single else masks

    def predict_file(self, path: str | os.PathLike) -> np.ndarray:
        return self.segmenter.predict([image_pixels(Path(path), self.channels)])[0]

    def evaluate(self, images, masks) -> dict[str, Any]:
        """Pixel accuracy, Dice and IoU of each class, per image and overall, on the images of the
        folder ``images`` and their masks in ``masks`` (paired by name, as for training)."""
        pairs = pair_files(images, masks)
        truth = [_codes(mask_values(pair.mask), self.classes, str(pair.mask)) for pair in pairs.pairs]
        predicted = self.segmenter.predict_codes([image_pixels(pair.image, self.channels) for pair in pairs.pairs])
        for pair, true, guess in zip(pairs.pairs, truth, predicted):
            if true.shape != guess.shape:
                raise DataError("segmentation.size_mismatch", mask=str(pair.mask), image=str(pair.image),
                                mask_size=f"{true.shape[1]}x{true.shape[0]}",
                                image_size=f"{guess.shape[1]}x{guess.shape[0]}")
        found = segmentation_scores([pair.name for pair in pairs.pairs], truth, predicted, len(self.classes))
        return {**found, "classes": self.classes.tolist(), "notices": [n.to_dict() for n in pairs.notices]}

    def _arrays(self, images) -> tuple[list[np.ndarray], bool]:
        if isinstance(images, (str, os.PathLike)):
            path = Path(images)
            if path.is_dir():
                found, _ = list_images(path)
                return [image_pixels(p, self.channels) for p in found.values()], False
            return [image_pixels(path, self.channels)], True
        if isinstance(images, np.ndarray) and images.ndim in (2, 3) and not _stack_of_grey(images, self.channels):
            return [as_pixels(images, self.channels)], True
        return [image_pixels(Path(image), self.channels) if isinstance(image, (str, os.PathLike))
                else as_pixels(image, self.channels) for image in images], False

    # -- the report's examples ----------------------------------------------------------------
    def examples(self) -> list[dict[str, Any]]:
        """The held-out images of the report, with their true and predicted masks (as codes):
        those in memory after training, else read again from where they were (the files that
        are no longer there are left out)."""
        if self._examples is not None:
            return self._examples
        shown = []
        for example in self.record.get("examples", []):
            image, mask = Path(example["image"]), Path(example["mask"])
            if image.is_file() and mask.is_file():
                pixels = image_pixels(image, self.channels)
                true = _codes(mask_values(mask), self.classes, str(mask))
                shown.append({**example, "pixels": pixels, "true": true,
                              "predicted": self.segmenter.predict_codes([pixels])[0]})
        self._examples = shown
        return shown

    # -- saving -------------------------------------------------------------------------------
    def save(self, path: str | Path, *, overwrite: bool = False, report: bool = True,
             lang: str | None = None) -> Path:
        """The model folder, with ``report.html`` beside the model (``lang`` shown first);
        ``report=False`` saves the model alone."""
        derived = {REPORT_FILE: page(KIND, self, lang)} if report else None
        return save_model(path, self.segmenter, {"kind": KIND, KIND: self.record}, overwrite=overwrite,
                          derived=derived)

    def report(self, lang: str | None = None) -> str:
        """The HTML page of the training (``artifact.pages``' maker named "segmentation")."""
        return page_maker(KIND)(self, lang)

    @classmethod
    def load(cls, path: str | Path) -> SegmentationModel:
        pipeline, manifest = load_model(path)
        if manifest.get("kind") != KIND or KIND not in manifest:
            raise ArtifactError("segmentation.not_segmentation", path=str(path))
        return cls(pipeline.steps[-1][1], manifest[KIND])

    def __repr__(self) -> str:
        scores = (self.record.get("held_out") or {}).get("overall") or {}
        return (f"SegmentationModel(classes={self.classes.tolist()}, tile={self.segmenter.tile_}, "
                f"pixel_accuracy={scores.get('pixel_accuracy')}, mean_dice={scores.get('mean_dice')})")


# ------------------------------------------------------------------------------ training

def segment(images: str | os.PathLike, masks: str | os.PathLike, *, time_limit: float = 60.0, seed: int = 0,
            width: int = 8, depth: int = 4, tile: int = 256, device: str = "auto", max_epochs: int = MAX_EPOCHS,
            output: str | Path | None = None, overwrite: bool = False, report: bool = True,
            started: float | None = None) -> SegmentationModel:
    """Train a U-Net to segment the images of the folder ``images``, each paired with the mask of
    the same name in ``masks``, within ``time_limit`` seconds (reading and scoring included);
    a tenth of the pairs is held out to stop early and to score it. ``width``, ``depth`` and
    ``tile`` size the U-Net and its input (``network.UNetSegmenter``); ``device`` is where it
    trains ("auto": the GPU when there is one); ``max_epochs`` bounds the training when the time
    would allow more (the learning rate's schedule spans them). With ``output``, the model folder is saved there
    with its report (an existing one is replaced only with ``overwrite``)."""
    started = time.monotonic() if started is None else started
    settings = Settings(time_limit, seed, width, depth, tile, device, max_epochs)
    if output is not None and Path(output).exists() and not overwrite:
        raise ArtifactError("artifact.exists", path=str(output))
    model = fit_pairs(pair_files(images, masks), settings, started)
    if output is not None:
        model.save(output, overwrite=overwrite, report=report)
    return model


@dataclass(frozen=True)
class Settings:
    """How a segmentation is trained (``segment``'s keywords, ``manabu train --masks``'s options)."""

    time_limit: float = 60.0
    seed: int = 0
    width: int = 8
    depth: int = 4
    tile: int = 256
    device: str = "auto"
    max_epochs: int = MAX_EPOCHS

    def __post_init__(self) -> None:
        if not isinstance(self.time_limit, (int, float)) or not math.isfinite(self.time_limit) or self.time_limit <= 0:
            raise ConfigError("search.bad_time_limit", value=self.time_limit)
        if isinstance(self.max_epochs, bool) or not isinstance(self.max_epochs, int) or self.max_epochs < 1:
            raise ConfigError("segmentation.bad_max_epochs", value=self.max_epochs)


def fit_pairs(pairs: Pairs, settings: Settings, started: float) -> SegmentationModel:
    """``segment`` once the folders are paired (the command line pairs them first, to say what
    it found before torch loads); the time limit counts from ``started`` (time.monotonic())."""
    data = read_pairs(pairs)
    train, held = split_pairs(len(data.names), settings.seed)
    reserve = min(MAX_RESERVE, max(MIN_RESERVE, RESERVE * settings.time_limit), settings.time_limit / 2)
    deadline = started + settings.time_limit - reserve
    segmenter = UNetSegmenter(width=settings.width, depth=settings.depth, tile=settings.tile, device=settings.device,
                              max_epochs=settings.max_epochs, random_state=settings.seed)
    fit_started = time.monotonic()
    segmenter.fit(_pick(data.images, train), _pick(data.codes, train), data.classes,
                  _pick(data.images, held), _pick(data.codes, held), deadline=deadline)
    seconds = time.monotonic() - fit_started
    record, examples = _record(data, pairs, segmenter, train, held, seconds, settings)
    return SegmentationModel(segmenter, record, examples)


def split_pairs(n: int, seed: int) -> tuple[list[int], list[int]]:
    """(training pairs, held-out pairs): a seeded tenth held out, but at least EXAMPLES from a
    dozen pairs up (the report shows that many, and two images judge epochs noisily) and at
    least one from two; none of a single pair."""
    if n < 2:
        return list(range(n)), []
    size = max(1, round(n * HOLD_OUT), min(EXAMPLES, n // 4))
    held = np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))
    return [i for i in range(n) if i not in set(held.tolist())], held.tolist()


def _record(data: Dataset, pairs: Pairs, segmenter: UNetSegmenter, train: list[int], held: list[int],
            seconds: float, settings: Settings) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What the manifest keeps of a training, and the report's examples (in memory)."""
    predicted = segmenter.predict_codes(_pick(data.images, held))
    scores = segmentation_scores(_pick(data.names, held), _pick(data.codes, held), predicted, len(data.classes)) \
        if held else None
    examples = _examples(data, held, predicted, scores)
    record = {"images": pairs.images, "masks": pairs.masks, "n_pairs": len(data.names),
              "train": _pick(data.names, train), "held_out_names": _pick(data.names, held),
              "classes": data.classes.tolist(), "channels": data.channels, "tile": segmenter.tile_,
              "network": segmenter.config_, "parameters": int(sum(w.size for w in segmenter.weights_.values())),
              "seed": settings.seed, "time_limit": settings.time_limit, "seconds": round(seconds, 3),
              "epochs": len(segmenter.log_["epochs"]), "stopped_at_deadline": segmenter.log_["stopped_at_deadline"],
              "held_out": scores, "notices": [n.to_dict() for n in pairs.notices],
              "examples": [{k: e[k] for k in ("name", "image", "mask")} for e in examples]}
    return record, examples


def _examples(data: Dataset, held: list[int], predicted: list[np.ndarray], scores) -> list[dict[str, Any]]:
    """The worst, middle and best held-out images by mean Dice (all of them when fewer)."""
    if not held:
        return []
    order = sorted(range(len(held)), key=lambda i: scores["images"][i]["mean_dice"] or 0.0)
    if len(order) > EXAMPLES:
        order = [order[0], order[len(order) // 2], order[-1]]
    return [{"name": data.names[held[i]], "image": str(data.sources[held[i]].image),
             "mask": str(data.sources[held[i]].mask), "pixels": data.images[held[i]], "true": data.codes[held[i]],
             "predicted": predicted[i]} for i in order]


def _pick(items: list, rows: list[int]) -> list:
    return [items[i] for i in rows]


def _codes(mask: np.ndarray, classes: np.ndarray, where: str) -> np.ndarray:
    """A true mask as the model's class codes; a value the model never learnt is refused."""
    unknown = np.setdiff1d(np.unique(mask), classes)
    if len(unknown):
        raise DataError("segmentation.unknown_values", path=where, values=", ".join(str(int(v)) for v in unknown[:8]),
                        classes=", ".join(str(v) for v in classes.tolist()))
    return np.searchsorted(classes, mask).astype(np.int64)


def _stack_of_grey(images: np.ndarray, channels: int) -> bool:
    """Whether a 3-D array is several grey images (n, height, width) rather than one image."""
    return images.ndim == 3 and channels == 1 and images.shape[-1] not in (3, 4) and images.shape[0] not in (1, 3, 4)


def as_pixels(image, channels: int) -> np.ndarray:
    """An image array (height, width), (height, width, channels) or (channels, height, width),
    integers or floats in [0, 1], as float32 (channels, height, width) in [0, 1]."""
    array = np.asarray(image)
    scale = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(array.dtype, 1.0)
    array = array.astype(np.float32) / scale
    if array.ndim == 2:
        array = array[None]
    elif array.ndim == 3 and array.shape[-1] in (3, 4) and array.shape[0] not in (1, 3):
        array = array.transpose(2, 0, 1)
    if array.ndim != 3:
        raise DataError("segmentation.bad_array", shape=str(tuple(np.shape(image))))
    array = array[:3]
    if array.shape[0] == channels:
        return np.ascontiguousarray(array)
    if channels == 1:  # colour to grey as Pillow's "L" weighs it
        return (array[:1] * 0.299 + array[1:2] * 0.587 + array[2:3] * 0.114).astype(np.float32)
    return np.repeat(array[:1], 3, axis=0)
