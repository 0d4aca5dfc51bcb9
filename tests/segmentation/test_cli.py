"""Segmentation from the command line: ``manabu train IMAGES --masks MASKS`` and ``manabu predict
MODEL IMAGES -o FOLDER``, and one clear message for each bad input."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.cli.conftest import Cli, assert_refused
from tests.segmentation.discs import disc_folders, disc_image


@pytest.fixture(scope="module")
def trained_cli(tmp_path_factory):
    root = tmp_path_factory.mktemp("segmentation_cli")
    images, masks = disc_folders(root / "data", n=24, values=(0, 1))
    result = Cli()("train", images, "--masks", masks, "-o", root / "model", "--time-limit", "10")
    return root, images, root / "model", result


def test_train_with_masks_trains_a_unet_and_saves_it(trained_cli):
    _, _, model, result = trained_cli
    assert result.exit_code == 0, result.output
    assert "U-Net on 24 images" in result.output and "Dice" in result.output and "manabu predict" in result.output
    manifest = json.loads((model / "manifest.json").read_text("utf-8"))
    assert manifest["kind"] == "segmentation" and manifest["segmentation"]["classes"] == [0, 1]
    assert (model / "report.html").is_file()


def test_predict_writes_one_png_mask_per_image_with_the_mask_values(trained_cli, cli, tmp_path):
    root, _, model, _ = trained_cli
    new = tmp_path / "new"
    new.mkdir()
    rng = np.random.default_rng(3)
    sizes = {"small": (48, 48), "wide": (90, 60)}  # the second larger than the 32-pixel tiles
    for name, (width, height) in sizes.items():
        image, _ = disc_image(width, rng, height=height)
        Image.fromarray((image * 255).astype(np.uint8)).save(new / f"{name}.png")
    (new / "notes.txt").write_text("not an image")
    out = tmp_path / "masks"
    result = cli("predict", model, new, "-o", out)
    assert result.exit_code == 0, result.output
    assert "2 mask(s)" in result.output and "notes.txt" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["small.png", "wide.png"]
    for name, size in sizes.items():
        mask = Image.open(out / f"{name}.png")
        assert mask.mode == "L" and mask.size == size
        assert set(np.unique(np.asarray(mask)).tolist()) <= {0, 1}


def test_predict_needs_an_output_folder(trained_cli, cli, tmp_path):
    _, images, model, _ = trained_cli
    assert_refused(cli("predict", model, images), "--output")
    taken = tmp_path / "masks.csv"
    taken.write_text("")
    assert_refused(cli("predict", model, images, "-o", taken), "masks.csv", "folder")


def test_a_mask_of_the_wrong_size_is_refused_in_one_message(cli, tmp_path):
    images, masks = disc_folders(tmp_path / "data", n=4)
    Image.open(masks / "3.png").resize((24, 24), Image.NEAREST).save(masks / "3.png")
    result = cli("train", images, "--masks", masks, "-o", tmp_path / "model", "--time-limit", "5")
    assert_refused(result, "3.png", "24x24", "48x48")
    assert not (tmp_path / "model").exists()


def test_the_messages_speak_japanese(cli, tmp_path):
    images, _ = disc_folders(tmp_path / "data", n=2)
    result = cli("train", images, "--masks", tmp_path / "none", "--lang", "ja")
    assert result.exit_code == 2 and "マスクのフォルダが見つかりません" in result.output
