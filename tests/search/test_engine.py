"""The engine through ``manabu.fit``: strategies, presets, ensembles on the leaderboard, the
latency limit, the memory check, reproducibility and resuming a stopped search."""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import manabu
from manabu.ensemble.model import Ensemble
from manabu.models import zoo
from manabu.search import opening
from tests.frames import mixed_frame


# leaderboards, ensembles, latency and resuming: nothing here reads the report's numbers
pytestmark = pytest.mark.usefixtures("without_report_numbers")


def quick(frame, **options):
    return manabu.fit(frame, target="y", verbose=False, **{"time_limit": 60, **options})


@pytest.mark.parametrize("strategy", ["grid", "random", "bayes"])
def test_each_strategy_runs_after_the_portfolio(strategy):
    predictor = quick(mixed_frame(200, "regression"), models=["decision_tree", "knn"], max_trials=6,
                      search=strategy, preset="fast")
    board = predictor.leaderboard()
    assert len(board) == 6
    assert set(board["origin"]) == {"portfolio", strategy}
    assert predictor.record.config.search == strategy


def test_an_unknown_strategy_or_preset_is_a_clear_error():
    with pytest.raises(manabu.ManabuError, match="bayes, random, grid"):
        quick(mixed_frame(100), search="annealing")
    with pytest.raises(manabu.ManabuError, match="fast, balanced, best"):
        quick(mixed_frame(100), preset="turbo")
    with pytest.raises(manabu.ManabuError, match="max-latency-ms"):
        quick(mixed_frame(100), max_latency_ms=0)


def test_the_same_seed_gives_the_same_leaderboard():
    frame = mixed_frame(300, "multiclass")
    # a limit far beyond what 8 candidates take, so that time decides nothing: on a busy machine a
    # costly configuration's estimate can pass a 60 s limit's share in one run and not the other
    runs = [quick(frame, models=["linear", "decision_tree", "lightgbm"], max_trials=8, seed=5, time_limit=600)
            for _ in range(2)]
    boards = [r.leaderboard()[["model", "params", "status"]].to_dict("records") for r in runs]
    assert boards[0] == boards[1]
    scores = [r.leaderboard()["score"].to_numpy() for r in runs]
    np.testing.assert_allclose(scores[0], scores[1])


def test_balanced_adds_an_honest_ensemble_row_and_can_choose_it():
    frame = mixed_frame(600, "multiclass")
    predictor = quick(frame, models=["linear", "lightgbm", "knn", "decision_tree"], max_trials=6)
    board = predictor.leaderboard().set_index("model")
    assert "ensemble" in board.index
    row = board.loc["ensemble"]
    assert row["origin"] == "ensemble" and np.isfinite(row["score"]) and np.isfinite(row["score_std"])
    assert row["latency_ms"] > 0
    members = row["params"]["members"]
    assert len(members) >= 2 and abs(sum(members.values()) - 1.0) < 1e-3
    if predictor.record.best_model == "ensemble":
        assert isinstance(predictor.pipeline, Ensemble)
        assert any(n.key == "search.ensemble_built" for n in predictor.notices)
    proba = predictor.predict_proba(frame)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


def test_fast_gives_a_single_model_and_best_may_stack():
    frame = mixed_frame(400, "binary")
    fast = quick(frame, preset="fast", max_trials=4)
    assert set(fast.leaderboard()["family"]) <= {"linear", "decision_tree", "lightgbm"}
    assert not isinstance(fast.pipeline, Ensemble)
    best = quick(frame, preset="best", models=["linear", "lightgbm", "knn"], max_trials=5)
    assert {"ensemble", "stacking"} & set(best.leaderboard()["model"])


class SlowLogistic(LogisticRegression):
    """A real model that takes 0.2 s for any prediction: the slow candidate of the test."""

    def predict_proba(self, X):
        time.sleep(0.2)
        return super().predict_proba(X)


@pytest.fixture
def slow_family(monkeypatch):
    linear = zoo.ZOO["linear"]
    entry = dataclasses.replace(linear, name="slow", make=lambda task, params, seed: SlowLogistic())
    monkeypatch.setitem(zoo.ZOO, "slow", entry)
    monkeypatch.setattr(opening, "portfolio",
                        lambda family, facts=frozenset(): [{}] if family == "slow" else zoo.portfolio(family, facts))


