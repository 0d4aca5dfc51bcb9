"""The report page of a segmentation model (``manabu train images/ --masks masks/``): what was
learnt from what, the held-out scores per class and per image, three held-out images beside
their true and predicted masks, and how the network trained, epoch by epoch.

The pictures are PNGs inside the page (data URIs), shrunk to at most PICTURE_SIDE pixels, so the
page stays one file that opens anywhere."""
from __future__ import annotations

import html
from typing import Any

import numpy as np

from manabu.base.i18n import get_language
from manabu.evaluate.image_examples import picture_base64
from manabu.evaluate.networks import verdict
from manabu.report import charts
from manabu.report.markup import both, explain, figure, message, number, page, panel, panels, section, table

PICTURE_SIDE = 256
MASK_COLOURS = ((0, 0, 0), (255, 255, 255), (59, 110, 168), (217, 130, 43), (79, 154, 91), (181, 71, 75),
                (124, 95, 168), (140, 109, 70), (199, 111, 167), (109, 109, 109))
WRONG = (220, 40, 40)


def segmentation_report(model: Any, lang: str | None = None) -> str:
    """The page of a ``SegmentationModel`` (found by ``manabu.artifact.pages`` as "segmentation")."""
    record, log = model.record, model.segmenter.log_
    sections = [_summary(record), _scores(record), _examples(model), _per_image(record), _curves(log)]
    return page("manabu segmentation", sections, lang or get_language(), "segmentation.report_footer")


def _summary(record: dict[str, Any]) -> str:
    network = record["network"]
    text = both("segmentation.report_summary", parameters=f"{record['parameters']:,}", width=network["width"],
                depth=network["depth"], k=len(record["classes"]), classes=_values(record["classes"]),
                train=len(record["train"]), images=record["images"], masks=record["masks"], tile=record["tile"],
                seconds=number(record["seconds"], 3), held=len(record["held_out_names"]))
    notices = "".join(f"<li>{message(n)}</li>" for n in record.get("notices", []))
    listed = f'<ul class="explain">{notices}</ul>' if notices else ""
    return section("summary", "segmentation.report_title_summary",
                   f"<p>{text}</p>" + listed + explain("segmentation.report_explain_unet"))


def _values(classes: list[Any]) -> str:
    return ", ".join(str(value) for value in classes)


def _scores(record: dict[str, Any]) -> str:
    scores = record.get("held_out")
    if not scores:
        return section("scores", "segmentation.report_title_scores", explain("segmentation.report_no_held_out"))
    overall = scores["overall"]
    header = [both("segmentation.col_class"), both("segmentation.col_share"), "Dice", "IoU"]
    rows = [[html.escape(str(value)), _share(share), number(dice, 3), number(iou, 3)]
            for value, share, dice, iou in zip(record["classes"], overall["share"], overall["dice"], overall["iou"])]
    text = both("segmentation.report_scores", accuracy=number(overall["pixel_accuracy"], 4),
                dice=number(overall["mean_dice"], 3), iou=number(overall["mean_iou"], 3),
                held=len(scores["images"]))
    return section("scores", "segmentation.report_title_scores",
                   f"<p>{text}</p>" + table(header, rows) + explain("segmentation.report_explain_scores"))


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _examples(model: Any) -> str:
    shown = model.examples()
    if not shown:
        return ""
    dice = {found["name"]: found for found in (model.record.get("held_out") or {}).get("images", [])}
    rows = []
    for example in shown:
        scores = dice.get(example["name"], {})
        pictures = (_grey_png(example["pixels"]), _mask_png(example["true"]), _mask_png(example["predicted"]),
                    _errors_png(example["pixels"], example["true"], example["predicted"]))
        cells = "".join(f'<img src="data:image/png;base64,{data}" alt="" style="width:100%;image-rendering:pixelated">'
                        for data in pictures)
        caption = both("segmentation.report_example_caption", name=example["name"],
                       dice=number(scores.get("mean_dice"), 3), accuracy=number(scores.get("pixel_accuracy"), 4))
        rows.append(f'<figure><div style="display:grid;grid-template-columns:repeat(4,1fr);gap:6px">{cells}</div>'
                    f"<figcaption>{caption}</figcaption></figure>")
    heads = "".join(f"<div>{both(key)}</div>" for key in ("segmentation.col_image", "segmentation.col_true",
                                                             "segmentation.col_predicted", "segmentation.col_errors"))
    head = f'<div style="display:grid;grid-template-columns:repeat(4,1fr);gap:6px;font-weight:bold">{heads}</div>'
    return section("examples", "segmentation.report_title_examples",
                   explain("segmentation.report_explain_examples") + head + "".join(rows))


