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
