"""``memory_limit`` (``--memory-limit``): a model whose fit would take the process past it is
skipped with a notice, and the training process's peak stays under it."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import manabu
from manabu.base.errors import ConfigError
from manabu.training.config import TrainConfig

# A forest on 40,000 noisy rows keeps every node it grew: about 130 MB expected, for 4 MB of data.
CHILD = textwrap.dedent('''
    import json, sys
    import manabu
    from manabu.search.memory import process_bytes
    from tests.frames import mixed_frame

    frame = mixed_frame(40_000, "regression", seed=1)
    manabu.fit(mixed_frame(300), target="y", models=["linear"], max_trials=1, verbose=False)  # imports, warm
    limit = process_bytes() + int(sys.argv[1]) * 2**20
    predictor = manabu.fit(frame, target="y", time_limit=15, memory_limit=limit, report=False, max_trials=6,
                           models=["random_forest", "extra_trees", "linear", "lightgbm"], verbose=False)
    # VmHWM, the peak of this process's own memory: ru_maxrss would keep the parent's (the test
    # runner's) peak, which Linux carries over fork and exec
    status = open("/proc/self/status").read()
    peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
    print("RESULT " + json.dumps({
        "limit": limit, "peak": peak, "best": predictor.record.best_model,
        "skipped": sorted(n.params["model"] for n in predictor.notices if n.key == "search.skipped_memory_limit"),
        "models": predictor.leaderboard()["model"].tolist()}))
''')


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from Linux's /proc/self/status")
def test_models_that_would_pass_the_memory_limit_are_skipped_and_the_peak_stays_under_it():
    run = subprocess.run([sys.executable, "-c", CHILD, "80"], capture_output=True, text=True, timeout=300)
    line = [row for row in run.stdout.splitlines() if row.startswith("RESULT ")]
    assert line, run.stderr[-3000:]
    result = json.loads(line[-1][len("RESULT "):])
    assert {"random_forest", "extra_trees"} <= set(result["skipped"]), result
    assert not any(name.startswith(("random_forest", "extra_trees")) for name in result["models"]), result
    assert result["best"].startswith(("linear", "lightgbm", "ensemble")), result  # an ensemble of those two
    assert result["peak"] <= result["limit"], f"peak {result['peak'] / 2**20:.0f} MB over the limit " \
                                              f"{result['limit'] / 2**20:.0f} MB"


@pytest.mark.parametrize("size", ["0", "lots", "-2G", "10"])
def test_a_memory_limit_that_is_not_a_size_is_one_clear_error(size):
    with pytest.raises(ConfigError) as caught:
        TrainConfig(target="y", memory_limit=size)
    assert "--memory-limit" in str(caught.value) and caught.value.key == "search.bad_memory_limit"


def test_sizes_are_read_as_people_write_them():
    assert TrainConfig(target="y", memory_limit="1.5G").memory_limit == int(1.5 * 2**30)
    assert TrainConfig(target="y", memory_limit="512 MB").memory_limit == 512 * 2**20
    assert manabu.fit.__kwdefaults__["memory_limit"] is None
