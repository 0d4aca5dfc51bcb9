"""Tiles and scores: random training tiles keep each pixel with its class, tiled prediction covers
any image exactly once in effect, and the scores are those of the definitions."""
from __future__ import annotations

import numpy as np
import pytest

from manabu.evaluate.segmentation import segmentation_scores
from manabu.segmentation.tiles import IGNORE, blended, fixed_tiles, padded, random_tiles


def test_augmented_tiles_move_the_image_and_its_mask_together():
    rng = np.random.default_rng(0)
    codes = [rng.integers(0, 2, size=(40, 56)) for _ in range(3)]
    images = [c[None].astype(np.float32) for c in codes]  # the image says its own class
    tiles, marks = random_tiles(images, codes, 32, 64, rng, augment=True)
    assert tiles.shape == (64, 1, 32, 32) and marks.shape == (64, 32, 32)
    assert np.array_equal(tiles[:, 0] > 0.5, marks == 1)  # jitter moves values by at most a tenth or so
    plain, _ = random_tiles(images, codes, 32, 64, np.random.default_rng(1), augment=False)
    assert set(np.unique(plain).tolist()) == {0.0, 1.0}


def test_an_image_smaller_than_a_tile_is_padded_and_its_padding_ignored():
    image, codes = np.ones((1, 20, 30), np.float32), np.zeros((20, 30), np.int64)
    grown, marks = padded(image, codes, 32)
    assert grown.shape == (1, 32, 32) and (marks[20:] == IGNORE).all() and (marks[:20, :30] == 0).all()
    tiles, marks = fixed_tiles(image, codes, 32)
    assert tiles.shape == (1, 1, 32, 32) and (marks == IGNORE).sum() == 32 * 32 - 20 * 30


@pytest.mark.parametrize("height, width", [(100, 70), (32, 32), (20, 45), (33, 97)])
def test_tiled_prediction_of_any_size_matches_the_whole_image(height, width):
    """A forward pass that answers each pixel from its own value: blending overlapping tiles
    must give back exactly the per-pixel answer, seams and borders included."""
    image = np.random.default_rng(height).uniform(size=(1, height, width)).astype(np.float32)

    def forward(tiles):
        return np.concatenate([tiles, 1 - tiles], axis=1)

    probabilities = blended(image, 32, 2, forward, batch=3)
    assert probabilities.shape == (2, height, width)
    np.testing.assert_allclose(probabilities[0], image[0], atol=1e-5)


def test_scores_follow_their_definitions():
    true = np.array([[0, 0, 1, 1], [0, 0, 1, IGNORE]])
    predicted = np.array([[0, 1, 1, 1], [0, 0, 0, 0]])
    found = segmentation_scores(["a"], [true], [predicted], 3)
    image = found["images"][0]
    assert image["pixel_accuracy"] == pytest.approx(5 / 7)
    assert image["dice"][0] == pytest.approx(2 * 3 / (4 + 4)) and image["iou"][0] == pytest.approx(3 / 5)
    assert image["dice"][1] == pytest.approx(2 * 2 / (3 + 3)) and image["iou"][1] == pytest.approx(2 / 4)
    assert image["dice"][2] is None and image["mean_dice"] == pytest.approx((0.75 + 2 / 3) / 2)
    assert found["overall"]["pixel_accuracy"] == image["pixel_accuracy"]
