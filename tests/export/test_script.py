"""``manabu export-code``: the script runs without manabu and scores what the leaderboard says."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import manabu
from manabu.data.read import read
from manabu.data.splits import ValidationPlan, choose_validation, make_folds
from manabu.base.errors import ConfigError
from manabu.evaluate.metrics import get_metric, metrics_for
from manabu.export import script_for_folder
from manabu.export.script import best_single_row, export_script
from manabu.export.source import ScriptParts, Source
from manabu.export.training import scoring_section, validation_section
from manabu.search.crossval import score_predictions

# what a score may differ by between manabu and the script: thread scheduling, nothing more
NOISE = 1e-6

# the script is written from the schema and the leaderboard, never from the report's numbers
pytestmark = pytest.mark.usefixtures("without_report_numbers")


def shop_frame(n: int = 500, seed: int = 0) -> pd.DataFrame:
    """A Japanese shop's export: prices as "1,234円", yes/no in Japanese, dates in 年月日,
    numbers and text mixed in a category, a free-text column, an ID, missing values."""
    rng = np.random.default_rng(seed)
    price = rng.integers(500, 50_000, n)
    member = rng.choice(["はい", "いいえ"], n)
    area = rng.choice(["東京", "大阪", "名古屋", "福岡"], n)
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    size = rng.choice(["1", "2", "3", "L"], n)
    words = rng.choice(["とても良い", "普通", "また買いたい", "残念", "早い配送", "高い", "安い"], (n, 3))
    signal = price / 50_000 + (member == "はい") * 0.5 + (area == "東京") * 0.3 + (size == "L") * 0.2
    frame = pd.DataFrame({
        "注文ID": [f"A{i:05d}" for i in range(n)],
        "日付": [f"{d.year}年{d.month}月{d.day}日" for d in day],
        "価格": [f"{p:,}円" for p in price],
        "会員": member, "地域": area, "サイズ": size,
        "コメント": [" ".join(w) + f" {i}" for i, w in enumerate(words)],
        "購入": np.where(signal + rng.normal(0, 0.3, n) > 0.8, "する", "しない"),
    })
    frame.loc[rng.choice(n, n // 20, replace=False), "価格"] = ""
    frame.loc[rng.choice(n, n // 20, replace=False), "地域"] = None
    return frame


@pytest.fixture(scope="module")
def shop_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("shop") / "shop.csv"
    shop_frame().to_csv(path, index=False, encoding="cp932")
    return path


def load(script: str) -> dict:
    """The script's functions, without running its main()."""
    namespace = {"__name__": "exported"}
    exec(compile(script, "train_best.py", "exec"), namespace)
    return namespace


