"""A segmentation model folder: safetensors and JSON (no pickle), a manifest of kind
"segmentation", a bilingual report, and ``manabu.load`` giving back the same masks."""
from __future__ import annotations

import json

import numpy as np
import pytest

import manabu
from manabu.base.errors import ArtifactError
from manabu.segmentation.model import SegmentationModel


@pytest.fixture(scope="module")
def saved(trained):
    root, images, masks, model = trained
    return model, model.save(root / "model"), images, masks


def test_the_folder_holds_weights_and_json_and_no_pickle(saved):
    _, folder, _, _ = saved
    files = {path.name for path in folder.iterdir()}
    assert files == {"manifest.json", "model.safetensors", "model.unet.json", "report.html"}
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["kind"] == "segmentation" and manifest["pipeline"]["model_format"] == "unet_segmentation"
    assert manifest["segmentation"]["classes"] == [0, 255]
    sidecar = json.loads((folder / "model.unet.json").read_text("utf-8"))
    assert sidecar["config"]["architecture"] == "unet" and sidecar["tile"] == 32


def test_loading_gives_back_the_same_masks(saved):
    model, folder, images, _ = saved
    loaded = manabu.load(folder)
    assert isinstance(loaded, SegmentationModel) and loaded.classes.tolist() == [0, 255]
    before, after = model.predict(images), loaded.predict(images)
    assert len(after) == 40 and all(np.array_equal(a, b) for a, b in zip(before, after))
    assert after[0].dtype == before[0].dtype and after[0].shape == (48, 48)


def test_evaluate_scores_a_folder_of_images_and_masks(saved):
    model, _, images, masks = saved
    found = model.evaluate(images, masks)
    assert len(found["images"]) == 40 and found["overall"]["dice"][1] > 0.8


def test_the_report_shows_three_held_out_images_in_both_languages(saved):
    model, folder, _, _ = saved
    page = (folder / "report.html").read_text("utf-8")
    assert page.count('<img src="data:image/png;base64,') == 3 * 4  # image, true, predicted, disagreements
    assert 'id="examples"' in page and 'id="network"' in page and "Dice" in page
    assert "取り分けた画像" in page and "held-out" in page
    loaded_page = manabu.load(folder).report()  # read again from the image files
    assert loaded_page.count('<img src="data:image/png;base64,') == 12


def test_tampered_weights_are_refused(saved, tmp_path):
    import shutil

    _, folder, _, _ = saved
    copy = shutil.copytree(folder, tmp_path / "copy")
    data = bytearray((copy / "model.safetensors").read_bytes())
    data[-1] ^= 1
    (copy / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(ArtifactError) as info:
        manabu.load(copy)
    assert info.value.key == "artifact.tampered"
