"""glibc's allocator, where the process has it (Linux; elsewhere nothing is done): the size from
which a block gets pages of its own (``mmap``), returned to the system when it is freed.

The search sets it low (``search.memory.return_large_blocks``), so that what a forest freed does
not stay in the process. A network allocates and frees the same large tensors at every batch:
with pages of their own each time, the kernel zeroes them again and again, and a ResNet's step
on MNIST took 1.8 times as long. ``blocks_kept_for_reuse`` lifts the threshold while it trains.
"""
from __future__ import annotations

import ctypes
import functools
from collections.abc import Iterator
from contextlib import contextmanager

M_MMAP_THRESHOLD = -3            # glibc's mallopt parameter
GLIBC_DEFAULT = 128 * 1024       # glibc's threshold before anything sets it
MAX_THRESHOLD = 32 * 1024 * 1024  # the largest glibc takes on 64-bit machines

_threshold = GLIBC_DEFAULT       # the threshold set last


@functools.cache
def glibc(name: str):
    """glibc's function ``name`` from the symbols already loaded in the process, or None
    elsewhere (macOS, Windows, musl)."""
    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, TypeError, AttributeError):
        return None


def mmap_threshold() -> int:
    """The threshold set last (glibc's default before any)."""
    return _threshold


def set_mmap_threshold(size: int) -> None:
    """Blocks of ``size`` bytes or more get pages of their own, for the whole process."""
    global _threshold
    mallopt = glibc("mallopt")
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, int(size))
        _threshold = int(size)


@contextmanager
def blocks_kept_for_reuse() -> Iterator[None]:
    """Large blocks come from the heap, and are reused, until the block ends; then the threshold
    set before applies again (and the freed heap is trimmed)."""
    before = _threshold
    set_mmap_threshold(MAX_THRESHOLD)
    try:
        yield
    finally:
        set_mmap_threshold(before)
        trim = glibc("malloc_trim")
        if trim is not None:
            trim(0)
