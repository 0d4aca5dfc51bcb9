"""A Ctrl-C that lands inside a library's C callback (XGBoost's data iterator, CatBoost's
iteration callback) is noted, raised once the search step ends, and printed as no traceback.
Run in a child process: pytest replaces the hook that prints such errors."""
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent("""
    import ctypes, os, signal
    from manabu.base.interrupts import INTERRUPTED, interrupts_noted

    def interrupted():
        os.kill(os.getpid(), signal.SIGINT)
        return 1

    def broken():
        raise ValueError("a real bug")

    callback = ctypes.CFUNCTYPE(ctypes.c_int)
    with interrupts_noted():
        callback(broken)()
    try:
        with interrupts_noted():
            callback(interrupted)()
    except KeyboardInterrupt:
        print("raised", INTERRUPTED.is_set())
""")


def test_an_interrupt_inside_a_c_callback_is_noted_without_a_traceback():
    child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60)
    assert child.stdout.strip() == "raised False", "raised on leaving, the note cleared after"
    assert child.stderr.count("Traceback") == 1, child.stderr
    assert "ValueError: a real bug" in child.stderr, "other errors in callbacks are still shown"


DEFERRED = textwrap.dedent("""
    import os, signal, threading, time
    import numpy as np
    from manabu.base.interrupts import INTERRUPTED
    from manabu.models.xgboost.family import EarlyStoppingXGBClassifier

    # as a terminal gives it: a test runner started as a background job ignores SIGINT, and its
    # children inherit that (and so does this fit, which then never stops)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 20))
    y = (X[:, 0] + rng.normal(size=20_000) > 0).astype(int)
    model = EarlyStoppingXGBClassifier(n_estimators=100_000, learning_rate=1e-4, max_depth=8)
    threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
    started = time.monotonic()
    try:
        model.fit(X, y)
    except KeyboardInterrupt:
        print("raised after", round(time.monotonic() - started), "s; noted", INTERRUPTED.is_set())
""")


def test_a_ctrl_c_during_an_xgboost_fit_stops_it_at_the_next_round_and_raises_after():
    child = subprocess.run([sys.executable, "-c", DEFERRED], capture_output=True, text=True, timeout=120)
    said = child.stdout.strip()
    assert said.startswith("raised after") and said.endswith("noted False"), (said, child.stderr)
    assert int(said.split()[2]) < 30, "the fit stopped at the round after the Ctrl-C"
    assert "Traceback" not in child.stderr and child.returncode == 0, child.stderr
