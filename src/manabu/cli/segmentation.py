"""Segmentation on the command line: ``manabu train IMAGES --masks MASKS`` trains a U-Net, and
``manabu predict MODEL IMAGES -o FOLDER`` writes one PNG mask per image.

``train`` and ``predict`` (``manabu.cli.train``) hand over to this module when ``--masks`` is
given or the model folder holds a segmentation model. The folders are paired and checked before
torch is imported, so that a missing mask or a mask of the wrong size is refused at once.
"""
from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from manabu.base.errors import ArtifactError, ConfigError, DataError
from manabu.base.i18n import t
from manabu.cli.common import (command_started, default_output, err, out, print_notices, progress, say,
                               sigterm_as_interrupt, write_atomically)


def train_segmentation(images: str, masks: Path, output: Path | None, *, time_limit: float, seed: int,
                       overwrite: bool, device: str = "auto") -> None:
    """Pair, train, show the held-out scores, save the model folder with its report."""
    started = command_started()
    from manabu.segmentation.folders import pair_files
    from manabu.segmentation.model import Settings

    settings = Settings(time_limit=time_limit, seed=seed, device=device)
    destination = output or default_output(images)
    if destination.exists() and not overwrite:
        raise ArtifactError("artifact.exists", path=str(destination))
    pairs = pair_files(images, masks)
    print_notices(pairs.notices)
    say(t("segmentation.training", pairs=len(pairs.pairs), images=images, masks=str(masks),
          seconds=f"{time_limit:g}"))
    from manabu.segmentation.model import fit_pairs
    with sigterm_as_interrupt(), err.status(t("segmentation.training_status")):
        model = fit_pairs(pairs, settings, started)
    print_scores(model.record)
    with err.status(t("cli.drawing_report")):
        saved = model.save(destination, overwrite=overwrite)
    from manabu.artifact import REPORT_FILE
    say(t("cli.saved", path=str(saved)), console=out)
    say(t("cli.report_written", path=str(saved / REPORT_FILE)), console=out)
    say(t("segmentation.next_predict", path=str(saved)), console=out)


def print_scores(record: dict) -> None:
    """The held-out scores: pixel accuracy, and Dice and IoU of each class."""
    say(t("segmentation.trained", epochs=record["epochs"], seconds=f"{record['seconds']:.0f}",
          classes=", ".join(str(v) for v in record["classes"])), console=out)
    scores = record.get("held_out")
    if not scores:
        say(t("segmentation.no_held_out"), console=out)
        return
    overall = scores["overall"]
    table_ = Table(title=escape(t("segmentation.scores_title", held=len(scores["images"]))))
    for header in (t("segmentation.col_class"), t("segmentation.col_share"), "Dice", "IoU"):
        table_.add_column(header, justify="right")
    for value, share, dice, iou in zip(record["classes"], overall["share"], overall["dice"], overall["iou"]):
        table_.add_row(escape(str(value)), f"{share:.1%}", _score(dice), _score(iou))
    out.print(table_)
    say(t("segmentation.pixel_accuracy", accuracy=f"{overall['pixel_accuracy']:.4f}",
          dice=_score(overall["mean_dice"]), iou=_score(overall["mean_iou"])), console=out)


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def predict_masks(model_dir: Path, data: str, output: Path | None) -> None:
    """One PNG mask per image of ``data`` (a folder or one image file) in the folder ``output``,
    named as the image; masks already there under those names are replaced, as ``predict``
    replaces its output file."""
    if output is None:
        raise ConfigError("segmentation.output_needed", data=data)
    if output.exists() and not output.is_dir():
        raise DataError("segmentation.output_not_folder", path=str(output))
    files = _images_of(data)
    from manabu.api import load
    from manabu.segmentation.folders import write_mask

    model = load(model_dir)
    with progress(t("cli.predicting"), len(files)) as advance:
        for done, (name, path) in enumerate(files.items(), start=1):
            mask = model.predict_file(path)
            write_atomically(output / f"{name}.png", lambda partial, mask=mask: write_mask(mask, partial))
            advance(done)
    say(t("segmentation.predicted", count=len(files), path=str(output),
          classes=", ".join(str(v) for v in model.classes.tolist())), console=out)


def _images_of(data: str) -> dict[str, Path]:
    """The images to segment by name: the image files of a folder (what cannot be read is said
    and left out), or one image file."""
    from manabu.segmentation.folders import list_images

    path = Path(data)
    if path.is_file():
        return {path.stem: path}
    found, notices = list_images(path)
    print_notices(notices)
    return found
