"""Memory freed by one candidate goes back to the system before the next one starts, so that
peaks do not stack up over a search (glibc: a fixed threshold for blocks of their own, and a
trim after each candidate)."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# In a worker thread: frees one large block (which makes glibc raise its threshold for blocks of
# their own), then allocates 120 MB in 300 KB blocks with a small long-lived allocation after
# each (as a forest's node arrays grow among other objects), frees the blocks, and prints how
# much stayed resident.
SCRIPT = textwrap.dedent("""
    import sys, threading
    import numpy as np, psutil
    from manabu.search.memory import release_free_memory, return_large_blocks
    fixed = sys.argv[1] == "fixed"
    if fixed:
        return_large_blocks()
    rss = lambda: psutil.Process().memory_info().rss / 2**20
    keep = []

    def grow():  # in a worker thread, as the trees of a forest grow: in the thread's own arena
        big = np.ones(8 * 2**20 // 8); del big
        blocks = []
        for _ in range(400):
            blocks.append(np.ones(300 * 1024 // 8))
            keep.append(np.ones(8))

    before = rss()
    worker = threading.Thread(target=grow)
    worker.start(); worker.join()
    if fixed:
        release_free_memory()
    print(rss() - before)
""")


def stays_resident(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def test_freed_blocks_go_back_to_the_system():
    if stays_resident("default") < 60:
        pytest.skip("this allocator returns freed blocks by itself: nothing to fix here")
    assert stays_resident("fixed") < 20
