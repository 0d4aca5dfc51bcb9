"""The command line: a thin layer over the Python API (``manabu --help``).

``common`` holds the Typer app and what every command shares; the command modules register their
commands on it when imported here: ``train`` (train, predict, report, export-code, info,
quickstart), ``ship`` (serve, registry, monitor, retrain, package, export-onnx), ``text``
(tokenize, explain), ``unsupervised`` (cluster, anomalies, reduce), ``forecast`` (forecast) and
``rl`` (rl).
"""
from __future__ import annotations

import sys

from manabu.cli import train  # noqa: F401,I001  (each registers its commands, in the order of --help)
from manabu.cli import ship  # noqa: F401
from manabu.cli import text  # noqa: F401
from manabu.cli import unsupervised  # noqa: F401
from manabu.cli import forecast  # noqa: F401
from manabu.cli import rl  # noqa: F401
from manabu.cli.common import app, started_with_process, with_track_value

__all__ = ["app", "main"]


def main() -> None:
    """The ``manabu`` console script."""
    started_with_process()
    app(args=with_track_value(sys.argv[1:]))
