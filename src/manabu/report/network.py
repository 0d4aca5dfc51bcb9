"""The report's section on how a network trained (``evaluate.networks``): the loss per epoch on
the images it learnt from and on the held-out ones, the held-out score, and the verdict."""
from __future__ import annotations

import html
from typing import Any

from manabu.report import charts
from manabu.report.markup import both, explain, figure, number, panel, panels, section


def network_section(network: dict[str, Any] | None) -> str:
    """Nothing for a model without a network."""
    if not network or not network.get("epochs"):
        return ""
    epochs = network["epochs"]
    numbers = [e["epoch"] for e in epochs]
    loss_lines = [("train / 学習", numbers, [e["train_loss"] for e in epochs])]
    if all(e.get("valid_loss") is not None for e in epochs):
        loss_lines.append(("validation / 検証", numbers, [e["valid_loss"] for e in epochs]))
    shown = [panel(both("report.network_loss_title"), explain("report.network_loss_explain"),
                   figure(charts.curves(loss_lines, x_label="エポック / epoch", y_label="損失 / loss", square=False),
                          "report.network_loss_caption"))]
    if all(e.get("valid_score") is not None for e in epochs):
        score = [("validation / 検証", numbers, [e["valid_score"] for e in epochs])]
        shown.append(panel(both("report.network_score_title"), explain("report.network_score_explain"),
                           figure(charts.curves(score, x_label="エポック / epoch", y_label="score", square=False),
                                  "report.network_score_caption")))
    intro = explain("report.network_explain", model=html.escape(str(network.get("model", ""))),
                    epochs=number(len(epochs)), best=number(network.get("best_epoch")),
                    seconds=number(sum(e.get("seconds", 0.0) for e in epochs), 3))
    verdict = f'<div class="verdict">{both("report.network_verdict_" + network["verdict"], "p")}</div>'
    return section("network", "report.network_title", intro + panels(shown) + verdict)
