"""Memory: a check before a candidate starts (a fit that would not fit in the free memory is
skipped with a notice, rather than pushing the machine into swap or the out-of-memory killer),
and what one candidate freed handed back to the system before the next starts."""
from __future__ import annotations


import psutil

from manabu.base.allocator import glibc, set_mmap_threshold
from manabu.models.entry import ModelEntry, Params

HEADROOM = 0.8  # leave a fifth of the free memory to the rest of the machine


def available_bytes() -> int:
    return int(psutil.virtual_memory().available)


def fit_bytes(entry: ModelEntry, params: Params, data_bytes: int, rows: int, values: int) -> float:
    """The expected peak of one fit: the family's ``memory_factor`` times the prepared data of
    ``data_bytes``, plus the fitted model where it grows with the ``rows``."""
    return entry.memory_factor * data_bytes + entry.model_bytes(params, rows, values)


def process_bytes() -> int:
    """The resident memory of this process now."""
    return int(psutil.Process().memory_info().rss)


def default_memory_limit() -> int:
    """The process's memory now and HEADROOM of what is free: ``--memory-limit``'s default."""
    return process_bytes() + int(HEADROOM * available_bytes())


def memory_problem(entry: ModelEntry, params: Params, data_bytes: int, rows: int, values: int,
                   limit: int | None = None) -> str | None:
    """Why one fit would not fit in memory ("free": not in the free memory, with headroom left to
    the machine; "limit": the process would pass ``limit`` bytes), or None when it fits."""
    need = fit_bytes(entry, params, data_bytes, rows, values)
    if need > HEADROOM * available_bytes():
        return "free"
    if limit is not None and process_bytes() + need > limit:
        return "limit"
    return None


LARGE_BLOCK_BYTES = 256 * 1024  # blocks this large or larger get pages of their own


def return_large_blocks() -> None:
    """Give every large allocation pages of its own, which go back to the system when it is
    freed. glibc does so only above a threshold that it raises each time such a block is freed;
    past that, the node arrays of a forest (which grow by doubling, in worker threads) came from
    the threads' own heaps, and stayed there after the forest was gone. Applies to the whole
    process from the call on; elsewhere than glibc nothing is done."""
    set_mmap_threshold(LARGE_BLOCK_BYTES)


def release_free_memory() -> None:
    """Hand what the last candidate freed back to the system (glibc's ``malloc_trim``), so that
    the next candidate's peak does not stack on top of it.

    On adult (``bench/memory.py``), each candidate after the random forest started 180 MB above
    the process's start; 115 MB with this trim, 63 MB with ``return_large_blocks`` as well. A
    fit with the fixed threshold took as long as without (LightGBM, XGBoost, CatBoost, random
    forest, logistic regression on adult)."""
    trim = glibc("malloc_trim")
    if trim is not None:
        trim(0)
