"""What a column of images holds, read from the files' headers: sizes, colour modes, bit depths.

A learner choosing an image size or a model needs to know whether the photos are 300 or 4,000
pixels wide, grey or colour, 8 or 16 bits; a header says that without decoding the pixels, so a
sample of up to ``MAX_FILES`` files is read in well under a second. Small JSON-able numbers,
since the profile is kept in a model's manifest.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from manabu.data.read.images import SHOWN_NAMES

MAX_FILES = 2_000  # headers read at most; a larger column is sampled
_ROTATED = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height
_ORIENTATION = 0x0112
_EXIF_IN_HEADER = frozenset({"JPEG", "MPO", "TIFF", "WEBP"})  # a PNG's EXIF may follow its pixels

# mode -> (kind, channels, bits) once decoded; a palette is colour, three channels
_MODES = {
    "1": ("grey", 1, 1), "L": ("grey", 1, 8), "LA": ("grey_alpha", 2, 8), "La": ("grey_alpha", 2, 8),
    "P": ("colour", 3, 8), "PA": ("colour_alpha", 4, 8),
    "RGB": ("colour", 3, 8), "YCbCr": ("colour", 3, 8), "LAB": ("colour", 3, 8), "HSV": ("colour", 3, 8),
    "RGBX": ("colour", 3, 8), "CMYK": ("colour", 4, 8), "RGBA": ("colour_alpha", 4, 8),
    "RGBa": ("colour_alpha", 4, 8),
    "I;16": ("grey", 1, 16), "I;16L": ("grey", 1, 16), "I;16B": ("grey", 1, 16), "I;16N": ("grey", 1, 16),
    "I": ("grey", 1, 32), "F": ("grey", 1, 32),
}


def image_facts(paths: Sequence[Any], *, max_files: int | None = None, seed: int = 0) -> dict:
    """Sizes, modes and bit depths of the images at ``paths`` (missing values skipped), from the
    headers of all of them or of a seeded sample of ``max_files`` (default ``MAX_FILES``)."""
    max_files = MAX_FILES if max_files is None else max_files
    present = [str(p) for p in paths if isinstance(p, str) or hasattr(p, "__fspath__")]
    chosen = present
    if len(present) > max_files:
        pick = np.sort(np.random.default_rng(seed).choice(len(present), max_files, replace=False))
        chosen = [present[i] for i in pick]
    headers, unreadable = [], []
    for path in chosen:
        header = _header(path)
        if header is None:
            unreadable.append(path)
        else:
            headers.append(header)
    return {
        "n_images": len(present),
        "n_read": len(chosen),
        "sampled": len(chosen) < len(present),
        "n_unreadable": len(unreadable),
        "unreadable": unreadable[:SHOWN_NAMES],
        **_sizes(headers),
        "modes": _modes(headers),
        "bits": _counts(str(h["bits"]) for h in headers if h["bits"] is not None),
        "kinds": _counts(h["kind"] for h in headers),
        "formats": _counts(h["format"] for h in headers),
    }


def _header(path: str) -> dict | None:
    """Size (upright, after EXIF rotation), mode and format from the file's header; None if
    it cannot be opened."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
            if image.format in _EXIF_IN_HEADER and image.getexif().get(_ORIENTATION) in _ROTATED:
                width, height = height, width
            kind, channels, bits = _MODES.get(image.mode, ("other", len(image.getbands()), None))
            if image.mode in ("P", "L") and "transparency" in image.info:
                kind, channels = ("colour_alpha", 4) if image.mode == "P" else ("grey_alpha", 2)
            return {"width": width, "height": height, "mode": image.mode, "format": image.format or "",
                    "kind": kind, "channels": channels, "bits": _raw_bits(image) or bits}
    except Exception:  # Pillow raises many kinds on damaged files; the file is counted as unreadable
        return None


def _raw_bits(image: Any) -> int | None:
    """16 when the file stores 16 bits a sample (a PNG or TIFF that Pillow opens as 8-bit RGB
    or as 32-bit "I"), read from the header's raw mode; else None."""
    tile = image.tile[0] if image.tile else ()
    raw = tile[3] if len(tile) > 3 else None
    raw = raw[0] if isinstance(raw, tuple) and raw else raw
    return 16 if isinstance(raw, str) and ";16" in raw else None


def _sizes(headers: list[dict]) -> dict:
    if not headers:
        return {"width": None, "height": None, "n_sizes": 0, "common_size": None}
    sizes = Counter((h["width"], h["height"]) for h in headers)
    (width, height), count = sizes.most_common(1)[0]
    return {"width": _spread([h["width"] for h in headers]), "height": _spread([h["height"] for h in headers]),
            "n_sizes": len(sizes), "common_size": {"width": width, "height": height, "count": count}}


def _spread(values: list[int]) -> dict:
    return {"min": int(min(values)), "median": float(np.median(values)), "max": int(max(values))}


def _modes(headers: list[dict]) -> list[dict]:
    """One entry per (mode, kind, channels, bits), the most frequent first."""
    counts = Counter((h["mode"], h["kind"], h["channels"], h["bits"]) for h in headers)
    return [{"mode": mode, "kind": kind, "channels": channels, "bits": bits, "count": count}
            for (mode, kind, channels, bits), count in counts.most_common()]


def _counts(values: Any) -> dict[str, int]:
    return dict(Counter(values).most_common())