# One thread for the script's linear algebra and OpenMP loops, as manabu fits on data this small
# (models.entry.threads_for): two test workers' scripts on two threads each spin against each
# other (an MLP's five folds: 26 s instead of 6 s on a busy 2-core machine). The scores are the same.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def run_without_manabu(script: Path, *args) -> subprocess.CompletedProcess:
    """Run the script in a Python where ``import manabu`` fails."""
    blocker = "import runpy, sys; sys.modules['manabu'] = None; sys.argv = sys.argv[1:]; " \
              "runpy.run_path(sys.argv[0], run_name='__main__')"
    return subprocess.run([sys.executable, "-c", blocker, str(script), *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", timeout=300, cwd=script.parent,
                          env={**os.environ, **ONE_THREAD})


def printed_scores(output: str) -> tuple[float, float]:
    found = re.search(r"^\w+ (-?[\d.]+) \(manabu's leaderboard: (-?[\d.]+)\)$", output.strip().splitlines()[-1])
    assert found, output
    return float(found[1]), float(found[2])


FAMILIES = ["linear", "decision_tree", "lightgbm", "xgboost", "catboost", "hist_gradient_boosting",
            "random_forest", "extra_trees", "knn", "svm", "mlp"]


@pytest.mark.parametrize("family", FAMILIES)
def test_the_script_reproduces_the_leaderboard_score_without_manabu(family, shop_csv, tmp_path):
    predictor = manabu.fit(shop_csv, target="購入", models=[family], max_trials=1, time_limit=60, verbose=False)
    predictor.save(tmp_path / "model", report=False)  # the script is written from the manifest alone
    script = tmp_path / "train_best.py"
    script.write_text(script_for_folder(tmp_path / "model"), encoding="utf-8")
    assert "manabu" not in "".join(line for line in script.read_text("utf-8").splitlines()
                                   if line.startswith(("import", "from")))
    result = run_without_manabu(script)
    assert result.returncode == 0, result.stderr
    mine, leaderboard = printed_scores(result.stdout)
    row = best_single_row(predictor.record.to_dict())
    assert leaderboard == pytest.approx(row["score"], abs=1e-4)
    assert mine == pytest.approx(row["score"], abs=NOISE + 1e-4), result.stdout  # printed with 4 decimals
    assert len(re.findall(r"^fold \d/5: roc_auc", result.stdout, re.M)) == 5


def test_regression_and_multiclass_scripts_match_too(tmp_path):
    frame = shop_frame(300)
    frame["金額"] = pd.to_numeric(frame["価格"].str.replace(r"[,円]", "", regex=True), errors="coerce")
    frame = frame.dropna(subset=["金額"])
    for target, drop in (("金額", ["価格", "購入"]), ("地域", ["購入"])):
        data = tmp_path / f"{target}.parquet"
        frame.drop(columns=drop).dropna(subset=[target]).to_parquet(data)
        predictor = manabu.fit(data, target=target, models=["lightgbm"], max_trials=1, time_limit=60, verbose=False)
        script = tmp_path / f"{target}.py"
        script.write_text(export_script(predictor.schema, predictor.record.to_dict()), encoding="utf-8")
        mine, _ = printed_scores(run_without_manabu(script).stdout)
        assert mine == pytest.approx(best_single_row(predictor.record.to_dict())["score"], abs=1e-4)


def test_prepare_types_every_column_as_the_schema_does(shop_csv):
    predictor = manabu.fit(shop_csv, target="購入", models=["linear"], max_trials=1, time_limit=30, verbose=False)
    exported = load(export_script(predictor.schema, predictor.record.to_dict()))
    raw = exported["read_data"](str(shop_csv))
    for rows in (raw, raw.head(40)):  # manabu reads small frames value by value: both paths
        mine = exported["prepare"](rows)
        pd.testing.assert_frame_equal(mine, predictor.schema.prepare(read(rows)), check_dtype=False)
    assert mine["価格"].isna().sum() > 0 and mine["会員"].isin([0.0, 1.0]).all()
    assert str(mine["日付"].dtype) == "datetime64[ns]"


def test_a_model_trained_from_a_data_frame_asks_for_the_file(tmp_path):
    frame = shop_frame(200)
    predictor = manabu.fit(frame, target="購入", models=["linear"], max_trials=1, time_limit=30, verbose=False)
    script = tmp_path / "train_best.py"
    script.write_text(predictor.export_code(), encoding="utf-8")
    asked = run_without_manabu(script)
    assert asked.returncode == 2 and "give the data file" in asked.stderr
    frame.to_csv(tmp_path / "shop.csv", index=False)
    mine, leaderboard = printed_scores(run_without_manabu(script, tmp_path / "shop.csv").stdout)
    assert mine == pytest.approx(leaderboard, abs=1e-4)
    wrong = tmp_path / "wrong.csv"
    frame.drop(columns=["価格"]).to_csv(wrong, index=False)
    refused = run_without_manabu(script, wrong)
    assert refused.returncode == 2 and "価格" in refused.stderr


def saved_model_answers(script: Path, model_file: Path, data: Path) -> tuple[dict, np.ndarray, pd.DataFrame]:
    """The model that ``script --save`` wrote, its answers on ``data`` through the script's own
    reading, preparing and predict(), and the rows read."""
    import joblib
    sys.path.insert(0, str(script.parent))  # the model's date and text transformers are defined in the script
    try:
        saved = joblib.load(model_file)
    finally:
        sys.path.remove(str(script.parent))
        sys.modules.pop(script.stem, None)
    exported = load(script.read_text("utf-8"))
    frame = exported["read_data"](str(data))
    return saved, exported["predict"](saved["model"], exported["prepare"](frame), len(saved["classes"])), frame


def test_save_trains_on_every_row_and_keeps_the_model(shop_csv, tmp_path):
    predictor = manabu.fit(shop_csv, target="購入", models=["lightgbm"], max_trials=1, time_limit=30, verbose=False)
    script = tmp_path / "train_best.py"
    script.write_text(export_script(predictor.schema, predictor.record.to_dict()), encoding="utf-8")
    assert run_without_manabu(script, "--save", tmp_path / "model.joblib").returncode == 0
    saved, proba, frame = saved_model_answers(script, tmp_path / "model.joblib", shop_csv)
    assert saved["classes"] == ["しない", "する"] and proba.shape == (len(frame), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_a_model_fitted_on_a_sample_is_scored_and_saved_on_the_same_sample(shop_csv, tmp_path, monkeypatch):
    """A strong family that the search fitted on part of the rows (to finish in time): the script
    takes the same seeded sample in each fold and for --save, so its score and model are manabu's."""
    from dataclasses import replace

    from manabu.search import loop

    def on_half_the_rows(run, candidate):
        return replace(candidate, row_fraction=0.5, name=f"{candidate.name} (50% rows)")
    monkeypatch.setattr(loop._Run, "runnable", on_half_the_rows)
    predictor = manabu.fit(shop_csv, target="購入", models=["lightgbm"], max_trials=1, time_limit=30, verbose=False)
    row = best_single_row(predictor.record.to_dict())
    assert row["row_fraction"] == 0.5
    script = tmp_path / "train_best.py"
    script.write_text(export_script(predictor.schema, predictor.record.to_dict()), encoding="utf-8")
    result = run_without_manabu(script, "--save", tmp_path / "model.joblib")
    assert result.returncode == 0, result.stderr
    mine, leaderboard = printed_scores(result.stdout.split("saved /")[0])  # the score, before the save's line
    assert mine == pytest.approx(row["score"], abs=NOISE + 1e-4), result.stdout
    saved, proba, _ = saved_model_answers(script, tmp_path / "model.joblib", shop_csv)
    ours = predictor.predict_proba(read(shop_csv).drop(columns="購入")).to_numpy()
    np.testing.assert_allclose(proba, ours, atol=1e-9)


# -- the pieces, against manabu's own ---------------------------------------------------------

@pytest.mark.parametrize("kind, override, column", [
    ("kfold", None, None), ("stratified", None, None), ("loo", "loo", None), ("holdout", "holdout", None),
    ("groups", None, "group"), ("groups-holdout", "holdout", "group"), ("time", None, "time"),
    ("time-holdout", "holdout", "time")])
def test_the_folds_are_the_ones_manabu_drew(kind, override, column):
    rng = np.random.default_rng(1)
    n = 40 if kind == "loo" else 120
    frame = pd.DataFrame({"g": rng.integers(0, 12, n), "t": rng.permutation(n).astype(float)})
    y = rng.integers(0, 2, n)
    task = "regression" if kind == "kfold" else "binary"
    groups = frame["g"].to_numpy() if column == "group" else None
    times = frame["t"] if column == "time" else None
    plan = choose_validation(n, task, y if task != "regression" else None, groups=groups, time=times,
                             override=override, seed=3)
    expected = make_folds(plan, n, y, groups=groups, time=times)
    parts = ScriptParts(Source())
    code = validation_section(ValidationPlan.from_dict(plan.to_dict()), {"group": "g", "time": "t"}, parts)
    folds = load("\n".join(parts.import_lines()) + "\n" + code)["make_folds"](y, frame)
    assert len(folds) == len(expected)
    for (train, valid), (want_train, want_valid) in zip(folds, expected):
        assert np.array_equal(train, want_train) and np.array_equal(valid, want_valid)


def test_the_first_folds_alone_when_the_search_had_time_for_no_more():
    rng = np.random.default_rng(4)
    y, frame = rng.integers(0, 2, 150), pd.DataFrame({"x": np.arange(150)})
    plan = choose_validation(150, "binary", y, seed=5).first_folds(2)
    expected = make_folds(plan, 150, y)
    parts = ScriptParts(Source())
    code = validation_section(ValidationPlan.from_dict(plan.to_dict()), {}, parts)
    folds = load("\n".join(parts.import_lines()) + "\n" + code)["make_folds"](y, frame)
    assert len(folds) == len(expected) == 2
    for (train, valid), (want_train, want_valid) in zip(folds, expected):
        assert np.array_equal(train, want_train) and np.array_equal(valid, want_valid)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_every_metric_is_computed_as_manabu_computes_it(task):
    rng = np.random.default_rng(2)
    n, k = 200, {"binary": 2, "multiclass": 4, "regression": 0}[task]
    if task == "regression":
        y, predicted = rng.normal(size=n), rng.normal(size=n)
    else:
        y = rng.integers(0, k, n)
        predicted = rng.dirichlet(np.ones(k), n)
        predicted[:5] = np.eye(k)[y[:5]]  # certain answers: log loss clips them
    for metric in metrics_for(task):
        parts = ScriptParts(Source())
        code = scoring_section(metric.name, task, parts)
        score = load("\n".join(parts.import_lines()) + "\n" + code)["score"]
        want = score_predictions(get_metric(metric.name, task), task, y, predicted, k)
        assert score(y, predicted) == pytest.approx(want, rel=1e-12), metric.name


def test_an_ensemble_is_written_as_its_best_single_model():
    training = {"best_model": "ensemble", "leaderboard": [
        {"rank": 1, "model": "ensemble", "family": "ensemble", "score": 0.9},
        {"rank": None, "model": "svm", "family": "svm", "score": 0.95, "status": "too_slow"},
        {"rank": 2, "model": "lightgbm #2", "family": "lightgbm", "score": 0.88}]}
    assert best_single_row(training)["model"] == "lightgbm #2"
    with pytest.raises(ConfigError, match="no finished single model"):
        best_single_row({"leaderboard": training["leaderboard"][:2]})
