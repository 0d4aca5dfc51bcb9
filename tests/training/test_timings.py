"""Where the time of a run went: each step, each family of the search, the text's words; in the
record, in the saved folder, on the command line and in the report."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

import manabu
from manabu.base.i18n import t
from manabu.report import render_report
from manabu.training.timings import time_spent_parts
from tests.frames import mixed_frame


def _reviews(n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    good, bad = ["clean room", "kind staff", "great view"], ["dirty room", "rude staff", "noisy street"]
    label = rng.integers(0, 2, n)
    text = [f"{rng.choice(good if y else bad)} and {rng.choice(good + bad)} number {i}" for i, y in enumerate(label)]
    return pd.DataFrame({"review": text, "stars": rng.normal(size=n), "y": np.where(label, "yes", "no")})


def test_the_record_says_where_the_time_went(tmp_path):
    started = time.monotonic()
    # four candidates of the two families, then the report's numbers, rather than 20 s of search;
    # "fast": no ensemble, whose building would be timed as a family of its own
    predictor = manabu.fit(_reviews(), target="y", time_limit=20, models=["naive_bayes", "decision_tree"],
                           max_trials=4, preset="fast", verbose=False)
    took = time.monotonic() - started
    timings = predictor.record.timings
    steps = timings["steps"]
    assert list(steps) == ["reading", "search", "refit", "report"]
    assert all(seconds >= 0 for seconds in steps.values())
    assert sum(steps.values()) <= took
    assert set(timings["families"]) == {"naive_bayes", "decision_tree"}
    assert sum(timings["families"].values()) <= steps["search"] + 0.1
    assert timings["words"] >= 0
    predictor.save(tmp_path / "m")
    assert manabu.load(tmp_path / "m").record.timings == timings


def test_the_line_and_the_report_show_each_part_in_both_languages():
    predictor = manabu.fit(mixed_frame(300), target="y", time_limit=10, models=["linear"], max_trials=1,
                           verbose=False)
    parts = time_spent_parts(predictor.record.timings)
    keys = [key for key, _ in parts]
    assert keys[:4] == ["time.reading", "time.search", "time.refit", "time.report"]
    assert "time.families" in keys and "time.words" not in keys, "no text, no words"
    page = render_report(predictor.record.to_dict(), "en")
    for lang in ("en", "ja"):
        assert t("time.title", lang) in page
        assert t("time.search", lang, seconds=parts[1][1]["seconds"]) in page
    assert time_spent_parts(None) is None, "a model saved before timings were kept"