def _per_image(record: dict[str, Any]) -> str:
    scores = record.get("held_out")
    if not scores:
        return ""
    classes = record["classes"]
    header = [both("segmentation.col_image"), both("segmentation.col_accuracy"),
              *[f"Dice {html.escape(str(value))}" for value in classes], both("segmentation.col_mean_dice")]
    rows = [[html.escape(found["name"]), number(found["pixel_accuracy"], 4),
             *[number(value, 3) for value in found["dice"]], number(found["mean_dice"], 3)]
            for found in scores["images"]]
    return section("images", "segmentation.report_title_images",
                   table(header, rows) + explain("segmentation.report_explain_images"))


def _curves(log: dict[str, Any]) -> str:
    """The loss and the held-out Dice per epoch, and the verdict on the training."""
    epochs = log.get("epochs") or []
    if not epochs:
        return ""
    numbers = [e["epoch"] for e in epochs]
    lines = [("train / 学習", numbers, [e["train_loss"] for e in epochs])]
    held = all(e.get("valid_loss") is not None for e in epochs)
    if held:
        lines.append(("validation / 検証", numbers, [e["valid_loss"] for e in epochs]))
    shown = [panel(both("report.network_loss_title"), explain("report.network_loss_explain"),
                   figure(charts.curves(lines, x_label="エポック / epoch", y_label="損失 / loss", square=False),
                          "report.network_loss_caption"))]
    if held:
        score = [("validation / 検証", numbers, [e["valid_score"] for e in epochs])]
        shown.append(panel(both("segmentation.report_dice_title"), explain("segmentation.report_dice_explain"),
                           figure(charts.curves(score, x_label="エポック / epoch", y_label="Dice", square=False),
                                  "segmentation.report_dice_caption")))
    intro = explain("segmentation.report_explain_training", epochs=number(len(epochs)),
                    best=number(log.get("best_epoch")), seconds=number(sum(e.get("seconds", 0.0) for e in epochs), 3))
    judged = f'<div class="verdict">{both("report.network_verdict_" + verdict(log), "p")}</div>'
    return section("network", "report.network_title", intro + panels(shown) + judged)


# ------------------------------------------------------------------------------ pictures

def _png(rgb: np.ndarray, nearest: bool) -> str:
    return picture_base64(rgb, PICTURE_SIDE, nearest)


def _grey(pixels: np.ndarray) -> np.ndarray:
    """An image (channels, height, width) in [0, 1] as uint8 (height, width[, 3])."""
    values = np.clip(pixels * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return values[0] if values.shape[0] == 1 else values.transpose(1, 2, 0)


def _grey_png(pixels: np.ndarray) -> str:
    return _png(_grey(pixels), nearest=False)


def _mask_png(codes: np.ndarray) -> str:
    palette = np.array(MASK_COLOURS * (1 + int(codes.max(initial=0)) // len(MASK_COLOURS)), dtype=np.uint8)
    return _png(palette[np.clip(codes, 0, None)], nearest=True)


def _errors_png(pixels: np.ndarray, true: np.ndarray, predicted: np.ndarray) -> str:
    """The image in grey, its wrongly classed pixels in red (padding, below zero, not counted)."""
    grey = _grey(pixels)
    rgb = np.repeat(grey[..., None], 3, axis=2) if grey.ndim == 2 else grey.copy()
    rgb = (rgb * 0.6).astype(np.uint8)
    rgb[(true >= 0) & (true != predicted)] = WRONG
    return _png(rgb, nearest=True)
