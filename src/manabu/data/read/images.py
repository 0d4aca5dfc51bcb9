"""Images: a folder of images (one sub-folder per class), a table's column of image paths, and
``decode_image`` for the model that reads them.

Image folders arrive as people copy them: with ``.DS_Store`` files, a ``README``, a download cut
short, a text file renamed ``.jpg``. So every file is checked when the folder is read (cheaply:
JPEGs at reduced scale, PNGs by their checksums), what cannot be used is left out with one notice
that names it, and training never meets a broken file halfway through.

Pillow is imported when an image is met, so that reading a plain table does not load it.
"""
from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from manabu.base.errors import DataError
from manabu.base.i18n import Notice
from manabu.data.read.source import Source, check_file, first_line, preview, source_info

if TYPE_CHECKING:
    from PIL import Image

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp")
IMAGE_COLUMN = "image"
LABEL_COLUMN = "label"
SHOWN_NAMES = 5            # file names a notice or an error lists before "… (+n)"
CHECK_THREADS = 8          # Pillow's decoders release the GIL, so files are checked side by side

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_SPLITS = frozenset({"train", "training", "val", "valid", "validation", "test", "testing", "dev"})


# --------------------------------------------------------------------------------- image names

def is_image_name(value: Any) -> bool:
    """A local file name or path whose extension is an image's (any case); web addresses are
    not files manabu can open, so they do not count."""
    if not isinstance(value, (str, os.PathLike)):
        return False
    text = os.fspath(value)
    return isinstance(text, str) and text.lower().endswith(IMAGE_EXTENSIONS) and not _URL.match(text)


def all_image_names(values: Iterable[Any]) -> bool:
    """At least one value, and every one names an image file (missing values excluded first)."""
    seen = False
    for value in values:
        if not is_image_name(value):
            return False
        seen = True
    return seen


def image_positions(frame: pd.DataFrame) -> list[int]:
    """Where the text columns whose present values all name image files are (by position:
    the names are not checked for duplicates yet)."""
    found = []
    for i in range(frame.shape[1]):
        s = frame.iloc[:, i]
        if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
            continue
        present = s.notna().to_numpy()
        if present.any() and is_image_name(s.iloc[int(present.argmax())]):  # the first value, cheaply
            if all_image_names(s[present].unique()):
                found.append(i)
    return found


# -------------------------------------------------------------------------------- one image

def decode_image(path: str | os.PathLike) -> Image.Image:
    """The image at ``path``, fully loaded and turned upright by its EXIF orientation, in its own
    mode (L, RGB, RGBA, P, I;16, I, F ...): converting it is the caller's choice.

    A missing, empty, truncated or damaged file, or one that is not an image, raises one
    ``DataError`` that names the file and says what to do.
    """
    file = Path(path)
    if not file.is_file():
        raise DataError("data.image_not_found", path=str(file))
    if file.stat().st_size == 0:
        raise DataError("data.image_empty", path=str(file))
    try:
        return _upright(file)
    except Exception as exc:  # Pillow's decoders raise many kinds on damaged files; the cause is kept
        raise image_error(file, exc) from None


def _upright(source) -> Image.Image:
    """The image in ``source`` (a path or a file object), loaded whole and turned by its EXIF
    orientation."""
    from PIL import Image, ImageOps

    with Image.open(source) as opened:
        opened.load()
        upright = ImageOps.exif_transpose(opened)
        return upright if upright is not opened else opened.copy()


def decode_image_bytes(data: bytes, where: str) -> Image.Image:
    """``decode_image`` for an image sent as bytes (an upload): ``where`` names it in the error."""
    import io

    if not data:
        raise DataError("data.image_empty", path=where)
    try:
        return _upright(io.BytesIO(data))
    except Exception as exc:  # as in decode_image
        raise image_error(Path(where), exc) from None


def image_error(path: Path, exc: BaseException) -> DataError:
    """The ``DataError`` for a file Pillow could not read, by what went wrong."""
    cause, reason = _cause(exc)
    return DataError(f"data.image_{cause}", path=str(path), reason=reason)


def _cause(exc: BaseException) -> tuple[str, str]:
    from PIL import UnidentifiedImageError

    reason = first_line(exc)
    if isinstance(exc, UnidentifiedImageError):
        return "not_image", reason
    if "truncated" in reason.lower() or isinstance(exc, EOFError):
        return "truncated", reason
    return "damaged", reason


def check_image(path: Path) -> tuple[str, str] | None:
    """Why the image at ``path`` cannot be used, as (cause, reason); None when it decodes.

    JPEGs are decoded at an eighth of their size (``draft``): the whole stream is still read, so
    a truncated file is seen, at a fraction of the cost. PNGs are read chunk by chunk with their
    checksums (``verify``), which sees truncation and damage without inflating the pixels.
    """
    from PIL import Image

    try:
        if path.stat().st_size == 0:
            return "empty", ""
        with Image.open(path) as image:
            if image.format == "PNG":
                image.verify()
            else:
                image.draft(image.mode, (1, 1))
                image.load()
    except Exception as exc:  # as in decode_image: any failure means the file cannot be used
        return _cause(exc)
    return None


def check_images(paths: list[Path]) -> list[tuple[str, str] | None]:
    """``check_image`` of every path, in order, several at a time."""
    if len(paths) < 2 * CHECK_THREADS:
        return [check_image(p) for p in paths]
    with ThreadPoolExecutor(min(CHECK_THREADS, os.cpu_count() or 1)) as pool:
        return list(pool.map(check_image, paths))


