"""Ctrl-C that survives the libraries: CatBoost and XGBoost ignore an exception raised inside
their callbacks ("Exception ignored in: '_catboost._CallbackAfterIteration'", "Exception ignored
on calling ctypes callback function"), so a Ctrl-C landing there was lost and the search ran on to
its time limit. While ``interrupts_noted`` is active, the SIGINT handler also notes the interrupt;
the search checks the note between candidates, and CatBoost's callbacks stop on it. The library's
"Exception ignored" traceback of such a Ctrl-C is not printed: the interrupt is noted, and the user
sees one line about it instead of a traceback that reads like a crash. Where a KeyboardInterrupt
inside a callback would leave the library's state broken (XGBoost), ``interrupts_deferred`` keeps
it out of the callbacks altogether."""
from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

INTERRUPTED = threading.Event()
_noting = False  # inside interrupts_noted: the note is cleared when it ends


@contextmanager
def interrupts_noted() -> Iterator[None]:
    """Note every SIGINT in ``INTERRUPTED`` (then let the usual handler raise KeyboardInterrupt),
    and raise KeyboardInterrupt on leaving when one was noted but swallowed on the way."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def note(signum, frame):
        INTERRUPTED.set()
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    previous_unraisable = sys.unraisablehook

    def quiet_about_interrupts(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            INTERRUPTED.set()
            return
        previous_unraisable(unraisable)

    global _noting
    INTERRUPTED.clear()
    signal.signal(signal.SIGINT, note)
    sys.unraisablehook = quiet_about_interrupts
    _noting = True
    try:
        yield
    finally:
        _noting = False
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = previous_unraisable
        noted = INTERRUPTED.is_set()
        INTERRUPTED.clear()  # what comes after (the refit, the save) is not interrupted by it
    if noted:
        raise KeyboardInterrupt


def raise_if_interrupted() -> None:
    if INTERRUPTED.is_set():
        raise KeyboardInterrupt


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Inside, a Ctrl-C is only noted (``INTERRUPTED``, which the libraries' training callbacks
    read to stop), and KeyboardInterrupt is raised on leaving.

    For code that hands Python callbacks to a library's C++ code: XGBoost reads its data through
    one, and a KeyboardInterrupt raised inside it left the library half-way through copying the
    labels; it went on, and the process died with "free(): invalid next size"."""
    previous = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    if previous in (None, signal.SIG_IGN):  # not ours to catch: a thread, or a shell ignoring it
        yield
        return
    signal.signal(signal.SIGINT, lambda signum, frame: INTERRUPTED.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if INTERRUPTED.is_set():
        if not _noting:
            INTERRUPTED.clear()
        raise KeyboardInterrupt
