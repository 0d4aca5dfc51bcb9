"""Reading a folder of images and a folder of their masks, paired by file name.

Masks come from many tools: a PNG beside a TIFF image, 0/255 or 0/1 or a palette, now and then
one saved as JPEG (whose compression blurs edges into new values) or at another size. Each
problem is named once, with the file and what to do, before any network is built: files that
cannot be read and images without a mask are left out with one notice; a mask that does not fit
its image, or that holds more values than a mask can, stops the reading.

The classes are the distinct mask values of all masks, sorted, coded 0..K-1; the model keeps
the values, so that predicted masks are written with the values the user's masks had.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from manabu.base.errors import DataError
from manabu.base.i18n import Notice
from manabu.data.read.images import IMAGE_EXTENSIONS, check_images, decode_image, is_image_name
from manabu.data.read.source import check_file, preview
from manabu.features.images import is_colour, pixel_array

MAX_CLASSES = 20        # more distinct values than this is not a mask (a photo, a JPEG-blurred mask)
SHOWN = 5               # file names a message lists before "… (+n)"


@dataclass
class Pair:
    name: str           # the file name without its extension, shared by the image and its mask
    image: Path
    mask: Path


@dataclass
class Pairs:
    images: str         # the folders as the user named them, for messages
    masks: str
    pairs: list[Pair]
    notices: list[Notice] = field(default_factory=list)


@dataclass
class Dataset:
    """Decoded pairs: images as float32 (channels, height, width) in [0, 1], masks as class codes
    (height, width), and the mask value of each code."""

    names: list[str]
    images: list[np.ndarray]
    codes: list[np.ndarray]
    classes: np.ndarray
    channels: int
    sources: list[Pair] = field(default_factory=list)


# ------------------------------------------------------------------------------ pairing

def natural_key(name: str) -> list:
    """Sort "2" before "10", as a person numbering files means them."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def list_images(folder: str | os.PathLike, role: str = "images") -> tuple[dict[str, Path], list[Notice]]:
    """The image files directly in ``folder`` by name without extension, in natural order, and
    notices for what was left out (other files; files that do not decode). ``role`` ("images"
    or "masks") picks the words of the messages."""
    root = Path(folder).expanduser()
    where = str(folder)
    if not root.is_dir():
        if role == "masks" and not root.exists():
            raise DataError("segmentation.masks_not_found", path=where)
        check_file(root)
        raise DataError("data.not_a_folder", path=where)
    files = sorted((p for p in root.iterdir() if p.is_file() and not p.name.startswith(".")),
                   key=lambda p: natural_key(p.name))
    images = [p for p in files if is_image_name(p.name)]
    notices = []
    others = [p.name for p in files if not is_image_name(p.name)]
    if others:
        notices.append(Notice("data.images_other_files", {"path": where, "count": len(others),
                                                          "names": preview(others, SHOWN)}))
    if not images:
        raise DataError(f"segmentation.no_{role}", path=where, extensions=", ".join(IMAGE_EXTENSIONS))
    images, skipped = _readable(images, where)
    notices += skipped
    return _by_stem(images, where), notices


def _readable(files: list[Path], where: str) -> tuple[list[Path], list[Notice]]:
    """The files that decode, and one notice naming those that do not (an error if none do)."""
    problems = check_images(files)
    broken = [(path, problem) for path, problem in zip(files, problems) if problem is not None]
    if not broken:
        return files, []
    names = [path.name for path, _ in broken]
    if len(broken) == len(files):
        raise DataError("data.images_unreadable", path=where, count=len(files), names=preview(names, SHOWN))
    cause, reason = broken[0][1]
    notice = Notice(f"data.images_skipped_{cause}", {"path": where, "count": len(broken), "first": names[0],
                                                     "names": preview(names, SHOWN), "reason": reason})
    return [path for path, problem in zip(files, problems) if problem is None], [notice]


def _by_stem(files: list[Path], where: str) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in files:
        if path.stem in found:
            raise DataError("segmentation.same_name", path=where, stem=path.stem,
                            names=f"{found[path.stem].name}, {path.name}")
        found[path.stem] = path
    return found


