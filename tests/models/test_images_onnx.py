"""An image network written as ONNX (``manabu export-onnx``): ONNX Runtime answers as manabu
does, for any number of images; what is not an image network, or a graph that answers
differently, is refused with one message and no file."""
from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import manabu
from manabu.base.errors import ArtifactError, ConfigError
from manabu.cli import app
from tests.images import image_folder, shape_images

pytest.importorskip("torch")
pytest.importorskip("kornia")
onnxruntime = pytest.importorskip("onnxruntime")

from manabu.models.images import onnx as images_onnx  # noqa: E402
from manabu.models.images.family import ImageCNNRegressor  # noqa: E402

ENGLISH = {"LC_ALL": None, "LC_MESSAGES": None, "LANGUAGE": None, "LANG": "en_US.UTF-8"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A folder of image files, and the image network manabu trained on it (target "label")."""
    root = tmp_path_factory.mktemp("onnx_images")
    photos = image_folder(root / "photos", n=45, side=12, colour=True)
    manabu.fit(photos, time_limit=8, models=["cnn"], max_trials=1, output=root / "model", verbose=False)
    return root / "model", manabu.load(root / "model"), manabu.read(photos)


def session(data: bytes):
    return onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])


def test_onnx_runtime_answers_the_files_as_manabu_does(trained, tmp_path):
    folder, predictor, frame = trained
    result = CliRunner(env=ENGLISH).invoke(app, ["export-onnx", str(folder), "-o", str(tmp_path / "model.onnx")])
    assert result.exit_code == 0, result.output
    assert "model.onnx" in result.output and "probabilities" in result.output
    graph = session((tmp_path / "model.onnx").read_bytes())
    images = predictor.pipeline.steps[0][1].transform(frame)  # ImageInput: (n, 3, 12, 12) in [0, 1]
    assert images.shape[1:] == (3, 12, 12)
    answered = graph.run(None, {"images": images})[0]
    expected = predictor.predict_proba(frame)
    assert answered.shape == expected.shape
    assert np.max(np.abs(answered - expected.to_numpy())) <= 1e-4
    meta = graph.get_modelmeta().custom_metadata_map
    assert json.loads(meta["manabu.classes"]) == list(expected.columns) == predictor.classes
    assert json.loads(meta["manabu.input_shape"]) == [3, 12, 12] and "[0, 1]" in meta["manabu.input"]


@pytest.mark.parametrize("rows", [1, 7])
def test_the_batch_axis_takes_any_number_of_images(trained, rows):
    folder, predictor, frame = trained
    exported = images_onnx.onnx_for_folder(folder)
    assert exported.difference <= images_onnx.TOLERANCE and exported.classes == predictor.classes
    images = predictor.pipeline.steps[0][1].transform(frame.iloc[:rows])
    answered = session(exported.data).run(None, {"images": images})[0]
    assert answered.shape == (rows, 3)
    assert np.max(np.abs(answered - predictor.predict_proba(frame.iloc[:rows]).to_numpy())) <= 1e-4


def test_a_regressor_answers_on_the_target_s_scale():
    images, codes = shape_images(120, side=12)
    target = 1_000.0 + 100.0 * codes
    model = ImageCNNRegressor(width=8, max_epochs=3, batch_size=32, n_threads=1, random_state=0)
    model.fit(images[:, None], target)
    exported = images_onnx.onnx_export(model)
    assert exported.output == "value" and exported.classes is None
    answered = session(exported.data).run(None, {"images": images[:7, None]})[0]
    assert answered.shape == (7,)
    assert np.max(np.abs(answered - model.predict(images[:7, None]))) <= 1e-4 * 1_300


def test_a_tabular_model_is_refused_with_what_to_do(tmp_path):
    from tests.frames import mixed_frame

    manabu.fit(mixed_frame(), "y", time_limit=10, models=["linear"], max_trials=1, output=tmp_path / "model",
               verbose=False)
    with pytest.raises(ConfigError) as refused:
        images_onnx.onnx_for_folder(tmp_path / "model")
    assert refused.value.key == "onnx.not_image_network"
    assert "linear" in str(refused.value) and "--models cnn" in str(refused.value)
    result = CliRunner(env=ENGLISH).invoke(app, ["export-onnx", str(tmp_path / "model"), "-o",
                                                 str(tmp_path / "model.onnx")])
    assert result.exit_code == 2 and "does not cover" in result.output
    assert not (tmp_path / "model.onnx").exists()


def test_a_graph_that_answers_differently_is_not_written(trained, tmp_path, monkeypatch):
    folder, _, _ = trained
    monkeypatch.setattr(images_onnx, "TOLERANCE", -1.0)  # no difference is small enough
    with pytest.raises(ArtifactError) as refused:
        images_onnx.onnx_for_folder(folder)
    assert refused.value.key == "onnx.mismatch"
    result = CliRunner(env=ENGLISH).invoke(app, ["export-onnx", str(folder), "-o", str(tmp_path / "model.onnx"),
                                                 "--lang", "ja"])
    assert result.exit_code == 2 and "何も書き出していません" in result.output
    assert not (tmp_path / "model.onnx").exists()
