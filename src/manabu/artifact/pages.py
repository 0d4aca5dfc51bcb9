"""The pages saved beside a model (its ``report.html``), drawn by makers found by name.

A model's ``save`` writes its report with the model, but the models (``manabu.training``,
``manabu.unsupervised``, ``manabu.segmentation``) sit below the report (``manabu.report``) and do
not import it: the page makers are declared as entry points of the ``manabu.pages`` group in
manabu's pyproject.toml (``training``, ``cluster``, ``anomalies``, ``reduce``, ``segmentation``)
and looked up here when a page is needed.
A maker returns the page as text; ``page`` gives it as the bytes that go into the folder.
"""
from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from manabu.base.errors import ArtifactError

GROUP = "manabu.pages"


def page_maker(name: str) -> Callable[..., str]:
    """The function that draws the page called ``name`` (an entry point of ``GROUP``)."""
    found = entry_points(group=GROUP, name=name)
    if not found:  # manabu's files are on the path, but it was not installed with pip
        raise ArtifactError("artifact.no_page_maker", name=name, group=GROUP)
    return next(iter(found)).load()


def page(name: str, *args, **kwargs) -> bytes:
    """The page ``name`` drawn from ``args`` (the model, its record, the language), as UTF-8."""
    return page_maker(name)(*args, **kwargs).encode("utf-8")
