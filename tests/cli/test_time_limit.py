"""--time-limit is honoured within 10%: the whole training, search and final refit together."""
from __future__ import annotations

from manabu.artifact import verify
from tests.cli.conftest import manifest
from tests.frames import SHARED_DATA

import pytest

PHONEME = SHARED_DATA / "tabular" / "phoneme" / "train.parquet"
LIMIT = 8.0


@pytest.mark.skipif(not PHONEME.exists(), reason=f"public data set not found: {PHONEME}")
@pytest.mark.timing
def test_training_ends_within_ten_percent_of_the_time_limit(cli, tmp_path):
    out = tmp_path / "phoneme"
    result = cli("train", PHONEME, "--target", "Class", "--time-limit", f"{LIMIT:g}", "-o", out)
    assert result.exit_code == 0, result.output
    verify(out)
    training = manifest(out)["training"]
    assert training["n_rows"] > 4000
    # 10% of the limit, plus a second for a busy machine (the tests run two at a time on two cores)
    assert training["seconds"] <= 1.1 * LIMIT + 1.0, training["seconds"]
    # and the limit was used, not abandoned early: several candidates were scored
    assert sum(row["status"] == "ok" for row in training["leaderboard"]) >= 2


BUSY_LOOP = "while True: pass"


@pytest.mark.timing
@pytest.mark.parametrize("busy", [False, True], ids=["quiet", "one core busy"])
def test_manabu_train_returns_within_the_limit_with_a_core_busy(tmp_path, busy):
    """The whole command, as a user waits for it (interpreter, imports, reading, search, refit,
    report and save), within T + 5% + 1 s: the issue's target, also with another process keeping
    one of the two cores busy, so that the search must measure time, not trust its cost model."""
    import subprocess
    import sys
    import time

    from tests.cli.conftest import process_env
    from tests.frames import mixed_frame

    data = tmp_path / "rows.csv"
    mixed_frame(4000, task="binary").to_csv(data, index=False)
    # once, untimed: a fresh environment's first command compiles the modules and builds
    # Matplotlib's font cache (8 s more in CI's fresh clone), which a user pays once, not per run
    warm = tmp_path / "warm.csv"
    mixed_frame(60, task="binary").to_csv(warm, index=False)
    subprocess.run([sys.executable, "-m", "manabu.cli", "train", str(warm), "--target", "y", "--time-limit", "3",
                    "-o", str(tmp_path / "warm")], capture_output=True, env=process_env(), timeout=120)
    limit = 10.0
    hog = subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) if busy else None
    try:
        started = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "manabu.cli", "train", str(data), "--target", "y",
                              "--time-limit", f"{limit:g}", "-o", str(tmp_path / "m")],
                             capture_output=True, text=True, env=process_env(), timeout=120)
        took = time.monotonic() - started
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    assert run.returncode == 0, run.stderr[-2000:]
    assert took <= 1.05 * limit + 1.0, f"{took:.1f} s for --time-limit {limit:g}\n{run.stdout[-1500:]}"
    verify(tmp_path / "m")


def test_the_command_of_a_process_counts_its_time_from_the_process_start():
    """``manabu train`` as a process counts the interpreter's start and the imports against its
    --time-limit (its user waits through them); run within a program, from the call."""
    import subprocess
    import sys
    import time

    from manabu.cli.common import command_started, started_with_process

    slow_start = ("import time; time.sleep(1.5); from manabu.cli.common import process_started; "
                  "print(time.monotonic() - process_started())")
    launched = time.monotonic()
    child = subprocess.run([sys.executable, "-c", slow_start], capture_output=True, text=True, check=True)
    waited = time.monotonic() - launched
    assert 1.5 <= float(child.stdout) <= waited, (child.stdout, waited)

    assert abs(command_started() - time.monotonic()) < 0.5  # nothing set: the call's own start
    started_with_process()
    assert time.monotonic() - command_started() > 1.0, "this test process started seconds ago"
    assert abs(command_started() - time.monotonic()) < 0.5, "taken once: the next command starts now"
