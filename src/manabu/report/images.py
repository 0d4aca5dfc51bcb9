"""The report's sections on images (``evaluate.image_examples``): a few images of each class with
the count per class, the most confidently wrong held-out images, and where the network looks
(saliency maps overlaid on a few held-out images). Nothing for a model of other data.

The images come from the manifest as small PNGs; the overlays are drawn here, from an image and
its map (a grey PNG in [0, 1]): the map coloured and laid over the image (dimmed), more opaque
where it is higher, so that the image shows through where the network does not look.
"""
from __future__ import annotations

import html
from typing import Any

import matplotlib
import numpy as np

from manabu.evaluate.image_examples import SALIENCY_SIDE, png_array, png_base64
from manabu.report.markup import both, explain, number, section, table

THUMBNAIL_PIXELS = 48     # the width an example image is shown at (small images scaled up, pixel by pixel)
WRONG_PIXELS = 72
SALIENCY_PIXELS = 112
COLOURS = "inferno"       # dark to yellow: reads on grey and on colour images
OVERLAY_OPACITY = 0.8     # of the map where it is highest
BACKGROUND_BRIGHTNESS = 0.5  # the image under a map, dimmed


def classes_section(images: dict[str, Any] | None) -> str:
    """Each class: its name, how many images it has, and a few of them."""
    if not images or not images.get("classes"):
        return ""
    classes = images["classes"]
    rows = [[html.escape(str(c["label"])), number(c["count"]),
             "".join(_image(data, str(c["label"]), THUMBNAIL_PIXELS) for data in c["images"])] for c in classes]
    parts = [explain("report_images.classes_explain", classes=number(images.get("n_classes")),
                     images=number(images.get("n_images"))),
             table([both("report_images.class"), both("report_images.count"), both("report_images.examples")], rows)]
    if images.get("n_classes", 0) > len(classes):
        parts.append(explain("report_images.classes_limited", shown=len(classes), total=images["n_classes"]))
    return section("images", "report_images.classes_title", "\n".join(parts))


def wrong_section(images: dict[str, Any] | None) -> str:
    """The held-out images answered wrong with the highest probability, highest first."""
    if not images:
        return ""
    if "held_out" not in images:
        return section("wrong", "report_images.wrong_title", explain("report_images.wrong_missing"))
    wrong = images.get("wrong") or []
    if not wrong:
        return section("wrong", "report_images.wrong_title",
                       explain("report_images.wrong_none", rows=number(images["held_out"])))
    intro = explain("report_images.wrong_explain", rows=number(images["held_out"]),
                    wrong=number(images.get("wrong_total")), shown=number(len(wrong)))
    named = any("name" in w for w in wrong)
    header = [both("report_images.image"), both("report_images.actual"), both("report_images.predicted"),
              both("report_images.probability")] + ([both("report_images.file")] if named else [])
    rows = [[_image(w["image"], str(w["actual"]), WRONG_PIXELS), html.escape(str(w["actual"])),
             html.escape(str(w["predicted"])), number(w["probability"], 3)]
            + ([html.escape(str(w.get("name", "")))] if named else []) for w in wrong]
    return section("wrong", "report_images.wrong_title", intro + table(header, rows, "wrong-images"))


def saliency_section(images: dict[str, Any] | None) -> str:
    """Grad-CAM and integrated gradients over a few held-out images, or why there are none."""
    saliency = (images or {}).get("saliency")
    if not saliency:
        return ""
    if "skipped" in saliency:
        return section("saliency", "report_images.saliency_title",
                       explain(f"report_images.saliency_{saliency['skipped']}", model=saliency.get("model", "")))
    methods = saliency.get("methods") or []
    header = [both("report_images.image")] + [both(f"report_images.{m}") for m in methods]
    header += [both("report_images.actual"), both("report_images.predicted"), both("report_images.probability"),
               both("report_images.verdict")]
    rows = []
    for entry in saliency.get("images") or []:
        alt = str(entry["actual"])
        row = [_image(entry["image"], alt, SALIENCY_PIXELS)]
        row += [_image(overlay(entry["image"], entry[m]), alt, SALIENCY_PIXELS) for m in methods]
        row += [html.escape(alt), html.escape(str(entry["predicted"])), number(entry["probability"], 3),
                both("report_images.verdict_right" if entry.get("right") else "report_images.verdict_wrong")]
        rows.append(row)
    intro = explain("report_images.saliency_explain", model=saliency.get("model", ""))
    return section("saliency", "report_images.saliency_title", intro + table(header, rows, "saliency"))


def overlay(image: str, heat: str) -> str:
    """The map ``heat`` coloured and laid over ``image`` (both PNGs in base64, of one size), as a PNG in base64."""
    picture, values = png_array(image), png_array(heat)
    if values.ndim == 3:  # a map is grey; one saved in colour is read as its mean
        values = values.mean(axis=2)
    rgb = picture[..., :3] if picture.ndim == 3 else np.repeat(picture[..., None], 3, axis=2)
    colours = matplotlib.colormaps[COLOURS](values)[..., :3]
    opacity = OVERLAY_OPACITY * values[..., None]
    dimmed = BACKGROUND_BRIGHTNESS * rgb  # white strokes would hide the map's yellow
    return png_base64((dimmed * (1 - opacity) + colours * opacity).transpose(2, 0, 1), SALIENCY_SIDE)


def _image(data: str, alt: str, pixels: int) -> str:
    """An embedded PNG shown ``pixels`` wide; a small image is scaled up pixel by pixel, not blurred."""
    return (f'<img src="data:image/png;base64,{html.escape(data, quote=True)}" alt="{html.escape(alt, quote=True)}" '
            f'style="width: {pixels}px; height: auto; image-rendering: pixelated; margin: 1px">')
