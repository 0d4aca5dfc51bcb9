"""The image families: a ResNet trained from scratch (``family``), with augmentation that suits
the images (``augmentation``), stored as safetensors weights beside a JSON description
(``codec``). The zoo lists ``ENTRY`` (``entry``); nothing else names the family.

Importing the package registers only the storage format, without importing torch: a saved image
model loads through it (the ``manabu.plugins`` entry point names this package).
"""
from __future__ import annotations

from manabu.models.entry import register_storage

from .codec import CODEC

register_storage(CODEC, None)
