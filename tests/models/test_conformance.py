"""The zoo's conformance test, driven by what each family declares (as scikit-learn's
``estimator_checks`` are driven by tags): a family added to ``manabu.models.zoo.ZOO`` is checked
here without editing this file.

For every family and every task it claims (``ModelEntry.tasks``):

1. every portfolio configuration trains on small data and predicts the right shape
   (probabilities that sum to one for classes);
2. the same seed gives the same predictions;
3. a family with a deadline hook (``stop_at``) honours a deadline already past: by raising
   ``DeadlineExceeded``, or, where it ``keeps_partial``, with a whole model that says so;
4. save -> load gives identical predictions, stored in the family's ``codec`` format (else skops);
5. the compiled row path, where one is built, answers as the pipeline; a family that brings its
   own row model (``row_model``) must get one;
6. every family is either rebuilt by the exported script (tests/export/test_script.py checks
   those) or refused by the exporter with a clear ConfigError; a family's own way of training in
   that script (``script_fit``) is valid Python defining ``fit`` for every task, with and without
   category codes.

Families that learn from text (``needs_text``, or text-only preprocessing) get a frame with a
short Japanese (or English) review column, families that learn from images a table of 8 x 8 pixels; families whose extra is not installed are skipped,
naming it. The slower checks (2-5) use each family's first portfolio configuration only, a
forest's with ``FEW_TREES`` trees.
"""
from __future__ import annotations

import ast
import functools
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from manabu.artifact import load_model, save_model
from manabu.base.errors import ConfigError
from manabu.data.schema import infer_schema
from manabu.export.script import best_single_row, export_script
from manabu.features.preprocess import PreprocessKind
from manabu.inference import Unsupported, build_row_path
from manabu.models.entry import DeadlineExceeded, ModelEntry, stopped_at_deadline
from manabu.models.outputs import predict_scores
from manabu.models.zoo import ZOO, portfolio
from manabu.search.candidate import Candidate
from tests.frames import mixed_frame
from tests.images import pixel_frame
from tests.text.corpus import english_reviews, japanese_reviews

N_ROWS, N_TRAIN = 200, 160
TASKS = ("binary", "multiclass", "regression")
TEXT_ONLY = (PreprocessKind.TOKENS, PreprocessKind.RAW_TEXT)
SKOPS = "skops"
DEADLINE_SECONDS = 5.0  # a deadline already past must stop a fit within this
# checks 2-5 answer alike for 20 trees as for 200: a forest's configuration keeps at most these
# (saving and loading 200 full trees with skops took 4-5 s a case, most of the file's time)
FEW_TREES = 20
# and a network's trains at most this many epochs (the checks ask for whole models, not good ones)
FEW_EPOCHS = 3
EXPORT_TESTS = Path(__file__).resolve().parents[1] / "export" / "test_script.py"

CASES = [(name, task) for name, entry in ZOO.items() for task in TASKS if entry.supports(task)]
NO_DEADLINE_HOOK = sorted(name for name, entry in ZOO.items() if not entry.stop_at(time.monotonic()))


def _facts(task: str) -> frozenset[str]:
    # the regression frame's target is shifted above zero (below), so the configurations for a
    # positive target ("when": "positive_target") are tried too
    return frozenset({"positive_target"} if task == "regression" else set())


def _n_configs(name: str, task: str) -> int:
    """How many portfolio configurations check 1 trains; a family without a portfolio still gets
    one case, which fails saying so."""
    try:
        return len(portfolio(name, _facts(task))) or 1
    except FileNotFoundError:
        return 1


CONFIG_CASES = [pytest.param(name, task, i, id=f"{name}-{task}-config{i}")
                for name, task in CASES for i in range(_n_configs(name, task))]


def _ids(cases):
    return [f"{name}-{task}" for name, task in cases]


def _needs_text(entry: ModelEntry) -> bool:
    return entry.needs_text or entry.preprocess in TEXT_ONLY


def _text_corpus(entry: ModelEntry):
    """Reviews in a language the family is offered for (None: none that the tests can make)."""
    if entry.languages is None or entry.languages & {"ja", "mixed"}:
        return lambda n: japanese_reviews(n)["レビュー"]
    if "en" in entry.languages:
        return lambda n: english_reviews(n)["review"]
    return None


