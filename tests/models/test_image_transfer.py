"""Transfer learning from a pretrained ResNet on disk (``--image-model``): the checkpoint forms
it reads, the training that beats a network from scratch on a few images, and the refusals."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("kornia")

from manabu.base.errors import ConfigError  # noqa: E402
from manabu.deep.networks import build_network  # noqa: E402
from manabu.models.images.checkpoint import read_checkpoint  # noqa: E402
from manabu.models.images.family import ImageCNNClassifier  # noqa: E402
from manabu.models.images.transfer import ImageTransferClassifier  # noqa: E402
from manabu.models.text_torch import torch_weights  # noqa: E402
from tests.cli.conftest import Cli, assert_refused  # noqa: E402
from tests.images import image_folder, shape_images  # noqa: E402


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """A small ResNet pretrained on 400 shapes, saved as a torchvision-named safetensors state dict."""
    from safetensors.torch import save_file

    images, codes = shape_images(400, 24, seed=1)
    network = ImageCNNClassifier(width=16, max_epochs=3, n_threads=1, random_state=0).fit(images[:, None], codes)
    path = tmp_path_factory.mktemp("pretrained") / "shapes.safetensors"
    save_file(torch_weights(network.weights_), str(path))
    return path, network


def test_transfer_beats_a_network_from_scratch_on_a_few_images(pretrained):
    path, _ = pretrained
    images, codes = shape_images(312, 24, seed=3)  # other images, the few of a new task
    images = images[:, None]
    few, test = slice(0, 12), slice(12, None)
    scratch = ImageCNNClassifier(width=16, max_epochs=10, n_threads=1, random_state=0).fit(images[few], codes[few])
    transfer = ImageTransferClassifier(checkpoint=str(path), max_epochs=5, n_threads=1, random_state=0)
    transfer.fit(images[few], codes[few])
    scratch_accuracy = (scratch.predict(images[test]) == codes[test]).mean()
    transfer_accuracy = (transfer.predict(images[test]) == codes[test]).mean()
    assert transfer_accuracy >= 0.9 and transfer_accuracy > scratch_accuracy + 0.1, (transfer_accuracy, scratch_accuracy)
    phases = {epoch["phase"] for epoch in transfer.log_["epochs"]}
    assert "head" in phases and 1 <= transfer.log_["best_epoch"] <= len(transfer.log_["epochs"])


def test_a_colour_network_serves_grey_images_and_the_base_learns_only_where_asked(pretrained, tmp_path):
    from safetensors.torch import save_file

    path, network = pretrained
    weights = torch_weights(network.weights_)
    weights["conv1.weight"] = weights["conv1.weight"].repeat(1, 3, 1, 1) / 3  # a "colour" checkpoint
    colour = tmp_path / "colour.safetensors"
    save_file(weights, str(colour))
    images, codes = shape_images(60, 24, seed=4)
    model = ImageTransferClassifier(checkpoint=str(colour), fine_tune="none", n_threads=1, random_state=0)
    model.fit(images[:, None], codes)
    assert model.config_["in_channels"] == 1 and len(model.mean_) == 1
    assert np.allclose(model.weights_["conv1.weight"], weights["conv1.weight"].sum(dim=1, keepdim=True).numpy())
    assert np.array_equal(model.weights_["layer2.0.conv1.weight"], weights["layer2.0.conv1.weight"].numpy())
    assert {epoch["phase"] for epoch in model.log_["epochs"]} == {"head"}


def test_a_torch_save_file_is_read_with_its_training_wrappers(pretrained, tmp_path):
    path, network = pretrained
    weights = torch_weights(network.weights_)
    file = tmp_path / "checkpoint.pth"
    torch.save({"epoch": 3, "state_dict": {f"module.{name}": value for name, value in weights.items()}}, file)
    checkpoint = read_checkpoint(file)
    assert checkpoint.config == read_checkpoint(path).config
    assert torch.equal(checkpoint.weights["layer1.0.conv1.weight"], weights["layer1.0.conv1.weight"])
    assert checkpoint.mean is None  # a grey network of unknown normalisation: the images' own is used


def test_a_file_that_holds_code_is_refused_without_running_it(tmp_path):
    file = tmp_path / "evil.pth"
    torch.save({"state_dict": {"conv1.weight": torch.zeros(1)}, "hook": ConfigError}, file)
    with pytest.raises(ConfigError) as raised:
        read_checkpoint(file)
    assert "evil.pth" in str(raised.value) and "ResNet" in str(raised.value)


@pytest.mark.parametrize("layer_type", ["basic", "bottleneck"])
def test_a_hugging_face_resnet_folder_gives_the_same_outputs(layer_type, tmp_path):
    transformers = pytest.importorskip("transformers")
    sizes = [8, 16] if layer_type == "basic" else [16, 32]
    config = transformers.ResNetConfig(num_channels=3, embedding_size=8, hidden_sizes=sizes, depths=[1, 2],
                                       layer_type=layer_type, num_labels=3)
    torch.manual_seed(0)
    model = transformers.ResNetForImageClassification(config).eval()
    model.save_pretrained(tmp_path / "hf")
    checkpoint = read_checkpoint(tmp_path / "hf")
    ours = build_network(checkpoint.config)
    ours.load_state_dict(checkpoint.weights, strict=True)
    inputs = torch.randn(2, 3, 40, 40)
    with torch.no_grad():
        assert torch.allclose(ours.eval()(inputs), model(inputs).logits, atol=1e-5)
    assert checkpoint.mean == pytest.approx([0.485, 0.456, 0.406])


def test_torchvision_s_resnet50_shape_is_read_from_its_weights():
    config = {"architecture": "resnet", "in_channels": 3, "n_outputs": 1000, "stem": "imagenet",
              "widths": [64, 128, 256, 512], "blocks": [3, 4, 6, 3], "strides": [1, 2, 2, 2], "block": "bottleneck"}
    network = build_network(config)
    assert sum(p.numel() for p in network.parameters()) == 25_557_032  # torchvision's resnet50
    from manabu.models.images.checkpoint import resnet_shape

    read = resnet_shape(network.state_dict())
    assert {k: read[k] for k in config} == config


@pytest.mark.parametrize("content, expected", [
    (None, "no such file"),
    ({"encoder.weight": torch.zeros(2, 2)}, "not a ResNet"),
    (b"not a checkpoint", "header"),
])
def test_a_missing_or_wrong_checkpoint_gets_one_message(content, expected, tmp_path):
    from safetensors.torch import save_file

    file = tmp_path / "model.safetensors"
    if isinstance(content, dict):
        save_file(content, str(file))
    elif content is not None:
        file.write_bytes(content)
    with pytest.raises(ConfigError) as raised:
        read_checkpoint(file)
    assert expected in str(raised.value) and str(file) in str(raised.value)


def test_the_command_line_transfers_saves_and_refuses(pretrained, tmp_path):
    path, cli = pretrained[0], Cli()
    photos = image_folder(tmp_path / "photos", n=30, side=24)
    result = cli("train", photos, "--image-model", path, "--models", "transfer", "--time-limit", "20",
                 "-o", tmp_path / "model")
    assert result.exit_code == 0, result.output
    assert "transfer" in result.output
    import manabu

    predictor = manabu.load(tmp_path / "model")
    files = {p.name for p in (tmp_path / "model").rglob("*") if p.is_file()}
    assert "model.safetensors" in files and not any(name.endswith((".pt", ".pth", ".pkl")) for name in files)
    answers = predictor.predict(predictor_input(photos))
    assert len(answers) == 30
    assert_refused(cli("train", photos, "--models", "transfer", "--time-limit", "10"), "--image-model")
    assert_refused(cli("train", photos, "--image-model", tmp_path / "nothing.pth", "--time-limit", "10"),
                   "no such file")
    assert_refused(cli("train", photos, "--device", "tpu", "--time-limit", "10"), "Unknown device")
    if not torch.cuda.is_available():
        assert_refused(cli("train", photos, "--device", "cuda", "--time-limit", "10"), "sees no CUDA GPU")


def predictor_input(photos):
    import pandas as pd

    return pd.DataFrame({"image": sorted(str(p) for p in photos.rglob("*.png"))})
