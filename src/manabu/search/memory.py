"""Memory check before a candidate starts: a fit that would not fit in the free memory is
skipped with a notice, rather than pushing the machine into swap or the out-of-memory killer."""
from __future__ import annotations

import psutil

from manabu.models.entry import ModelEntry

HEADROOM = 0.8  # leave a fifth of the free memory to the rest of the machine


def available_bytes() -> int:
    return int(psutil.virtual_memory().available)


def fits_in_memory(entry: ModelEntry, data_bytes: int) -> bool:
    """Whether one fit of ``entry`` on data of ``data_bytes`` (the prepared frame) should fit:
    its expected peak is the family's ``memory_factor`` times the data."""
    return entry.memory_factor * data_bytes <= HEADROOM * available_bytes()
