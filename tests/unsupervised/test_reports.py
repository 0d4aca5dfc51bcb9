"""The report pages of cluster, anomalies and reduce: each section there, bilingual, drawn in
Chromium without errors, and written beside the saved model."""
from __future__ import annotations

import shutil

import pytest

import manabu

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.parametrize("make, sections, charts", [
    (lambda f: manabu.cluster(f), ("summary", "k", "profiles", "map"), 3),
    (lambda f: manabu.anomalies(f.assign(odd=["yes" if i < 5 else "no" for i in range(len(f))]), eval_label="odd"),
     ("summary", "top", "evaluation", "map"), 1),
    (lambda f: manabu.reduce(f), ("summary", "components", "map"), 2),
])
def test_each_page_has_its_sections_in_both_languages_and_is_saved_with_the_model(wine, tmp_path, make, sections,
                                                                                   charts):
    model = make(wine)
    page = model.report("ja")
    for anchor in sections:
        assert f'<section id="{anchor}">' in page
    assert '<span lang="ja">' in page and '<span lang="en">' in page and page.count("<svg") == charts
    saved = model.save(tmp_path / "model")
    assert (saved / "report.html").read_text("utf-8").count("<section") == len(sections)
    manabu.load(saved)  # the report sits outside the checksums and does not break them


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_the_cluster_page_draws_in_chromium_without_errors(wine, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    path = tmp_path / "report.html"
    path.write_text(manabu.cluster(wine).report("ja"), encoding="utf-8")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 390, "height": 844})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        assert errors == []
        assert page.locator("section#k h2").inner_text().strip() == "クラスタの数"
        page.click("button[data-lang=en]")
        assert page.locator("section#k h2").inner_text().strip() == "How many clusters"
        box = page.locator("section#map svg").bounding_box()
        assert box is not None and box["width"] > 100
        browser.close()