def test_latency_is_timed_on_the_row_path_that_a_saved_model_answers_with(monkeypatch):
    from manabu.inference import RowPath
    from manabu.search.crossval import LATENCY_CALLS

    calls = []
    answer = RowPath.predict_proba
    monkeypatch.setattr(RowPath, "predict_proba", lambda self, values, n: calls.append(n) or answer(self, values, n))
    predictor = quick(mixed_frame(200, "binary"), models=["lightgbm"], max_trials=1, preset="fast")
    assert calls.count(1) > LATENCY_CALLS, "one warm-up call, then the timed ones"
    assert predictor.leaderboard()["latency_ms"].iloc[0] > 0


class SlowToFit(LogisticRegression):
    """A real model that takes 6 s to fit: five folds of it would take half a minute."""

    def fit(self, X, y, **fit_params):
        time.sleep(6.0)
        return super().fit(X, y, **fit_params)


def test_once_a_model_exists_no_candidate_runs_past_its_share_of_the_budget(monkeypatch):
    """Without an estimate of its cost (data too small to probe), a candidate is stopped as soon
    as its first fold shows that the rest would pass its share (MAX_SHARE of 40 s: 10 s),
    although the search as a whole would have had the time."""
    linear = zoo.ZOO["linear"]
    monkeypatch.setitem(zoo.ZOO, "sleepy", dataclasses.replace(linear, name="sleepy",
                                                               make=lambda task, params, seed: SlowToFit()))
    monkeypatch.setattr(opening, "portfolio",
                        lambda family, facts=frozenset(): [{}] if family == "sleepy" else zoo.portfolio(family, facts))
    predictor = quick(mixed_frame(300, "binary"), models=["linear", "sleepy"], max_trials=2, preset="fast",
                      validation="5", time_limit=40)
    row = predictor.leaderboard().set_index("model").loc["sleepy"]
    assert row["status"] == "out_of_time"
    assert predictor.record.best_model == "linear"


def test_max_latency_keeps_slow_models_off_the_podium(slow_family):
    frame = mixed_frame(300, "binary")
    predictor = quick(frame, models=["slow", "linear"], max_trials=2, preset="fast", max_latency_ms=100)
    board = predictor.leaderboard().set_index("model")
    assert board.loc["slow", "status"] == "too_slow" and np.isnan(board.loc["slow", "rank"])
    assert board.loc["slow", "latency_ms"] >= 200
    assert board.loc["linear", "rank"] == 1 and predictor.record.best_model == "linear"
    notice = next(n for n in predictor.notices if n.key == "search.too_slow")
    assert notice.params["model"] == "slow" and notice.params["limit"] == 100
    with pytest.raises(manabu.ManabuError, match="max-latency-ms"):
        quick(frame, models=["slow"], max_trials=1, preset="fast", max_latency_ms=100)


def test_a_family_that_would_not_fit_in_memory_is_skipped(monkeypatch):
    huge = dataclasses.replace(zoo.ZOO["knn"], memory_factor=1e15)
    monkeypatch.setitem(zoo.ZOO, "knn", huge)
    predictor = quick(mixed_frame(200), models=["knn", "linear"], max_trials=3, preset="fast")
    assert "knn" not in set(predictor.leaderboard()["family"])
    notice = next(n for n in predictor.notices if n.key == "search.skipped_memory")
    assert notice.params["model"] == "knn"


def test_resume_keeps_what_was_tried_and_checks_it_is_the_same_search(tmp_path, inject_family):
    frame = mixed_frame(300, "binary")
    folder = tmp_path / "search"
    inject_family("interrupting", KeyboardInterrupt)
    stopped = quick(frame, models=["linear", "decision_tree", "interrupting"], checkpoint=folder)
    assert stopped.record.interrupted and folder.is_dir()
    before = stopped.leaderboard().set_index("model")["score"]

    with pytest.raises(manabu.ManabuError, match="seed"):
        quick(frame, models=["linear", "decision_tree", "knn"], checkpoint=folder, resume=True, seed=1)
    resumed = quick(frame, models=["linear", "decision_tree", "knn"], checkpoint=folder, resume=True,
                    max_trials=4, preset="fast")
    notice = next(n for n in resumed.notices if n.key == "search.resumed")
    assert notice.params["n"] == 2
    after = resumed.leaderboard().set_index("model")["score"]
    assert after[before.index].tolist() == before.tolist(), "earlier scores are kept, not recomputed"
    assert len(after) == 4 and "knn" in after.index
    assert not folder.exists(), "a finished search leaves nothing to resume"


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(manabu.ManabuError, match="Nothing to resume"):
        quick(mixed_frame(100), checkpoint=tmp_path / "none", resume=True)


