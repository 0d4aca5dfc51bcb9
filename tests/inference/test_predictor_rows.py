"""Predictor answers a few rows through the row path, with exactly the answers (values, types,
index, names) it gives through the pipeline, and falls back to the pipeline when it must."""
from __future__ import annotations

import pandas as pd
import pytest

import manabu
import manabu.data.schema.model as schema_module
import manabu.training.predictor as predictor_module
from tests.conftest import no_report_numbers
from tests.inference.conftest import frame, new_rows


@pytest.fixture(scope="module", params=["binary", "regression"])
def predictor(request):
    with no_report_numbers():  # the answers alone are compared
        return manabu.fit(frame(request.param), target="y", models=["lightgbm"], max_trials=1,
                          validation="holdout", time_limit=60, verbose=False)


@pytest.fixture
def pipeline_only(monkeypatch):
    """Switch to the pipeline path for every call (and the general prepare)."""
    def switch():
        monkeypatch.setattr(predictor_module, "ROW_PATH_MAX_ROWS", 0)
        monkeypatch.setattr(schema_module, "SMALL_FRAME_ROWS", 0)
    return switch


def answers(predictor, rows):
    out = [predictor.predict(rows), predictor.predict_frame(rows)]
    if predictor.classes is not None:
        out.append(predictor.predict_proba(rows))
    return out


def test_single_rows_and_small_batches_answer_as_the_pipeline(predictor, pipeline_only):
    rows = new_rows(str(predictor.task)).set_index(pd.Index([f"r{i}" for i in range(60)]))
    inputs = [rows.iloc[[i]] for i in range(6)] + [rows, rows.iloc[:0:-7]]
    fast = [answers(predictor, x) for x in inputs]
    assert predictor.row_path() is not None
    pipeline_only()
    for got, x in zip(fast, inputs):
        for g, e in zip(got, answers(predictor, x)):
            if isinstance(g, pd.Series):
                pd.testing.assert_series_equal(g, e, check_exact=False, rtol=0, atol=1e-6)
            else:
                pd.testing.assert_frame_equal(g, e, check_exact=False, rtol=0, atol=1e-6)


def test_small_inputs_take_the_row_path_and_large_ones_the_pipeline(predictor, monkeypatch):
    rows = new_rows(str(predictor.task))
    path = predictor.row_path()

    class Refusing:
        def __getattr__(self, name):
            raise AssertionError("the pipeline was asked")

    monkeypatch.setattr(predictor, "pipeline", Refusing())
    monkeypatch.setitem(predictor._cache, "row_path", (predictor.pipeline, path))  # built already
    assert len(predictor.predict(rows.iloc[[1]])) == 1
    monkeypatch.setattr(predictor_module, "ROW_PATH_MAX_ROWS", 5)
    with pytest.raises(AssertionError, match="pipeline was asked"):
        predictor.predict(rows)


def test_input_the_row_path_does_not_take_goes_through_read(predictor):
    rows = new_rows(str(predictor.task)).iloc[[0, 1]]
    renamed = rows.set_axis(list(rows.columns[:-1]) + [0], axis=1).rename(columns={0: "note"})
    pd.testing.assert_series_equal(predictor.predict(renamed), predictor.predict(rows))
    from manabu.base.errors import ManabuError
    with pytest.raises(ManabuError):
        predictor.predict(rows.drop(columns=["x1"]))
    with pytest.raises(ManabuError):
        predictor.predict(rows.iloc[:0])


def test_a_loaded_model_builds_its_own_row_path(predictor, tmp_path, pipeline_only):
    loaded = manabu.load(predictor.save(tmp_path / "model"))
    assert not list(tmp_path.rglob("*.so"))
    rows = new_rows(str(predictor.task)).iloc[[5]]
    fast = loaded.predict(rows)
    assert loaded.row_path() is not None
    pipeline_only()
    pd.testing.assert_series_equal(fast, predictor.predict(rows), check_exact=False, rtol=0, atol=1e-6)


def test_a_pipeline_without_row_path_still_answers(predictor, monkeypatch):
    rows = new_rows(str(predictor.task)).iloc[[2]]
    expected = predictor.predict(rows)
    monkeypatch.setitem(predictor._cache, "row_path", (predictor.pipeline, None))
    pd.testing.assert_series_equal(predictor.predict(rows), expected, check_exact=False, rtol=0, atol=1e-6)


def test_a_predictor_copies_and_pickles_without_its_row_path(predictor):
    import copy
    import pickle
    rows = new_rows(str(predictor.task)).iloc[[4]]
    expected = predictor.predict(rows)
    assert predictor.row_path() is not None
    for other in (copy.deepcopy(predictor), pickle.loads(pickle.dumps(predictor))):
        assert "row_path" not in other._cache
        pd.testing.assert_series_equal(other.predict(rows), expected)