@functools.lru_cache(maxsize=None)
def _data(name: str, task: str):
    """(schema, prepared rows, encoded target, number of classes): ``mixed_frame`` with, for the
    text families, a short review column."""
    entry = ZOO[name]
    if not entry.available():
        pytest.skip(f"{name}: its extra manabu[{entry.extra}] is not installed")
    frame = pixel_frame(N_ROWS, task, side=8) if entry.needs_images else mixed_frame(n=N_ROWS, task=task)
    if _needs_text(entry):
        corpus = _text_corpus(entry)
        if corpus is None:
            pytest.skip(f"{name}: offered only for text in {sorted(entry.languages)}, which the tests do not make")
        frame["review"] = corpus(N_ROWS).to_numpy()
    if entry.needs_molecules:
        from tests.models.test_molecule_graphs import molecules
        frame["smiles"] = molecules(N_ROWS)
    if task == "regression":
        frame["y"] = frame["y"] - frame["y"].min() + 1.0  # above zero: the positive-target configurations apply
    schema = infer_schema(frame, "y")
    X = schema.prepare(frame)
    if task == "regression":
        y, n_classes = frame["y"].to_numpy(dtype=float), 0
    else:
        y = np.unique(frame["y"].to_numpy(), return_inverse=True)[1]
        n_classes = int(y.max()) + 1
    return frame, schema, X, y, n_classes


def _fit(name: str, task: str, index: int = 0, *, deadline: float | None = None, few_trees: bool = False):
    """A pipeline of the family's ``index``-th portfolio configuration, fitted on the training rows
    (``few_trees``: with at most ``FEW_TREES`` trees, where the configuration sets their number)."""
    frame, schema, X, y, _ = _data(name, task)
    params = dict(portfolio(name, _facts(task))[index])
    if few_trees and "n_estimators" in params:
        params["n_estimators"] = min(int(params["n_estimators"]), FEW_TREES)
    if "max_epochs" in ZOO[name].make(task, {}, 0).get_params():
        params["max_epochs"] = min(int(params.get("max_epochs", FEW_EPOCHS)), FEW_EPOCHS)
    pipeline, fit_params = Candidate(name, ZOO[name], params, "portfolio").build(
        schema, task, seed=0, n_rows=N_TRAIN, deadline=deadline)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings on 160 rows are not this test's business
        pipeline.fit(X.iloc[:N_TRAIN], y[:N_TRAIN], **fit_params)
    return pipeline


@functools.lru_cache(maxsize=None)
def _fitted(name: str, task: str):
    """The first configuration's pipeline, fitted once per worker and shared by checks 2, 4, 5."""
    return _fit(name, task, 0, few_trees=True)


def _scores(pipeline, name: str, task: str) -> np.ndarray:
    _, _, X, _, n_classes = _data(name, task)
    return predict_scores(pipeline, X.iloc[N_TRAIN:], task, n_classes)


@pytest.fixture(autouse=True)
def one_thread():
    """OpenMP threads spin waiting for each other on a busy two-core machine: one is faster."""
    with threadpool_limits(1):
        yield


# -- 1. every portfolio configuration trains and predicts the right shape ----------------------

@pytest.mark.parametrize(("name", "task", "index"), CONFIG_CASES)
def test_every_portfolio_configuration_trains_and_predicts(name, task, index):
    where = f"{name} / {task} / portfolio config {index} {portfolio(name, _facts(task))[index]}"
    pipeline = _fit(name, task, index)
    _, _, X, y, n_classes = _data(name, task)
    n_test = len(X) - N_TRAIN
    scores = _scores(pipeline, name, task)
    labels = np.asarray(pipeline.predict(X.iloc[N_TRAIN:]))
    assert labels.shape == (n_test,), f"{where}: predict gave shape {labels.shape}"
    assert np.isfinite(scores).all(), f"{where}: predictions that are not finite"
    if task == "regression":
        assert scores.shape == (n_test,), f"{where}: predict gave shape {scores.shape}"
        assert np.std(scores) > 0, f"{where}: the same value for every row"
    else:
        assert scores.shape == (n_test, n_classes), f"{where}: predict_proba gave shape {scores.shape}"
        assert (scores >= 0).all() and (scores <= 1).all(), f"{where}: probabilities outside [0, 1]"
        np.testing.assert_allclose(scores.sum(axis=1), 1.0, rtol=0, atol=1e-6,
                                   err_msg=f"{where}: probabilities do not sum to one")
        assert set(np.unique(labels)) <= set(range(n_classes)), f"{where}: labels outside the classes"
        np.testing.assert_array_equal(np.asarray(pipeline.classes_)[scores.argmax(axis=1)], labels,
                                      err_msg=f"{where}: predict is not the most probable class")