def pair_files(images: str | os.PathLike, masks: str | os.PathLike) -> Pairs:
    """The images of ``images`` with the masks of the same name in ``masks`` (the extension may
    differ); images without a mask and masks without an image are left out with a notice."""
    found, notices = list_images(images, "images")
    marks, mask_notices = list_images(masks, "masks")
    notices += mask_notices
    paired = [Pair(name, path, marks[name]) for name, path in found.items() if name in marks]
    if not paired:
        raise DataError("segmentation.no_pairs", images=str(images), masks=str(masks),
                        image_names=preview([p.name for p in found.values()], SHOWN),
                        mask_names=preview([p.name for p in marks.values()], SHOWN))
    lone_images = [path.name for name, path in found.items() if name not in marks]
    lone_masks = [path.name for name, path in marks.items() if name not in found]
    for key, lone in (("segmentation.images_without_mask", lone_images), ("segmentation.masks_without_image", lone_masks)):
        if lone:
            notices.append(Notice(key, {"images": str(images), "masks": str(masks), "count": len(lone),
                                        "names": preview(lone, SHOWN)}))
    return Pairs(str(images), str(masks), paired, notices)


# ------------------------------------------------------------------------------ decoding

def image_pixels(path: Path, channels: int | None = None) -> np.ndarray:
    """An image file as float32 (channels, height, width) in [0, 1]: 16-bit images scaled by
    their depth; ``channels`` 1 or 3 converts it, None keeps grey as one channel."""
    return pixels_of(decode_image(path), channels)


def pixels_of(image, channels: int | None = None) -> np.ndarray:
    """A Pillow image as ``image_pixels`` gives it."""
    if channels is None:
        channels = 1 if is_grey(image) else 3
    return pixel_array(image, channels)


def is_grey(image) -> bool:
    return not is_colour(image)


def mask_values(path: Path) -> np.ndarray:
    """A mask file as one integer per pixel (height, width): grey, 16-bit or palette indices; a
    colour mask whose three channels agree counts as grey, any other colour mask is refused."""
    image = decode_image(path)
    if image.mode == "P":
        return np.asarray(image, dtype=np.int64)
    if image.mode in ("RGB", "RGBA"):
        rgb = np.asarray(image.convert("RGB"))
        if not (np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2])):
            raise DataError("segmentation.colour_mask", path=str(path), mode=image.mode)
        return rgb[..., 0].astype(np.int64)
    if image.mode in ("1", "L", "LA"):
        return np.asarray(image.convert("L"), dtype=np.int64)
    return np.asarray(image.convert("I"), dtype=np.int64)


def read_pairs(pairs: Pairs) -> Dataset:
    """Decode every pair, check that each mask fits its image, and code the mask values."""
    images, masks = [], []
    colour = any(not _grey_file(pair.image) for pair in pairs.pairs)
    for pair in pairs.pairs:
        image = image_pixels(pair.image, 3 if colour else 1)
        mask = mask_values(pair.mask)
        if mask.shape != image.shape[1:]:
            raise DataError("segmentation.size_mismatch", mask=str(pair.mask), image=str(pair.image),
                            mask_size=_size(mask.shape), image_size=_size(image.shape[1:]))
        _check_values(mask, str(pair.mask))
        images.append(image)
        masks.append(mask)
    classes = np.unique(np.concatenate([np.unique(mask) for mask in masks]))
    if len(classes) > MAX_CLASSES:
        raise DataError("segmentation.too_many_classes", path=pairs.masks, count=len(classes), limit=MAX_CLASSES,
                        values=_values_text(classes))
    if len(classes) < 2:
        raise DataError("segmentation.one_class", path=pairs.masks, value=int(classes[0]))
    codes = [np.searchsorted(classes, mask).astype(np.int64) for mask in masks]
    return Dataset([pair.name for pair in pairs.pairs], images, codes, classes, 3 if colour else 1,
                   list(pairs.pairs))


def _grey_file(path: Path) -> bool:
    from PIL import Image

    with Image.open(path) as image:
        return is_grey(image)


def _check_values(mask: np.ndarray, where: str) -> None:
    values = np.unique(mask)
    if len(values) > MAX_CLASSES:
        raise DataError("segmentation.too_many_values", path=where, count=len(values), limit=MAX_CLASSES,
                        values=_values_text(values))


def _values_text(values: np.ndarray, shown: int = 8) -> str:
    text = ", ".join(str(int(v)) for v in values[:shown])
    return text + (f", … (+{len(values) - shown})" if len(values) > shown else "")


def _size(shape) -> str:
    return f"{shape[1]}x{shape[0]}"  # width x height, as image tools say it


# ------------------------------------------------------------------------------ writing

def write_mask(mask: np.ndarray, path: Path) -> None:
    path.write_bytes(mask_png(mask))


def mask_png(mask: np.ndarray) -> bytes:
    """A mask as the bytes of a PNG file: 8-bit grey when its values fit (0-255), else 16-bit grey."""
    import io

    from PIL import Image

    fits = mask.min(initial=0) >= 0 and mask.max(initial=0) <= 255
    buffer = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8 if fits else np.uint16)).save(buffer, format="PNG")
    return buffer.getvalue()
