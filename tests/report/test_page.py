"""The report page from a real training run: every section, both languages, escaped data,
charts drawn with Japanese glyphs, and rebuilt from a saved folder alone."""
from __future__ import annotations

import html
import re
import time
import warnings

import numpy as np
import pandas as pd
import pytest

import manabu
from manabu.artifact import verify
from manabu.base.i18n import catalogue
from manabu.report import REPORT_FILE, Report, charts, predictor_report, render_report, write_report


def _frame(task: str, n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "年齢": rng.integers(18, 80, n).astype(float),
        "都道府県": rng.choice(["東京都", "大阪府", "北海道", "沖縄県"], n),
        "収入": rng.lognormal(10, 0.5, n),
        "<b>tag</b>": rng.choice(["a", "b"], n),  # a hostile column name: must show as text
    })
    frame.loc[::9, "収入"] = np.nan
    signal = (frame["年齢"] - 45) / 15 + (frame["都道府県"] == "東京都") + rng.normal(0, 0.5, n)
    if task == "binary":
        frame["y"] = np.where(signal > 0.3, "はい", "いいえ")
    elif task == "multiclass":
        frame["y"] = pd.cut(signal, 5, labels=["とても低い", "低い", "中", "高い", "とても高い"]).astype(str)
    else:
        frame["y"] = signal * 10 + 100
    return frame


@pytest.fixture(scope="module", params=["binary", "multiclass", "regression"])
def trained(request):
    task = request.param
    predictor = manabu.fit(_frame(task), target="y", time_limit=20, models=["linear", "decision_tree"],
                           max_trials=2, verbose=False)
    return task, predictor


@pytest.fixture(scope="module")
def english_page(trained) -> str:
    """The page in English, drawn once for the tests that only read it (a page takes seconds)."""
    _, predictor = trained
    return predictor_report(predictor, lang="en")


def test_every_section_is_in_the_page_in_both_languages(trained):
    task, predictor = trained
    page = predictor_report(predictor, lang="ja")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="ja">' in page
    for anchor in ("summary", "data", "models", "best", "learning"):
        assert f'<section id="{anchor}">' in page
    for key in ("learning_caption", "importance_title", "dependence_title"):  # small models: always made
        assert catalogue("en")[f"report.{key}"] in page
    # linear and tree have no TreeSHAP: SHAP values all the same, model-agnostic (or through an ensemble's members)
    assert catalogue("en")["report.shap_absent"].split("{")[0] not in page
    assert any(catalogue("en")[f"report.shap_explain_{how}"].split("{")[0] in page for how in ("kernel", "ensemble"))
    for lang in ("ja", "en"):  # every section title, in each language
        for key in ("summary_title", "data_title", "models_title", "best_title"):
            assert catalogue(lang)[f"report.{key}"] in page
    if task == "binary":
        for key in ("confusion_title", "roc_title", "pr_title", "calibration_title", "threshold_title"):
            assert catalogue("en")[f"report.{key}"] in page
    elif task == "multiclass":
        for key in ("confusion_title", "class_report_title", "roc_title", "calibration_title"):
            assert catalogue("en")[f"report.{key}"] in page
        assert "<td>とても高い</td>" in page  # the per-class table names the classes as text
        assert "average precision —" not in page  # the mean over classes, not a blank
    else:
        for key in ("actual_title", "residuals_title"):
            assert catalogue("en")[f"report.{key}"] in page
    assert "<td>都道府県</td>" in page  # the column table names Japanese columns as text
    assert page.count("<svg") >= 6


def test_data_from_the_user_is_escaped(english_page):
    page = english_page
    assert "<b>tag</b>" not in page
    assert "&lt;b&gt;tag&lt;/b&gt;" in page


def test_the_page_needs_no_network(english_page):
    page = english_page
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    assert "@import" not in page and "<link" not in page


def test_japanese_glyphs_are_drawn_not_boxed():
    """matplotlib warns "Glyph ... missing from font" where it would draw an empty box."""
    assert charts.japanese_font() == charts.JAPANESE_FONT, "the matplotlib-fontja package is a dependency"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svg = charts.levels(["東京都", "大阪府", "ｶﾀｶﾅ", "ひらがな"], [5, 4, 3, 2], other=1)
    assert svg.startswith("<svg") and "<path" in svg and "<text" not in svg  # glyphs are paths


