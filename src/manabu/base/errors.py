"""One exception tree for everything that a user can get wrong.

Each error carries a message key and its parameters (see ``manabu.base.i18n``), so the same error
reads in Japanese or English. The CLI prints ``str(error)`` and exits with status 2.
"""
from __future__ import annotations

import threading
from typing import Any

from manabu.base.i18n import Message


class ManabuError(Exception):
    """Base of every error that manabu raises on purpose.

    Errors about bad input are also ``ValueError``s, so code written for scikit-learn's
    conventions catches them as it would catch scikit-learn's own.
    """

    def __init__(self, key: str, **params: Any) -> None:
        self.message = Message(key, params)
        super().__init__(key)

    @property
    def key(self) -> str:
        return self.message.key

    @property
    def params(self) -> dict[str, Any]:
        return self.message.params

    def render(self, lang: str | None = None) -> str:
        return self.message.render(lang)

    def __str__(self) -> str:
        return self.message.render()


class DataError(ManabuError, ValueError):
    """The data cannot be read or is unusable: missing file, wrong format, empty, binary."""


class SchemaError(ManabuError, ValueError):
    """The columns do not fit: missing target, missing columns at predict time, duplicates."""


class TargetError(SchemaError):
    """The target cannot be learned: all missing, a single class, unknown task."""


class ConfigError(ManabuError, ValueError):
    """An option is invalid: unknown metric, unknown model family, bad time limit."""


class ArtifactError(ManabuError):
    """A model folder is missing, tampered with, or made by an incompatible version."""


class RegistryError(ManabuError):
    """The model registry cannot be reached, lacks a name or version, or refuses a change."""


class MissingExtraError(ManabuError):
    """An optional dependency is not installed; the message names the extra to install."""


class TrainingError(ManabuError):
    """No candidate could be trained within the budget."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an interrupt so that a stopped search ends the way Ctrl-C ends it:
    the best model so far is kept. ``received`` is set as well, because a library that catches
    the exception inside its training loop may re-raise it as a plain KeyboardInterrupt."""

    received = threading.Event()
