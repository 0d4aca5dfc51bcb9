"""The report's layout as a browser draws it (headless Chromium, through Playwright): long texts
in the example predictions wrap, so the table fits the page's width (a chABSA table was 1,969 px
wide in a 1,068 px box), and on a wide screen charts sit two to a row. Skipped, with the reason,
where Playwright or Chromium is missing or cannot be started."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

import manabu
from manabu.report import predictor_report
from tests.text.corpus import japanese_reviews

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _long_reviews(n: int = 240) -> pd.DataFrame:
    """Reviews of several hundred characters without a space (Japanese breaks anywhere, but
    only if the page lets it), and a number beside them."""
    short = japanese_reviews(8 * n, seed=3)  # its labels alternate: four of one label make a long review
    first = [8 * (i // 2) + i % 2 for i in range(n)]
    frame = pd.DataFrame({"レビュー": ["".join(short["レビュー"].iloc[[j, j + 2, j + 4, j + 6]]) * 2 for j in first],
                          "評価": short["評価"].iloc[first].to_numpy(),
                          "泊数": np.random.default_rng(0).integers(1, 5, n).astype(float)})
    assert frame["レビュー"].str.len().min() > 150
    return frame


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    predictor = manabu.fit(_long_reviews(), target="評価", time_limit=20, models=["text_linear"], max_trials=1,
                           verbose=False)
    path = tmp_path_factory.mktemp("layout") / "report.html"
    path.write_text(predictor_report(predictor, lang="ja"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        except Exception as error:  # a sandbox or a library it needs missing: say so rather than fail
            pytest.skip(f"Chromium could not be started: {error}")
        yield launched
        launched.close()


def _open(browser, report_file, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(report_file.as_uri())
    page.wait_for_load_state("load")
    return page


def test_the_example_predictions_fit_the_page_width(browser, report_file):
    page = _open(browser, report_file, 1068)
    try:
        table = page.locator("section#text table.examples")
        assert table.count() == 1
        container = table.locator("xpath=..")  # the sideways-scrolling box around it
        sizes = container.evaluate("box => ({scroll: box.scrollWidth, client: box.clientWidth})")
        assert sizes["scroll"] <= sizes["client"], sizes
        text_cell = table.locator("tbody tr td").first.bounding_box()
        assert text_cell["height"] > 30  # the long text wrapped onto several lines
        for header in table.locator("thead th").all():  # every column within the page
            box = header.bounding_box()
            assert box["x"] + box["width"] <= sizes["client"] + container.bounding_box()["x"] + 1
    finally:
        page.close()


def test_charts_sit_two_to_a_row_on_a_wide_screen(browser, report_file):
    page = _open(browser, report_file, 1600)
    try:
        boxes = [svg.bounding_box() for svg in page.locator("section#best .panel figure svg").all()]
        assert len(boxes) >= 2
        pairs = [(a, b) for a, b in zip(boxes, boxes[1:]) if abs(a["y"] - b["y"]) < 1 and b["x"] > a["x"] + a["width"]]
        assert pairs, boxes
        main = page.locator("main").bounding_box()
        assert all(b["width"] < 0.55 * main["width"] for b in boxes)
    finally:
        page.close()


def test_on_a_phone_charts_take_the_whole_width(browser, report_file):
    page = _open(browser, report_file, 390)
    try:
        boxes = [svg.bounding_box() for svg in page.locator("section#best .panel figure svg").all()]
        assert len({round(b["x"]) for b in boxes}) == 1  # one column
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        page.close()