def test_the_saved_folder_rebuilds_its_report_and_still_verifies(trained, english_page, tmp_path):
    _, predictor = trained
    folder = predictor.save(tmp_path / "model", derived={REPORT_FILE: english_page.encode()})
    first = (folder / REPORT_FILE).read_text("utf-8")
    assert '<section id="data">' in first
    (folder / REPORT_FILE).unlink()
    written = write_report(folder, lang="en")
    rebuilt = written.read_text("utf-8")
    assert written == folder / REPORT_FILE and '<html lang="en">' in rebuilt
    assert re.sub(r"Made by manabu on [^.]*", "", rebuilt).count("<svg") == first.count("<svg")
    verify(folder)  # the report is not a checksummed file: rebuilding it is not tampering
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file left beside it"
    manabu.load(folder)


def test_a_model_saved_without_report_numbers_gets_a_page_that_says_so(trained):
    _, predictor = trained
    record = {**predictor.record.to_dict(), "report": None}
    page = render_report(record, "en")
    assert catalogue("en")["report.data_missing"] in page
    assert catalogue("en")["report.diagnostics_missing"] in page
    assert '<section id="models">' in page


def test_notebooks_show_the_predictor_and_the_report_as_html(trained, tmp_path):
    _, predictor = trained
    summary = predictor._repr_html_()
    assert "<table" in summary and predictor.record.best_model in summary
    report = Report(predictor, lang="en")
    shown = report._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and "<section" not in shown  # the page is quoted inside
    assert html.unescape(shown.split('srcdoc="', 1)[1].split('" title=', 1)[0]) == report.html
    assert report.save(tmp_path / "r.html").read_text("utf-8") == report.html


def test_charts_asked_for_after_the_drawing_deadline_are_left_out_saying_so():
    """A page drawn within --time-limit on a machine slower than planned for: the charts after
    the deadline are a line in both languages, counted, instead of a late page."""
    import time

    with charts.drawing_until(time.monotonic() + 60) as ahead:
        assert charts.histogram([0.0, 1.0, 2.0], [3, 4]).startswith("<svg")
    assert ahead.left_out == 0
    with charts.drawing_until(time.monotonic() - 1) as passed:
        line = charts.histogram([0.0, 1.0, 2.0], [3, 4])
        charts.levels(["a", "b"], [2, 1])
    assert passed.left_out == 2 and "<svg" not in line
    for lang in ("en", "ja"):
        assert f'<span lang="{lang}">{catalogue(lang)["report.chart_left_out"]}</span>' in line
    assert charts.histogram([0.0, 1.0], [3]).startswith("<svg"), "outside the block, no deadline"


def test_a_training_run_past_its_limit_saves_a_shorter_report_not_a_late_one(tmp_path):
    from manabu.api import TrainRun
    from manabu.training.config import TrainConfig

    run = TrainRun(_frame("binary"), TrainConfig(target="y", time_limit=3, models=("linear",), max_trials=1),
                   tmp_path / "m", started=time.monotonic() - 100)  # the limit passed long ago
    run.train()
    page = run.draw_report().decode("utf-8")
    assert "chart-left-out" in page and "<svg" not in page


def test_the_words_of_a_text_column_are_left_out_saying_so_when_the_limit_has_passed(tmp_path):
    from manabu.api import TrainRun
    from manabu.base.i18n import t
    from manabu.training.config import TrainConfig

    rng = np.random.default_rng(0)
    good, bad = ["great", "lovely", "fast", "kind"], ["awful", "slow", "broken", "rude"]
    label = rng.integers(0, 2, 120)
    reviews = [" ".join(rng.choice(good if y else bad, 4)) + " delivery" for y in label]
    frame = pd.DataFrame({"review": reviews, "stars": rng.integers(1, 6, 120), "y": np.where(label, "good", "bad")})
    run = TrainRun(frame, TrainConfig(target="y", time_limit=3, models=("naive_bayes",), max_trials=1),
                   tmp_path / "m", started=time.monotonic() - 100)  # the limit passed long ago
    predictor = run.train()
    assert predictor.record.report["text"] == {"skipped": True}
    page = run.draw_report().decode("utf-8")
    assert t("report.text_skipped", "en") in page and t("report.text_skipped", "ja") in page
