"""Training: the U-Net learns the discs, stops at its deadline, and is the same network twice
from the same seed on the CPU."""
from __future__ import annotations

import time

import numpy as np

from manabu.segmentation.folders import pair_files, read_pairs
from manabu.segmentation.network import UNetSegmenter
from tests.segmentation.conftest import FAST
from tests.segmentation.discs import disc_image


def test_it_learns_the_discs(trained):
    _, _, _, model = trained
    record = model.record
    assert record["classes"] == [0, 255] and len(record["held_out_names"]) == 4 and len(record["train"]) == 36
    overall = record["held_out"]["overall"]
    disc_share = overall["share"][1]
    assert overall["dice"][1] > 0.8 > 2 * disc_share  # chance (random pixels at the disc share) is about the share
    assert overall["pixel_accuracy"] > 0.9
    assert [image["name"] for image in record["held_out"]["images"]] == record["held_out_names"]
    epochs = model.segmenter.log_["epochs"]
    assert epochs and all(e["valid_loss"] is not None for e in epochs)


def test_a_larger_image_than_the_tile_is_predicted_whole(trained):
    _, _, _, model = trained
    image, truth = disc_image(100, np.random.default_rng(5), height=70)  # tiles are 32 pixels
    mask = model.predict(image)
    assert mask.shape == (70, 100) and set(np.unique(mask).tolist()) <= {0, 255}
    assert ((mask == 255) == (truth == 1)).mean() > 0.9


def test_the_deadline_is_honoured(discs):
    images, masks = discs
    data = read_pairs(pair_files(images, masks))
    segmenter = UNetSegmenter(max_epochs=10_000, patience=10_000, random_state=0, **FAST)
    started = time.monotonic()
    segmenter.fit(data.images[:10], data.codes[:10], data.classes, data.images[10:], data.codes[10:],
                  deadline=started + 2.0)
    assert time.monotonic() - started < 5.0
    assert segmenter.log_["stopped_at_deadline"] and segmenter.log_["epochs"]


def test_the_same_seed_gives_the_same_network_on_the_cpu(discs):
    images, masks = discs
    data = read_pairs(pair_files(images, masks))

    def weights(seed):
        segmenter = UNetSegmenter(max_epochs=2, random_state=seed, device="cpu", **FAST)
        segmenter.fit(data.images[:10], data.codes[:10], data.classes, data.images[10:], data.codes[10:])
        return segmenter.weights_

    first, again, other = weights(0), weights(0), weights(1)
    assert all(np.array_equal(first[name], again[name]) for name in first)
    assert not all(np.array_equal(first[name], other[name]) for name in first)
