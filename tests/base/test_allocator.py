"""glibc's mmap threshold: set low for the search, lifted while a network trains, then set back."""
from __future__ import annotations

import pytest

from manabu.base import allocator
from manabu.search.memory import LARGE_BLOCK_BYTES, return_large_blocks


@pytest.mark.skipif(allocator.glibc("mallopt") is None, reason="not glibc")
def test_a_network_s_training_lifts_the_threshold_and_sets_it_back():
    return_large_blocks()
    assert allocator.mmap_threshold() == LARGE_BLOCK_BYTES
    with allocator.blocks_kept_for_reuse():
        assert allocator.mmap_threshold() == allocator.MAX_THRESHOLD
    assert allocator.mmap_threshold() == LARGE_BLOCK_BYTES
    with pytest.raises(RuntimeError), allocator.blocks_kept_for_reuse():
        raise RuntimeError("a failed fit")
    assert allocator.mmap_threshold() == LARGE_BLOCK_BYTES
