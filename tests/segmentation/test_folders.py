"""Reading images and masks: pairing by name, the classes, and one clear message for each bad
input (in both languages, naming the file)."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from manabu.segmentation.folders import pair_files, read_pairs
from tests.data.test_read import data_error
from tests.segmentation.discs import disc_folders


def test_images_pair_with_masks_of_the_same_name_whatever_their_extension(tmp_path):
    images, masks = disc_folders(tmp_path, n=12, mask_suffix=".tif")
    pairs = pair_files(images, masks)
    assert [p.name for p in pairs.pairs] == [str(i) for i in range(12)]  # 2 before 10
    assert all(p.mask.suffix == ".tif" for p in pairs.pairs) and pairs.notices == []


def test_classes_are_the_mask_values_coded_in_order(tmp_path):
    images, masks = disc_folders(tmp_path, n=4, values=(7, 200))
    mask = np.asarray(Image.open(masks / "0.png")).copy()
    mask[:3, :3] = 100  # a third class in one mask
    Image.fromarray(mask).save(masks / "0.png")
    data = read_pairs(pair_files(images, masks))
    assert data.classes.tolist() == [7, 100, 200] and data.channels == 1
    assert set(np.unique(data.codes[0]).tolist()) == {0, 1, 2}
    assert np.array_equal(data.classes[data.codes[1]], np.asarray(Image.open(masks / "1.png")))
    assert data.images[0].shape == (1, 48, 48) and 0.0 <= data.images[0].min() <= data.images[0].max() <= 1.0


def test_images_without_mask_and_masks_without_image_are_left_out_with_a_notice(tmp_path):
    images, masks = disc_folders(tmp_path, n=6)
    (masks / "2.png").unlink()
    (masks / "extra.png").write_bytes((masks / "0.png").read_bytes())
    pairs = pair_files(images, masks)
    assert [p.name for p in pairs.pairs] == ["0", "1", "3", "4", "5"]
    notices = {n.key: n for n in pairs.notices}
    assert '"2.png"' in notices["segmentation.images_without_mask"].render("en")
    assert '"extra.png"' in notices["segmentation.masks_without_image"].render("ja")


def test_a_corrupt_mask_is_left_out_with_one_notice(tmp_path):
    images, masks = disc_folders(tmp_path, n=6)
    (masks / "3.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    pairs = pair_files(images, masks)
    assert "3" not in [p.name for p in pairs.pairs]
    assert [n.key for n in pairs.notices] == ["data.images_skipped_not_image", "segmentation.images_without_mask"]


def test_a_missing_mask_folder_is_named(tmp_path):
    images, _ = disc_folders(tmp_path, n=2)
    error = data_error("segmentation.masks_not_found", pair_files, images, tmp_path / "nowhere")
    assert "nowhere" in str(error)


def test_no_mask_named_as_any_image(tmp_path):
    images, masks = disc_folders(tmp_path, n=3)
    for mask in masks.iterdir():
        mask.rename(mask.with_name(f"mask_{mask.name}"))
    error = data_error("segmentation.no_pairs", pair_files, images, masks)
    assert '"0.png"' in str(error) and '"mask_0.png"' in str(error)


def test_a_mask_of_another_size_than_its_image(tmp_path):
    images, masks = disc_folders(tmp_path, n=3)
    Image.open(masks / "1.png").resize((40, 48), Image.NEAREST).save(masks / "1.png")
    error = data_error("segmentation.size_mismatch", read_pairs, pair_files(images, masks))
    assert "1.png" in str(error) and "40x48" in str(error) and "48x48" in str(error)


def test_a_mask_with_more_values_than_a_mask_has(tmp_path):
    images, masks = disc_folders(tmp_path, n=3)
    noisy = np.random.default_rng(0).integers(0, 256, size=(48, 48)).astype(np.uint8)  # a JPEG-blurred mask
    Image.fromarray(noisy).save(masks / "2.png")
    error = data_error("segmentation.too_many_values", read_pairs, pair_files(images, masks))
    assert "2.png" in str(error) and "JPEG" in str(error)


def test_a_colour_mask(tmp_path):
    images, masks = disc_folders(tmp_path, n=3)
    Image.new("RGB", (48, 48), (255, 0, 0)).save(masks / "0.png")
    data_error("segmentation.colour_mask", read_pairs, pair_files(images, masks))


def test_masks_with_a_single_value(tmp_path):
    images, masks = disc_folders(tmp_path, n=3)
    for mask in masks.iterdir():
        Image.new("L", (48, 48), 0).save(mask)
    data_error("segmentation.one_class", read_pairs, pair_files(images, masks))


@pytest.mark.parametrize("contents", ["empty", "text"])
def test_folders_without_images(tmp_path, contents):
    images, masks = disc_folders(tmp_path, n=2)
    empty = tmp_path / "empty"
    empty.mkdir()
    if contents == "text":
        (empty / "README.txt").write_text("masks go here")
    data_error("segmentation.no_masks", pair_files, images, empty)
    data_error("segmentation.no_images", pair_files, empty, masks)