def test_only_the_ensemble_pool_keeps_its_out_of_fold_predictions():
    """An ensemble draws on the best few models, at most three of a family; a long search must
    not hold every model's predictions."""
    from manabu.models.zoo import get_entries
    from manabu.search.budget import Budget
    from manabu.search.listener import SilentListener
    from manabu.search.loop import SearchSettings, run_search
    from tests.search.conftest import small_problem

    problem = small_problem()
    outcome = run_search(problem, get_entries(["linear", "decision_tree"], "binary"), Budget(60.0),
                         SilentListener(), SearchSettings(strategy="random", max_trials=12, prune=False,
                                                          keep_predictions=3))
    finished = outcome.finished()
    assert len(finished) > 3
    kept = [r for r in outcome.results if r.oof is not None]
    ranked = sorted(finished, key=lambda r: -r.score)  # ROC-AUC: higher is better
    assert len(kept) == 3 and {id(r) for r in kept} == {id(r) for r in ranked[:3]}, "three of a family may stay"



def test_a_positive_regression_target_also_gets_a_log_link_lightgbm(tmp_path):
    """Prices and counts: the portfolio adds LightGBM with a gamma objective (a log link), which
    a target with zeros or negatives cannot take. On a multiplicative target it wins, and the
    saved model answers as the trained one, through the row path too."""
    frame = mixed_frame(400, "regression")
    frame["y"] = np.exp(frame["y"] / 2)
    predictor = quick(frame, models=["lightgbm"], max_trials=2)  # not "fast": its latency tie-break is noise here
    board = predictor.leaderboard().set_index("model")
    assert board.loc["lightgbm #2", "params"]["objective"] == "gamma"
    assert predictor.record.best_model == "lightgbm #2" and predictor.pipeline[-1].objective == "gamma"
    loaded = manabu.load(predictor.save(tmp_path / "m"))
    rows = frame.drop(columns="y").head(50)
    np.testing.assert_allclose(loaded.predict(rows), predictor.predict(rows), rtol=1e-9)
    one_by_one = [loaded.predict(rows.iloc[[i]]).iloc[0] for i in range(3)]
    np.testing.assert_allclose(one_by_one, predictor.predict(rows.head(3)), rtol=1e-6)

    frame["y"] = frame["y"] - frame["y"].min()  # a zero: no log link
    params = quick(frame, models=["lightgbm"], max_trials=2).leaderboard()["params"]
    assert all(p.get("objective") is None for p in params)


def test_a_search_left_no_time_by_a_busy_machine_still_gives_its_cheapest_model():
    """The search's own end passed before a model was scored (the reading took it, a busy
    machine): the cheapest family gets the time kept for the report, up to the limit, and
    where the limit itself has passed, its slack (5% + 1 s)."""
    from manabu.models.zoo import get_entries
    from manabu.search.budget import Budget
    from manabu.search.listener import SilentListener
    from manabu.search.loop import SearchSettings, run_search
    from tests.search.conftest import small_problem

    problem = small_problem()
    entries = get_entries(["decision_tree", "linear"], "binary")
    reserved = SearchSettings(prune=False, reserve_seconds=100.0)  # the search's end is already behind
    outcome = run_search(problem, entries, Budget(60.0), SilentListener(), reserved)
    assert [(r.candidate.family, r.status) for r in outcome.results] == [("linear", "ok")]

    past = Budget(1.0, started=time.monotonic() - 5.0)  # the limit itself has passed
    late = run_search(problem, entries, past, SilentListener(), reserved)
    assert [(r.candidate.family, r.status) for r in late.results] == [("linear", "ok")]
