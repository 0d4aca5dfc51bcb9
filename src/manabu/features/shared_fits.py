"""Text features that every candidate of a fold shares, computed once per fold.

In a search, each candidate's pipeline is fitted on each training fold. The text transformers
in them (``TextTfidf``, ``TextEmbedding``) would count every n-gram of the same texts again for
each candidate: on 3,215 Japanese sentences at a 60 s limit, counting n-grams took 18 of the 27
seconds the candidates spent fitting, and three families ran. Inside ``shared_text_fits()``
(which the search enters), a transformer fitted with the same settings on the same texts takes
the fitted state of the first one, and transforming the same texts with the same fitted state
gives back the first result. Outside it (the refit on all rows, predictions of a saved model)
nothing is remembered.

Results are kept by content: the settings, and a digest of the texts. The memo holds at most
``MAX_BYTES`` of results, the oldest dropped first.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

MAX_BYTES = 256 * 2**20  # of remembered outputs
FITTED_STATE_BYTES = 1024  # what a fitted state counts for: its vocabulary is shared, not copied


class _Memo:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self.bytes = 0
        self.hits = 0

    def get(self, key: tuple) -> Any | None:
        found = self.entries.get(key)
        if found is None:
            return None
        self.entries.move_to_end(key)
        self.hits += 1
        return found[0]

    def put(self, key: tuple, value: Any, size: int) -> None:
        if size > self.max_bytes:
            return
        self.entries[key] = (value, size)
        self.bytes += size
        while self.bytes > self.max_bytes and self.entries:
            _, (_, dropped) = self.entries.popitem(last=False)
            self.bytes -= dropped


_active: _Memo | None = None


@contextmanager
def shared_text_fits(max_bytes: int = MAX_BYTES) -> Iterator[_Memo]:
    """Within this block, text transformers fitted or applied alike share their work."""
    global _active
    outer, _active = _active, _Memo(max_bytes) if _active is None else _active
    try:
        yield _active
    finally:
        _active = outer


def texts_digest(texts: list[str]) -> str:
    """A digest of the texts, in order: two folds' texts are the same only if every one is."""
    digest = hashlib.blake2b(digest_size=16)
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


def fit_shared(transformer: Any, texts: list[str], fit: Callable[[], None]) -> None:
    """Fit ``transformer`` on ``texts`` with ``fit()``, or, when one of its kind with the same
    settings was fitted on the same texts in this block, take that one's fitted state."""
    if _active is None:
        fit()
        return
    key = ("fit", type(transformer).__qualname__, repr(sorted(transformer.get_params().items())),
           texts_digest(texts))
    state = _active.get(key)
    if state is not None:
        transformer.__dict__.update(state)
        return
    fit()
    fitted = {name: value for name, value in vars(transformer).items() if name.endswith("_")}
    _active.put(key, fitted, size=FITTED_STATE_BYTES)


def transform_shared(fitted_part: Any, texts: list[str], transform: Callable[[], Any]) -> Any:
    """``transform()`` of ``texts``, or the result of the same fitted state on the same texts in
    this block. ``fitted_part`` identifies the state: an object of it that sharing keeps whole."""
    if _active is None:
        return transform()
    key = ("transform", id(fitted_part), texts_digest(texts))
    found = _active.get(key)
    if found is not None:
        return found[0]
    result = transform()
    # the fitted part is kept beside its result: its id cannot be reused while the entry lives
    _active.put(key, (result, fitted_part), size=_bytes(result))
    return result


def _bytes(matrix: Any) -> int:
    if hasattr(matrix, "data") and hasattr(matrix, "indices"):  # a sparse matrix
        return int(matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes)
    return int(np.asarray(matrix).nbytes)