# -- 2. the same seed gives the same predictions -------------------------------------------------

@pytest.mark.parametrize(("name", "task"), CASES, ids=_ids(CASES))
def test_the_same_seed_gives_the_same_predictions(name, task):
    where = f"{name} / {task} / portfolio config 0"
    first = _scores(_fitted(name, task), name, task)
    again = _scores(_fit(name, task, 0, few_trees=True), name, task)
    np.testing.assert_allclose(again, first, rtol=0, atol=1e-12,
                               err_msg=f"{where}: two fits with seed 0 predict differently")


# -- 3. a deadline already past stops the fit ---------------------------------------------------

@pytest.mark.parametrize(("name", "task"), CASES, ids=_ids(CASES))
def test_a_past_deadline_stops_training(name, task):
    if name in NO_DEADLINE_HOOK:
        pytest.skip(f"{name} declares no deadline hook (stop_at); families without one: {', '.join(NO_DEADLINE_HOOK)}")
    where = f"{name} / {task} / portfolio config 0"
    _data(name, task)  # skips when the family is not available
    started = time.monotonic()
    try:
        pipeline = _fit(name, task, 0, deadline=started - 1.0, few_trees=True)
    except DeadlineExceeded:
        assert not ZOO[name].keeps_partial, f"{where}: declares keeps_partial, yet raised at its deadline"
    else:
        if not ZOO[name].keeps_partial:
            pytest.fail(f"{where}: trained to the end although its deadline had passed (stop_at declared)")
        assert stopped_at_deadline(pipeline), f"{where}: ended without saying it stopped at its deadline"
        assert np.isfinite(_scores(pipeline, name, task)).all(), f"{where}: the model kept at its deadline " \
                                                                 "does not predict"
    took = time.monotonic() - started
    assert took < DEADLINE_SECONDS, f"{where}: stopped {took:.1f} s after a deadline already past"


def test_the_families_without_a_deadline_hook_are_named():
    """What check 3 skips, in one place: each such family's fit cannot be stopped mid-way."""
    hooked = sorted(set(ZOO) - set(NO_DEADLINE_HOOK))
    assert hooked, "no family of the zoo declares a deadline hook: check 3 checks nothing"
    for name in hooked:
        params = ZOO[name].stop_at(time.monotonic())
        assert isinstance(params, dict) and params, f"{name}: stop_at gave {params!r}"
    print("without a deadline hook:", ", ".join(NO_DEADLINE_HOOK))


# -- 4. save -> load gives identical predictions, in the family's format ------------------------

@pytest.mark.parametrize(("name", "task"), CASES, ids=_ids(CASES))
def test_save_and_load_give_identical_predictions(name, task, tmp_path):
    where = f"{name} / {task} / portfolio config 0"
    entry = ZOO[name]
    pipeline = _fitted(name, task)
    _, _, X, _, _ = _data(name, task)
    folder = save_model(tmp_path / "model", pipeline, {"task": task})
    loaded, manifest = load_model(folder)
    expected_format = entry.codec.model_format if entry.codec is not None else SKOPS
    assert manifest["pipeline"]["model_format"] == expected_format, \
        f"{where}: stored as {manifest['pipeline']['model_format']!r}, declared {expected_format!r}"
    np.testing.assert_allclose(_scores(loaded, name, task), _scores(pipeline, name, task), rtol=0, atol=1e-12,
                               err_msg=f"{where}: the reloaded model predicts differently")
    np.testing.assert_array_equal(loaded.predict(X.iloc[N_TRAIN:]), pipeline.predict(X.iloc[N_TRAIN:]),
                                  err_msg=f"{where}: the reloaded model's predict differs")


# -- 5. the compiled row path answers as the pipeline -------------------------------------------

def _new_rows(name: str, task: str) -> pd.DataFrame:
    """The test rows, with an unseen category and a row of missing values among them."""
    frame, _, _, _, _ = _data(name, task)
    rows = frame.iloc[N_TRAIN:].drop(columns="y").reset_index(drop=True)
    rows["flag"] = rows["flag"].astype(object)  # so that it can hold a missing value
    rows.loc[0, "colour"] = "紫"
    rows.loc[1, ["x1", "x2", "colour", "when", "flag"]] = np.nan
    return rows


