"""What ``manabu info`` adds for a column of images: how many, per class, their sizes, colour
modes and bit depths, read from the files' headers (``manabu.data.image_facts``).

Only Rich and manabu's messages are imported at the top, as in every command module, so that
importing this one costs ``manabu --help`` nothing; the data side is imported when it is shown.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from manabu.base.i18n import t
from manabu.cli.common import out, say

if TYPE_CHECKING:
    import pandas as pd

    from manabu.data.schema import Schema


def show_image_facts(frame: pd.DataFrame, schema: Schema, target: str | None = None) -> None:
    """For each column of images: the count, sizes and modes; then the images per class of the
    ``label`` column of an image folder (the target's classes are shown by ``info`` itself)."""
    from manabu.data.image_facts import image_facts
    from manabu.data.read.images import LABEL_COLUMN
    from manabu.data.schema import ColumnType

    names = [c.name for c in schema.columns if c.type is ColumnType.IMAGE]
    for name in names:
        _show_column(name, image_facts(frame[name].dropna().tolist()))
    if names and target is None and LABEL_COLUMN in frame.columns:
        _show_classes(frame[LABEL_COLUMN])


def _show_column(name: str, facts: dict[str, Any]) -> None:
    say(t("cli.images_heading", column=name, count=facts["n_images"]), console=out)
    if facts["sampled"]:
        say(t("cli.images_sampled", read=facts["n_read"], count=facts["n_images"]), console=out)
    if facts["n_unreadable"]:
        names = ", ".join(f'"{n}"' for n in facts["unreadable"])
        say(t("cli.images_unreadable", count=facts["n_unreadable"], read=facts["n_read"], names=names),
            console=out, style="yellow")
    if facts["width"] is None:
        return
    width, height, common = facts["width"], facts["height"], facts["common_size"]
    say(t("cli.images_sizes", w_min=width["min"], w_median=width["median"], w_max=width["max"],
          h_min=height["min"], h_median=height["median"], h_max=height["max"], n_sizes=facts["n_sizes"],
          common_w=common["width"], common_h=common["height"], common_count=common["count"]), console=out)
    modes = Table(t("cli.col_mode"), t("cli.col_colours"), t("cli.col_channels"), t("cli.col_bits"),
                  t("cli.col_count"), t("cli.col_share"))
    read = sum(m["count"] for m in facts["modes"])
    for mode in facts["modes"]:
        modes.add_row(escape(mode["mode"]), t(f"cli.image_kind_{mode['kind']}"), str(mode["channels"]),
                      str(mode["bits"] or "?"), f"{mode['count']:,}", f"{mode['count'] / read:.1%}")
    out.print(modes)


def _show_classes(labels: pd.Series) -> None:
    counts = labels.value_counts(dropna=False)
    say(t("cli.images_classes", column=str(labels.name), count=len(counts)), console=out)
    table = Table(t("cli.col_class"), t("cli.col_count"), t("cli.col_share"))
    for label, count in counts.items():
        table.add_row(escape(str(label)), f"{count:,}", f"{count / max(len(labels), 1):.1%}")
    out.print(table)
