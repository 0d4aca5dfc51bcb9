"""The report as a person sees it: opened from disk in headless Chromium (Playwright), with no
network. Skipped, with the reason, where Playwright or Chromium is missing; CI installs both
(``.ci/run``)."""
from __future__ import annotations

import io
import shutil

import numpy as np
import pandas as pd
import pytest

import manabu
from manabu.report import predictor_report

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({"年齢": rng.integers(18, 80, n).astype(float),
                          "都道府県": rng.choice(["東京都", "大阪府", "北海道"], n)})
    frame["購入"] = np.where((frame["年齢"] > 40) ^ (rng.random(n) < 0.15), "はい", "いいえ")
    predictor = manabu.fit(frame, target="購入", time_limit=15, models=["linear"], max_trials=1, verbose=False)
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(predictor_report(predictor, lang="ja"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def page(report_file):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
        opened = context.new_page()
        errors: list[str] = []
        opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        opened.on("pageerror", lambda e: errors.append(str(e)))
        requests: list[str] = []
        opened.on("request", lambda r: requests.append(r.url))
        opened.goto(report_file.as_uri())
        opened.wait_for_load_state("load")
        yield opened, errors, requests
        browser.close()


def test_it_loads_without_errors_or_requests(page, report_file):
    opened, errors, requests = page
    assert errors == []
    assert requests == [report_file.as_uri()], "the page asked for something besides itself"


def test_each_section_is_there_and_shown(page):
    opened, _, _ = page
    for anchor in ("summary", "data", "models", "best"):
        assert opened.locator(f"section#{anchor}").is_visible()


def test_the_language_switch_shows_one_language(page):
    opened, _, _ = page
    heading = opened.locator("section#data h2")
    assert heading.inner_text().strip() == "データ"
    opened.click("button[data-lang=en]")
    assert heading.inner_text().strip() == "Data"
    opened.click("button[data-lang=ja]")
    assert heading.inner_text().strip() == "データ"


def test_a_chart_with_japanese_labels_is_drawn(page):
    """The distribution of 都道府県 (its bars labelled 東京都, 大阪府, 北海道) has a size on the
    page and ink in its picture: dark pixels where the bars and the labels are."""
    from PIL import Image

    opened, _, _ = page
    figure = opened.locator("section#data .grid figure", has_text="都道府県")
    box = figure.locator("svg").bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 50
    picture = Image.open(io.BytesIO(figure.locator("svg").screenshot())).convert("L")
    pixels = np.asarray(picture)
    label_strip = pixels[:, : pixels.shape[1] // 4]  # the left quarter: the category labels
    assert (label_strip < 128).mean() > 0.01


def test_japanese_text_is_drawn_with_a_font_that_has_it(page):
    """Chromium's own account (DevTools' platform fonts) of the font that drew a Japanese
    heading: the page's embedded font, not a Latin font drawing empty boxes. This machine has
    no Japanese system font, so without the embedded one the heading would be boxes."""
    opened, _, _ = page
    session = opened.context.new_cdp_session(opened)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    for selector in ("section#summary h2 span[lang=ja]", "section#data td span[lang=ja]", ".switch button"):
        node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        assert any(font["familyName"] == "IPAexGothic" and font["glyphCount"] > 0 for font in fonts), (selector, fonts)
