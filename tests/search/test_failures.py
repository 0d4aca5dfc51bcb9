"""A family that fails, and Ctrl-C in the middle of a candidate: the search goes on, or ends
with the best model so far."""
from __future__ import annotations

import time

import pytest

import manabu
from tests.frames import mixed_frame


@pytest.mark.usefixtures("without_report_numbers")  # the leaderboard alone is read
def test_failing_family_is_reported_and_the_search_goes_on(inject_family):
    inject_family("exploding", RuntimeError)
    frame = mixed_frame(n=300, task="binary")
    predictor = manabu.fit(frame, target="y", time_limit=30, models=["exploding", "linear", "decision_tree"],
                           max_trials=3, verbose=False)
    board = predictor.leaderboard().set_index("model")
    assert board.loc["exploding", "status"] == "failed"
    assert board.loc["exploding", "rank"] != board.loc["exploding", "rank"]  # NaN: not ranked
    assert (board.loc[["linear", "decision_tree"], "status"] == "ok").all()
    assert predictor.record.best_model in ("linear", "decision_tree")
    notice = next(n for n in predictor.notices if n.key == "search.failed")
    assert notice.params["model"] == "exploding" and "injected failure" in notice.params["error"]
    assert predictor.leaderboard()["status"].iloc[-1] == "failed", "failures go below the ranked models"
    assert len(predictor.predict(frame)) == len(frame)


@pytest.mark.usefixtures("without_report_numbers")  # the leaderboard alone is read
def test_regression_family_failure(inject_family):
    inject_family("exploding", ValueError)
    frame = mixed_frame(n=200, task="regression")
    predictor = manabu.fit(frame, target="y", time_limit=30, models=["linear", "exploding"],
                           max_trials=2, verbose=False)
    statuses = dict(zip(predictor.leaderboard()["model"], predictor.leaderboard()["status"]))
    assert statuses == {"linear": "ok", "exploding": "failed"}


def test_only_failing_families_give_a_clear_error(inject_family):
    inject_family("exploding", RuntimeError)
    frame = mixed_frame(n=200, task="binary")
    with pytest.raises(manabu.ManabuError) as caught:
        manabu.fit(frame, target="y", time_limit=10, models=["exploding"], verbose=False)
    assert "exploding" in str(caught.value) and "injected failure" in str(caught.value)
    assert caught.value.key == "search.all_failed", "a failure is not a lack of time"


def test_ctrl_c_inside_a_candidate_keeps_the_best_so_far(inject_family):
    inject_family("interrupting", KeyboardInterrupt)
    frame = mixed_frame(n=300, task="binary")
    predictor = manabu.fit(frame, target="y", time_limit=30,
                           models=["linear", "decision_tree", "interrupting", "knn"], verbose=False)
    assert predictor.record.interrupted is True
    assert "interrupted=True" in repr(predictor)
    models = predictor.leaderboard()["model"].tolist()
    assert sorted(models) == ["decision_tree", "linear"], "nothing runs after Ctrl-C"
    assert predictor.record.best_model == predictor.leaderboard()["model"].iloc[0]
    assert any(n.key == "search.interrupted" for n in predictor.notices)
    assert predictor.predict_proba(frame).shape == (len(frame), 2)


def test_ctrl_c_before_any_model_was_scored_propagates(inject_family):
    inject_family("interrupting", KeyboardInterrupt)
    frame = mixed_frame(n=200, task="binary")
    with pytest.raises(KeyboardInterrupt):
        manabu.fit(frame, target="y", time_limit=30, models=["interrupting", "linear"], verbose=False)


@pytest.mark.parametrize("strategy", ["bayes", "random", "grid"])
def test_a_family_that_fails_alike_under_two_settings_is_not_tried_again(inject_family, strategy):
    import dataclasses

    from manabu.models import zoo
    from manabu.models.space import Real

    entry = inject_family("exploding", RuntimeError)
    zoo.ZOO["exploding"] = dataclasses.replace(entry, space={"alpha": Real(0.1, 10.0, log=True)})
    frame = mixed_frame(n=200, task="binary")
    started = time.monotonic()
    predictor = manabu.fit(frame, target="y", time_limit=20, models=["exploding", "decision_tree"],
                           max_trials=14, search=strategy, verbose=False)
    # the Bayesian sampler kept proposing the dropped family: 54 s of proposals for 20 s
    assert time.monotonic() - started < 20 + 10, "slack for a busy machine, not for the proposals"
    models = predictor.leaderboard()["model"].tolist()
    assert sum(name.startswith("exploding") for name in models) == 2, models
    assert sum(name.startswith("decision_tree") for name in models) >= 3, "the search went on with the rest"
    dropped = [n for n in predictor.notices if n.key == "search.family_dropped"]
    assert len(dropped) == 1 and dropped[0].params["model"] == "exploding"


@pytest.mark.usefixtures("without_report_numbers")  # the leaderboard alone is read
@pytest.mark.parametrize("family", ["hist_gradient_boosting", "svm", "lightgbm"])
def test_a_class_of_one_or_two_rows_does_not_break_a_family_s_inner_validation(family):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 4))
    y = np.where(X[:, 0] > 0, "a", "b").astype(object)
    y[:2], y[2:5] = "rare", "scarce"  # 2 and 3 rows: a fold's training sees one or two of them
    frame = pd.DataFrame(X, columns=list("pqrs")).assign(y=y)
    predictor = manabu.fit(frame, target="y", time_limit=30, models=[family], max_trials=1,
                           validation="3", verbose=False)
    row = predictor.leaderboard().iloc[0]
    assert row["status"] == "ok", row.to_dict()
    assert list(predictor.predict_proba(frame.head(3)).columns) == ["a", "b", "rare", "scarce"]
