"""The search checkpoint on its own: what is recorded comes back, a line cut short by a crash
is dropped, and a damaged or foreign checkpoint is refused with a clear message."""
from __future__ import annotations

import numpy as np
import pytest

from manabu.base.errors import ConfigError
from manabu.models.zoo import ZOO
from manabu.search.candidate import Candidate
from manabu.search.checkpoint import Checkpoint, checkpoint_folder
from manabu.search.crossval import CandidateResult

SIGNATURE = {"data": "abc123", "target": "y", "seed": 0}


def results() -> list[CandidateResult]:
    ok = CandidateResult(Candidate("lightgbm #2", ZOO["lightgbm"], {"num_leaves": 15}, "bayes"), "ok", 0.91,
                         [0.9, 0.92], fit_seconds=1.5, predict_seconds=0.1, rows_per_fold=800,
                         oof=np.random.default_rng(0).random((1000, 2)), latency_ms=3.2)
    failed = CandidateResult(Candidate("knn", ZOO["knn"], {}, "portfolio"), "failed", error="ValueError: x")
    return [ok, failed]


def test_what_is_recorded_comes_back(tmp_path):
    saved = Checkpoint(tmp_path / "cp", SIGNATURE)
    saved.start()
    for r in results():
        saved.record(r)
    loaded = Checkpoint(tmp_path / "cp", SIGNATURE).resume(ZOO)
    assert [(r.candidate.name, r.status, r.candidate.params) for r in loaded] == \
        [(r.candidate.name, r.status, r.candidate.params) for r in results()]
    np.testing.assert_array_equal(loaded[0].oof, results()[0].oof)
    assert loaded[0].fold_scores == [0.9, 0.92] and loaded[0].latency_ms == 3.2
    assert np.isnan(loaded[1].score) and loaded[1].error == "ValueError: x"
    assert loaded[0].candidate.entry is ZOO["lightgbm"]


def test_a_line_cut_short_by_a_crash_is_dropped_and_new_results_follow(tmp_path):
    saved = Checkpoint(tmp_path / "cp", SIGNATURE)
    saved.start()
    saved.record(results()[0])
    with open(tmp_path / "cp" / "results.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"index": 1, "family": "kn')
    again = Checkpoint(tmp_path / "cp", SIGNATURE)
    assert len(again.resume(ZOO)) == 1
    assert again.count == 1


def test_a_foreign_or_damaged_checkpoint_is_refused(tmp_path):
    saved = Checkpoint(tmp_path / "cp", SIGNATURE)
    saved.start()
    with pytest.raises(ConfigError) as caught:
        Checkpoint(tmp_path / "cp", {**SIGNATURE, "seed": 1}).resume(ZOO)
    assert caught.value.key == "search.resume_mismatch" and "seed" in str(caught.value)
    (tmp_path / "cp" / "state.json").write_text("{not json", "utf-8")
    with pytest.raises(ConfigError) as caught:
        Checkpoint(tmp_path / "cp", SIGNATURE).resume(ZOO)
    assert caught.value.key == "search.resume_corrupt"
    with pytest.raises(ConfigError) as caught:
        Checkpoint(tmp_path / "nothing", SIGNATURE).resume(ZOO)
    assert caught.value.key == "search.resume_missing"


def test_the_checkpoint_sits_hidden_beside_the_model_folder(tmp_path):
    assert checkpoint_folder(tmp_path / "models" / "price") == tmp_path / "models" / ".price.search"