@pytest.mark.parametrize(("name", "task"), CASES, ids=_ids(CASES))
def test_the_row_path_answers_as_the_pipeline(name, task):
    where = f"{name} / {task} / portfolio config 0"
    entry = ZOO[name]
    pipeline = _fitted(name, task)
    _, schema, _, _, _ = _data(name, task)
    try:
        path = build_row_path(pipeline, schema)
    except Unsupported as reason:
        assert entry.row_model is None, f"{where}: declares its own row model, yet no row path: {reason}"
        pytest.skip(f"{name} / {task}: no row path ({reason}); the pipeline answers")
    rows = _new_rows(name, task)
    values, n = schema.prepare_values(rows), len(rows)
    prepared = schema.prepare(rows)
    if task == "regression":
        np.testing.assert_allclose(np.asarray(path.predict(values, n), dtype=float),
                                   np.asarray(pipeline.predict(prepared), dtype=float), rtol=0, atol=1e-6,
                                   err_msg=f"{where}: the row path's values differ")
    else:
        np.testing.assert_allclose(np.asarray(path.predict_proba(values, n), dtype=float),
                                   np.asarray(pipeline.predict_proba(prepared), dtype=float), rtol=0, atol=1e-6,
                                   err_msg=f"{where}: the row path's probabilities differ")
        np.testing.assert_array_equal(np.asarray(path.predict(values, n)), np.asarray(pipeline.predict(prepared)),
                                      err_msg=f"{where}: the row path's labels differ")
    for i in (0, 1, 2):  # one row at a time, as a server is asked
        one = schema.prepare_values(rows.iloc[[i]])
        got = path.predict(one, 1) if task == "regression" else path.predict_proba(one, 1)
        want = pipeline.predict(prepared.iloc[[i]]) if task == "regression" else \
            pipeline.predict_proba(prepared.iloc[[i]])
        np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=0, atol=1e-6,
                                   err_msg=f"{where}: the row path differs on row {i} alone")


# -- 6. the exported script: every family rebuilt there, or refused clearly ---------------------

def _exported_families() -> list[str]:
    """The families that tests/export/test_script.py runs the exported script for (its FAMILIES)."""
    tree = ast.parse(EXPORT_TESTS.read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "FAMILIES" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"{EXPORT_TESTS} defines no FAMILIES list")


def _training(name: str, task: str) -> dict:
    """A manifest's ``training`` whose leaderboard holds one finished model of ``name``."""
    return {"task": task, "n_rows": N_ROWS, "metric": "roc_auc", "config": {"seed": 0},
            "best_model": name, "leaderboard": [
                {"rank": 1, "model": name, "family": name, "score": 0.9, "origin": "portfolio", "params": {}}]}


def test_the_exported_script_covers_every_family_or_refuses_it():
    exported = _exported_families()
    assert not set(exported) - set(ZOO), f"tests/export/test_script.py checks families the zoo lacks: " \
                                          f"{sorted(set(exported) - set(ZOO))}"
    for name, entry in ZOO.items():
        if name in exported:
            assert best_single_row(_training(name, "binary"))["family"] == name, \
                f"{name}: checked by the export test, yet the exporter passes it over"
            continue
        assert entry.needs_text or entry.needs_images or entry.needs_molecules or entry.preprocess in TEXT_ONLY, \
            f"{name}: neither checked by tests/export/test_script.py (FAMILIES) nor a text, image or molecule " \
            f"family the exporter refuses: add it to that test"
        schema = _data(name, "binary")[1] if entry.available() else infer_schema(mixed_frame(60), "y")
        with pytest.raises(ConfigError) as refused:
            export_script(schema, _training(name, "binary"))
        expected = "export.molecules" if entry.needs_molecules and entry.available() else "export.no_single_model"
        assert refused.value.key == expected, f"{name}: refused with {refused.value.key}"
        why = "image" if entry.needs_images else "molecules" if expected == "export.molecules" else "text"
        assert why in str(refused.value), f"{name}: the refusal does not say why: {refused.value}"


@pytest.mark.parametrize("name", sorted(name for name, entry in ZOO.items() if entry.script_fit is not None))
def test_a_family_s_script_fit_is_python_that_defines_fit(name):
    entry = ZOO[name]
    for task in TASKS:
        for n_categorical in (0, 3):
            fitting = entry.script_fit(task, n_categorical)
            tree = ast.parse("\n\n".join([*fitting.helpers, fitting.fit]))
            defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
            assert "fit" in defined, f"{name} / {task}: its script_fit defines no fit(X, y)"
            assert ("CATEGORY_CODES" in fitting.fit + fitting.features_of_x) <= fitting.category_codes, \
                f"{name} / {task}: uses CATEGORY_CODES without asking the script to define it"
            ast.parse(fitting.features_of_x, mode="eval")
