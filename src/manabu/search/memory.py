"""Memory check before a candidate starts: a fit that would not fit in the free memory is
skipped with a notice, rather than pushing the machine into swap or the out-of-memory killer."""
from __future__ import annotations

import psutil

from manabu.models.entry import ModelEntry, Params

HEADROOM = 0.8  # leave a fifth of the free memory to the rest of the machine


def available_bytes() -> int:
    return int(psutil.virtual_memory().available)


def fit_bytes(entry: ModelEntry, params: Params, data_bytes: int, rows: int, values: int) -> float:
    """The expected peak of one fit: the family's ``memory_factor`` times the prepared data of
    ``data_bytes``, plus the fitted model where it grows with the ``rows``."""
    return entry.memory_factor * data_bytes + entry.model_bytes(params, rows, values)


def fits_in_memory(entry: ModelEntry, params: Params, data_bytes: int, rows: int, values: int) -> bool:
    """Whether one fit should fit in the free memory, with headroom left to the machine."""
    return fit_bytes(entry, params, data_bytes, rows, values) <= HEADROOM * available_bytes()