# -------------------------------------------------------------------------------- a folder

@dataclass
class _Listing:
    """What a walk of an image folder found: images with their class (the top sub-folder's
    name, "" for the folder itself) and the names of the other files, relative to the root."""

    images: list[tuple[str, Path]] = field(default_factory=list)
    others: list[str] = field(default_factory=list)


def _walk(root: Path) -> _Listing:
    """Every file under ``root`` in name order, hidden files and folders ("." names) left out."""
    found = _Listing()
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        relative = Path(folder).relative_to(root)
        label = unicodedata.normalize("NFC", relative.parts[0]) if relative.parts else ""  # macOS writes NFD
        for name in sorted(files):
            if name.startswith("."):
                continue
            if is_image_name(name):
                found.images.append((label, Path(folder) / name))
            else:
                found.others.append((relative / name).as_posix())
    return found


def read_image_folder(folder: str | os.PathLike) -> tuple[pd.DataFrame, Source]:
    """A folder of images as a table, with the ``Source`` that says where it came from.

    Sub-folders that hold images are classes: columns ``image`` (the absolute path) and
    ``label`` (the sub-folder's name; deeper folders count for their top one), rows sorted by
    label then path. A folder of images alone (for prediction) gives the ``image`` column only.
    Hidden files are ignored; other files and images that cannot be decoded are left out, each
    kind with one notice.
    """
    root = Path(os.path.abspath(Path(folder).expanduser()))
    src = Source(str(folder), source_info(str(folder), "image_folder"))
    if not root.is_dir():
        check_file(root)  # a path that does not exist: said as for any file
        raise DataError("data.not_a_folder", path=src.where)
    listing = _walk(root)
    if not listing.images:
        raise _no_images(src.where, listing.others)
    if listing.others:
        src.notices.append(_listed("data.images_other_files", src.where, listing.others))
    labelled = any(label for label, _ in listing.images)
    images = listing.images
    if labelled:
        images = [(label, path) for label, path in images if label]
        loose = [p.name for label, p in listing.images if not label]
        if loose:
            src.notices.append(_listed("data.images_unlabelled", src.where, loose))
        src.notices += _split_notice(root, src.where, images)
    images = _usable(images, root, src)
    images.sort(key=lambda item: (item[0], str(item[1])))
    frame = pd.DataFrame({IMAGE_COLUMN: [str(path) for _, path in images]})
    if labelled:
        frame[LABEL_COLUMN] = [label for label, _ in images]
    return frame, src


def _usable(images: list[tuple[str, Path]], root: Path, src: Source) -> list[tuple[str, Path]]:
    """The images that decode; the others are named in one notice (or one error if none is left)."""
    problems = check_images([path for _, path in images])
    broken = [(path, problem) for (_, path), problem in zip(images, problems) if problem is not None]
    if not broken:
        return images
    names = [path.relative_to(root).as_posix() for path, _ in broken]
    if len(broken) == len(images):
        raise DataError("data.images_unreadable", path=src.where, count=len(broken),
                        names=preview(names, SHOWN_NAMES))
    cause, reason = broken[0][1]
    src.notices.append(Notice(f"data.images_skipped_{cause}", {
        "path": src.where, "count": len(broken), "names": preview(names, SHOWN_NAMES),
        "first": names[0], "reason": reason}))
    return [item for item, problem in zip(images, problems) if problem is None]


def _split_notice(root: Path, where: str, images: list[tuple[str, Path]]) -> list[Notice]:
    """A notice when the "classes" are named like the parts of a split (train/, val/) and hold
    deeper folders: the classes are likely one level down."""
    labels = sorted({label for label, _ in images})
    nested = any(path.parent != root / label for label, path in images)
    if not nested or not set(label.lower() for label in labels) <= _SPLITS:
        return []
    return [Notice("data.images_split_folders", {"path": where, "classes": preview(labels, SHOWN_NAMES),
                                                 "example": str(Path(where) / labels[0])})]


def _listed(key: str, where: str, names: list[str]) -> Notice:
    return Notice(key, {"path": where, "count": len(names), "names": preview(names, SHOWN_NAMES)})


def _no_images(where: str, others: list[str]) -> DataError:
    extensions = ", ".join(IMAGE_EXTENSIONS)
    if not others:
        return DataError("data.images_empty_folder", path=where, extensions=extensions)
    return DataError("data.images_none", path=where, count=len(others), names=preview(others, SHOWN_NAMES),
                     extensions=extensions)


# ------------------------------------------------------------------- a table's image paths

def resolve_image_paths(frame: pd.DataFrame, base: Path, where: str) -> pd.DataFrame:
    """``frame`` with each column of image paths made absolute against ``base`` (the table's
    folder), so that no later step needs to know where the table was; a listed file that does
    not exist is refused here, with the column and the first few paths named."""
    folder = os.path.abspath(base)
    for i in image_positions(frame):
        s = frame.iloc[:, i]
        absolute = {v: os.path.normpath(os.path.join(folder, os.path.expanduser(os.fspath(v))))
                    for v in s.dropna().unique()}
        missing = [str(v) for v, path in absolute.items() if not os.path.isfile(path)]
        if missing:
            raise DataError("data.image_paths_missing", path=where, column=str(frame.columns[i]),
                            count=len(missing), total=len(absolute), names=preview(missing, SHOWN_NAMES),
                            folder=folder)
        frame.isetitem(i, s.map(absolute))
    return frame
