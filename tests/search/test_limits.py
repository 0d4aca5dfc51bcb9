"""What bounds a search: the time limit, max_trials, and the data size a family handles."""
from __future__ import annotations

import time

import pandas as pd
import pytest

import manabu
from tests.frames import SHARED_DATA, mixed_frame

TOLERANCE = 1.1  # the issue: --time-limit is honoured within 10 %
SLACK = 1.0      # seconds for reading, schema and process noise around the search


def timed_fit(data, target: str, time_limit: float, **options) -> tuple[manabu.Predictor, float]:
    start = time.monotonic()
    predictor = manabu.fit(data, target=target, time_limit=time_limit, verbose=False, **options)
    return predictor, time.monotonic() - start


@pytest.mark.timing
def test_time_limit_is_honoured_on_thousands_of_rows():
    frame = mixed_frame(n=4000, task="binary")
    predictor, seconds = timed_fit(frame, "y", 6)
    assert seconds <= 6 * TOLERANCE + SLACK, predictor.leaderboard()[["model", "status", "fit_seconds"]]
    assert (predictor.leaderboard()["status"] == "ok").any()


@pytest.mark.timing
def test_time_limit_is_honoured_on_a_public_regression_set():
    path = SHARED_DATA / "tabular" / "abalone" / "train.parquet"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    predictor, seconds = timed_fit(path, "rings", 6)
    assert seconds <= 6 * TOLERANCE + SLACK, predictor.leaderboard()[["model", "status", "fit_seconds"]]
    assert predictor.record.seconds <= 6 * TOLERANCE


@pytest.mark.parametrize("max_trials", [1, 3])
def test_max_trials_is_respected(max_trials):
    frame = mixed_frame(n=200, task="regression")
    predictor = manabu.fit(frame, target="y", time_limit=60, models=["decision_tree"],
                           max_trials=max_trials, verbose=False)
    board = predictor.leaderboard()
    searched = board[board["family"] != "ensemble"]  # an ensemble of them is not a trial
    assert len(searched) == max_trials
    assert searched["model"].str.startswith("decision_tree").all()
    assert (searched["origin"] == "bayes").sum() == max_trials - 1, "one default, then Bayesian proposals"


def test_max_trials_must_be_positive():
    with pytest.raises(manabu.ManabuError):
        manabu.fit(mixed_frame(n=100), target="y", time_limit=5, max_trials=0, verbose=False)


def svm_sized_frame() -> pd.DataFrame:
    return mixed_frame(n=5_200, task="binary")


def test_svm_is_skipped_on_large_data_with_a_notice():
    predictor = manabu.fit(svm_sized_frame(), target="y", time_limit=30, models=["svm", "decision_tree"],
                           max_trials=1, validation="holdout", verbose=False)
    assert predictor.leaderboard()["model"].tolist() == ["decision_tree"]
    notice = next(n for n in predictor.notices if n.key == "search.skipped_rows")
    assert notice.params["model"] == "svm" and notice.params["rows"] == 5_200
    assert notice.params["max_rows"] == 5_000


def test_svm_alone_on_large_data_is_a_clear_error():
    with pytest.raises(manabu.ManabuError) as caught:
        manabu.fit(svm_sized_frame(), target="y", time_limit=30, models=["svm"], verbose=False)
    message = str(caught.value)
    assert "svm" in message and "5,200" in message and "5,000" in message, message
