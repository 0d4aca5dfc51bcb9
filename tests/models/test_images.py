"""The "cnn" family: a ResNet trained on images, as pixel arrays, through the search, and saved
as safetensors."""
from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("kornia")

from manabu.deep.networks import build_network, resnet_config  # noqa: E402
from manabu.models.images.family import ImageCNNClassifier, ImageCNNRegressor  # noqa: E402
from tests.images import shape_images  # noqa: E402

FAST = {"width": 8, "max_epochs": 12, "batch_size": 32, "n_threads": 1, "random_state": 0}


@pytest.fixture(scope="module")
def shapes():
    images, codes = shape_images(300, side=12)
    return images[:, None], codes


@pytest.fixture(scope="module")
def fitted(shapes):
    images, codes = shapes
    return ImageCNNClassifier(**FAST).fit(images[:240], codes[:240])


def test_the_network_learns_the_shapes(shapes, fitted):
    images, codes = shapes
    assert (fitted.predict(images[240:]) == codes[240:]).mean() >= 0.9
    proba = fitted.predict_proba(images[240:])
    assert proba.shape == (60, 3) and np.allclose(proba.sum(axis=1), 1.0)
    log = fitted.log_
    assert 1 <= log["best_epoch"] <= len(log["epochs"]) <= FAST["max_epochs"]
    assert all(e["valid_loss"] is not None and e["train_loss"] > 0 for e in log["epochs"])


def test_the_same_seed_gives_the_same_model(shapes, fitted):
    images, codes = shapes
    again = ImageCNNClassifier(**FAST).fit(images[:240], codes[:240])
    assert np.array_equal(again.predict_proba(images[240:]), fitted.predict_proba(images[240:]))


def test_a_deadline_already_past_keeps_one_batch_s_network_and_a_later_one_the_best_epoch(shapes):
    images, codes = shapes
    early = ImageCNNClassifier(**FAST).fit(images, codes, deadline=time.monotonic() - 1.0)
    assert early.stopped_at_deadline_ and len(early.log_["epochs"]) == 1
    assert early.predict_proba(images[:5]).shape == (5, 3)
    slow = {**FAST, "max_epochs": 10_000, "patience": 10_000}
    model = ImageCNNClassifier(**slow).fit(images, codes, deadline=time.monotonic() + 3.0)
    assert model.stopped_at_deadline_ and model.log_["epochs"]
    assert model.predict(images[:5]).shape == (5,)


def test_regression_answers_on_the_target_s_scale(shapes):
    images, codes = shapes
    target = 100.0 + 10.0 * codes
    model = ImageCNNRegressor(**FAST).fit(images[:240], target[:240])
    predicted = model.predict(images[240:])
    assert np.corrcoef(predicted, target[240:])[0, 1] > 0.8
    assert 90 < predicted.mean() < 120


def test_a_copy_without_its_torch_module_answers_alike(shapes, fitted):
    import pickle

    images, _ = shapes
    copy = pickle.loads(pickle.dumps(fitted))
    assert "_network" not in copy.__dict__
    assert np.array_equal(copy.predict_proba(images[:20]), fitted.predict_proba(images[:20]))


def test_images_of_another_shape_are_refused(fitted):
    with pytest.raises(ValueError, match="fitted on"):
        fitted.predict(np.zeros((2, 1, 10, 10), dtype=np.float32))
    with pytest.raises(ValueError, match="rows, channels, height, width"):
        fitted.predict(np.zeros((2, 144), dtype=np.float32))


@pytest.mark.parametrize("side, stem, stages", [(8, "small", 2), (28, "small", 2), (32, "small", 3),
                                                 (128, "imagenet", 4)])
def test_the_network_is_sized_to_the_images(side, stem, stages):
    import torch

    config = resnet_config(3, 5, side)
    assert config["stem"] == stem and len(config["widths"]) == stages
    network = build_network(config).eval()
    assert network(torch.zeros(2, 3, side, side)).shape == (2, 5)
    assert network.features(torch.zeros(1, 3, side, side)).shape[-1] <= 7


def test_a_torchvision_shaped_resnet_has_torchvision_s_names():
    config = {"architecture": "resnet", "in_channels": 3, "n_outputs": 1000, "stem": "imagenet",
              "widths": [64, 128, 256, 512], "blocks": [2, 2, 2, 2]}
    names = set(build_network(config).state_dict())
    assert {"conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
            "layer4.1.bn2.weight", "fc.weight", "fc.bias"} <= names
    assert not any(name.startswith("layer1.0.downsample") for name in names)
    assert sum(value.numel() for value in build_network(config).parameters()) == 11_689_512  # resnet18's count


def test_a_digits_like_table_with_constant_corners_is_still_a_grid():
    """The schema leaves constant pixels out of the features; the grid keeps them, as zeros."""
    import pandas as pd

    from manabu.data.schema import infer_schema
    from manabu.features.images import image_input, pixel_grid, schema_pixels

    images, codes = shape_images(60, side=8)
    frame = pd.DataFrame(images.reshape(60, -1), columns=[f"pixel_{r}_{c}" for r in range(8) for c in range(8)])
    frame["pixel_0_0"] = 0.0
    frame["target"] = codes
    schema = infer_schema(frame, "target")
    assert "pixel_0_0" not in [c.name for c in schema.features]
    names, shape = schema_pixels(schema)
    assert shape == (1, 8, 8) and names[0] == "pixel_0_0" and names[9] == "pixel_1_1"
    arrays = image_input(schema).fit(schema.prepare(frame)).transform(schema.prepare(frame))
    assert arrays.shape == (60, 1, 8, 8) and (arrays[:, 0, 0, 0] == 0).all()
    assert np.allclose(arrays[:, 0, 3, 4], frame["pixel_3_4"])
    assert pixel_grid([f"px_{i}" for i in range(783)]) is None  # not a square
    assert pixel_grid(["a", "b"] * 40) is None


def test_the_learning_rate_rises_then_falls_and_a_deadline_paces_it():
    from manabu.deep.trainer import END_FACTOR, START_FACTOR, one_cycle

    by_steps = one_cycle(100, time.monotonic(), None)
    assert by_steps(0) == pytest.approx(START_FACTOR)
    assert by_steps(20) == pytest.approx(1.0)
    assert by_steps(60) < by_steps(40) < 1.0
    assert by_steps(100) == pytest.approx(END_FACTOR)
    started = time.monotonic() - 9.0  # 9 of 10 s gone: late in the cycle whatever the steps say
    assert one_cycle(100, started, started + 10.0)(1) < 0.05
