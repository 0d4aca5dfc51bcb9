"""Bilingual messages: one catalogue per language (``en.toml``, ``ja.toml``), one key per message.

Code never writes user-facing text inline; it names a key and its parameters, and the text is
looked up in the active language when it is shown. The language comes from ``set_language`` (the
CLI's ``--lang``), else from the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, ``LANGUAGE``).
"""
from __future__ import annotations

import contextvars
import os
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("en", "ja")

_language: contextvars.ContextVar[str | None] = contextvars.ContextVar("manabu_language", default=None)


def language_from_locale(environ: dict[str, str] | None = None) -> str:
    """``ja`` when the first set locale variable names Japanese, ``en`` otherwise."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def get_language() -> str:
    return _language.get() or language_from_locale()


def set_language(lang: str | None) -> None:
    """Pin the language for this context; ``None`` goes back to the locale."""
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {lang!r}")
    _language.set(lang)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Flatten ``[section] key = "text"`` into ``{"section.key": "text"}``."""
    raw = tomllib.loads(resources.files(__package__).joinpath(f"{lang}.toml").read_text("utf-8"))
    flat: dict[str, str] = {}
    for section, entries in raw.items():
        for key, text in entries.items():
            flat[f"{section}.{key}"] = text
    return flat


def t(key: str, lang: str | None = None, **params: Any) -> str:
    """The text for ``key`` in ``lang`` (default: the active language), formatted with ``params``.

    A key missing from the Japanese catalogue falls back to English, so that a forgotten
    translation shows a readable sentence rather than a key; a test keeps the two in step.
    """
    lang = lang or get_language()
    text = catalogue(lang).get(key) or catalogue("en").get(key)
    if text is None:
        raise KeyError(f"no message {key!r} in the catalogues")
    return text.format(**params) if params else text


@dataclass(frozen=True)
class Message:
    """A message kept as key and parameters, rendered in whichever language asks for it."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str | None = None) -> str:
        return t(self.key, lang, **self.params)

    def __str__(self) -> str:
        return self.render()

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "params": self.params, "en": self.render("en"), "ja": self.render("ja")}


Notice = Message
"""A notice is a message that informs rather than stops: a dropped column, inf turned to NaN."""
