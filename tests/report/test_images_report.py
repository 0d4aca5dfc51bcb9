"""The report of an image classifier: images per class with their counts, the most confidently
wrong held-out images, saliency maps in place of SHAP values; and a tabular model's page
without any of them."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

import manabu
from manabu.base.i18n import catalogue
from manabu.evaluate import image_examples, saliency
from manabu.evaluate.image_examples import HeldOut, confidently_wrong, held_out, png_array, saliency_rows
from manabu.report import predictor_report, report_for_folder
from manabu.report.images import overlay, saliency_section
from tests.images import image_folder, pixel_frame, shape_images

EN = catalogue("en")


def _title(key: str) -> str:
    return EN[f"report_images.{key}"]


def _held(y: np.ndarray, probabilities: np.ndarray) -> HeldOut:
    return held_out(probabilities, len(y))


# ------------------------------------------------------------------------- choosing the images

def test_the_confidently_wrong_are_held_out_wrong_answers_most_probable_first():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    probabilities = rng.dirichlet([1, 1, 1], 200)
    probabilities[rng.choice(200, 120, replace=False)] = np.nan  # not held out
    held = _held(y, probabilities)
    rows = confidently_wrong(y, held, k=8)
    assert len(rows) == 8
    assert not np.isnan(probabilities[rows]).any()  # held-out rows only
    assert (held.predicted[rows] != y[rows]).all()  # wrong answers only
    confidence = held.confidence[rows]
    assert (np.diff(confidence) <= 0).all()  # most probable first
    others = np.setdiff1d(held.rows[held.predicted[held.rows] != y[held.rows]], rows)
    assert confidence[-1] >= held.confidence[others].max()  # and none more probable left out


def test_saliency_goes_to_wrong_answers_and_right_ones_of_several_classes():
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    probabilities = np.eye(3)[y] * 0.8 + 0.1  # right, with 0.9
    probabilities[[0, 4]] = [[0.05, 0.9, 0.05], [0.1, 0.2, 0.7]]  # two wrong answers
    probabilities[9] = np.nan  # not held out
    rows = saliency_rows(y, _held(y, probabilities), seed=0, right=3, wrong=3)
    assert list(rows[:2]) == [0, 4]  # the wrong ones first, most probable first
    right = rows[2:]
    assert len(rows) == 6 and 9 not in rows and len(set(rows)) == 6
    assert set(y[right[:3]]) == {0, 1, 2}  # one right answer per class before a second of any


def test_a_binary_task_s_single_column_is_the_second_class():
    held = held_out(np.array([[0.8], [0.3], [np.nan]]), 3)
    assert list(held.rows) == [0, 1] and list(held.predicted[:2]) == [1, 0]
    assert np.allclose(held.confidence[:2], [0.8, 0.7])


# ------------------------------------------------------------------------- the saliency maps

@pytest.fixture(scope="module")
def network(photos_model):
    """The network of the model trained on the folder of shapes (16 pixels a side)."""
    predictor, _ = photos_model
    images, codes = shape_images(12, side=16, seed=1)
    return predictor.pipeline.steps[-1][1], images[:, None], codes


def test_saliency_maps_have_the_image_s_size_and_lie_in_0_1(network):
    pytest.importorskip("captum")
    fitted, images, codes = network
    maps = saliency.saliency_maps(fitted, images[:5], codes[:5])
    assert set(maps) == {"grad_cam", "integrated_gradients"}
    for values in maps.values():
        assert values.shape == (5, 16, 16) and np.isfinite(values).all()
        assert values.min() >= 0 and values.max() <= 1 and values.max() > 0


def test_without_captum_there_are_no_maps_and_the_page_says_what_to_install(network, monkeypatch):
    fitted, images, codes = network
    monkeypatch.setattr(saliency, "captum_available", lambda: False)
    assert saliency.saliency_maps(fitted, images[:2], codes[:2]) is None
    page = saliency_section({"saliency": {"skipped": "captum", "model": "cnn"}})
    assert 'id="saliency"' in page and "pip install captum" in page and "<img" not in page


def test_an_overlay_keeps_the_image_s_size():
    image = image_examples.png_base64(np.random.default_rng(0).random((3, 20, 20)), 96)
    heat = image_examples.png_base64(np.linspace(0, 1, 400).reshape(20, 20), 96)
    drawn = png_array(overlay(image, heat))
    assert drawn.shape == (20, 20, 3)
    assert not np.allclose(drawn, png_array(image), atol=0.02)  # the map shows


# ------------------------------------------------------------------------- the page

@pytest.fixture(scope="module")
def photos_model(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("kornia")
    from manabu.training import numbers

    root = tmp_path_factory.mktemp("images_report")
    photos = image_folder(root / "photos", n=90, side=16)
    with pytest.MonkeyPatch.context() as patch:  # the maps even where a busy machine left no time for them
        patch.setattr(numbers, "image_numbers", _without_deadline(numbers.image_numbers))
        predictor = manabu.fit(str(photos), time_limit=15, models=["cnn"], verbose=False, output=root / "model")
    return predictor, root / "model"


def _without_deadline(image_numbers):
    def computed(*args):
        return image_numbers(*args[:-1], None)
    return computed


def _no_shap_panel(page: str) -> bool:
    """Neither the SHAP panel's title nor any of its charts' captions."""
    keys = [key for key in EN if key.startswith("report.shap_caption")] + ["report.shap_title"]
    return not any(f'<span lang="en">{EN[key].split("{")[0]}' in page for key in keys)


def _images_section(page: str, anchor: str) -> str:
    found = re.search(f'<section id="{anchor}">(.*?)</section>', page, flags=re.S)
    assert found, anchor
    return found.group(1)


def test_an_image_model_s_page_shows_its_images_mistakes_and_saliency(photos_model):
    predictor, _ = photos_model
    numbers = predictor.record.report["images"]
    page = predictor_report(predictor, lang="en")
    classes = _images_section(page, "images")
    assert [c["label"] for c in numbers["classes"]] == ["bar", "cross", "square"]
    assert [c["count"] for c in numbers["classes"]] == [30, 30, 30]  # 90 shapes, a third each
    assert classes.count("<img") == 3 * image_examples.PER_CLASS
    assert all(f"<td>{label}</td><td>30</td>" in classes for label in ("bar", "cross", "square"))
    assert _title("classes_title") in page and "クラスごとの画像" in page

    wrong = numbers["wrong"]
    assert len(wrong) == min(image_examples.WRONG, numbers["wrong_total"])
    assert all(w["actual"] != w["predicted"] for w in wrong)
    assert [w["probability"] for w in wrong] == sorted((w["probability"] for w in wrong), reverse=True)
    section = _images_section(page, "wrong")
    assert section.count("<img") == len(wrong)
    assert numbers["held_out"] == predictor.record.report["diagnostics"]["n_rows"]  # the confusion matrix's rows

    shown = numbers["saliency"]
    assert shown["model"].startswith("cnn") and shown["methods"] == ["grad_cam", "integrated_gradients"]
    assert 1 <= len(shown["images"]) <= image_examples.SALIENCY_RIGHT + image_examples.SALIENCY_WRONG
    for entry in shown["images"]:
        image = png_array(entry["image"])
        for method in shown["methods"]:
            heat = png_array(entry[method])
            assert heat.shape == image.shape[:2] and np.isfinite(heat).all()
    saliency_part = _images_section(page, "saliency")
    assert saliency_part.count("<img") == 3 * len(shown["images"])  # the image and its two overlays


def test_an_image_model_has_saliency_in_place_of_shap(photos_model):
    predictor, _ = photos_model
    shap = predictor.record.report["shap"]
    assert shap["model"] == predictor.record.best_model and shap["skipped_images"] is True
    page = predictor_report(predictor, lang="en")
    assert _no_shap_panel(page)
    assert _title("shap_replaced").split(":")[0] in page


def test_the_saved_folder_redraws_the_image_sections_without_the_images(photos_model):
    _, folder = photos_model
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["training"]["report"]["images"]["classes"]
    page = report_for_folder(folder, lang="ja")
    for anchor in ("images", "wrong", "saliency"):
        assert f'<section id="{anchor}">' in page


def test_a_tabular_model_on_pixels_shows_the_images_and_says_why_no_saliency():
    predictor = manabu.fit(pixel_frame(90, side=8), target="y", time_limit=4, models=["linear"], max_trials=1,
                           verbose=False)
    numbers = predictor.record.report["images"]
    assert numbers["saliency"] == {"skipped": "no_network"} and len(numbers["classes"]) == 3
    page = predictor_report(predictor, lang="en")
    assert '<section id="images">' in page and EN["report_images.saliency_no_network"] in page
    assert _no_shap_panel(page)


def test_a_tabular_model_s_page_has_no_image_sections():
    from tests.frames import mixed_frame

    predictor = manabu.fit(mixed_frame(task="multiclass"), target="y", time_limit=4, models=["linear"],
                           max_trials=1, verbose=False)
    assert predictor.record.report["images"] is None
    page = predictor_report(predictor, lang="en")
    for anchor in ("images", "wrong", "saliency"):
        assert f'<section id="{anchor}">' not in page
    assert "<img" not in page and "report_images" not in page
