"""Images from the command line: ``manabu train photos/`` (sub-folders are the classes),
``manabu predict MODEL photos/``, and a table of pixels where the network competes with the
tabular families."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.cli.conftest import assert_refused
from tests.images import image_folder, pixel_frame

pytest.importorskip("torch")
pytest.importorskip("kornia")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model of a folder of 60 shapes, trained once for the tests below."""
    from tests.cli.conftest import Cli

    root = tmp_path_factory.mktemp("images")
    photos = image_folder(root / "photos", n=60, side=16)
    (photos / "bar" / "broken.png").write_bytes(b"")  # skipped, with a notice
    result = Cli()("train", photos, "-o", root / "model", "--time-limit", "15")
    return photos, root / "model", result


def test_a_folder_of_class_folders_trains_without_a_target(trained):
    photos, model, result = trained
    assert result.exit_code == 0, result.output
    assert 'to predict "label"' in result.output and "broken.png" in result.output
    manifest = json.loads((model / "manifest.json").read_text("utf-8"))
    assert manifest["training"]["validation"]["kind"] == "holdout"
    # the network (or an ensemble of networks) as safetensors weights beside their description
    files = {path.name for path in model.rglob("*") if path.is_file()}
    assert {"model.safetensors", "model.network.json"} <= files
    assert not {name for name in files if name.endswith((".pkl", ".pt", ".pth", ".joblib"))}
    network = manifest["training"]["report"]["network"]
    assert network["model"].startswith("cnn") and network["epochs"] and network["verdict"]
    assert 'id="network"' in (model / "report.html").read_text("utf-8")


def test_predict_answers_one_row_per_image_of_a_folder_a_piece_at_a_time(trained, cli, tmp_path, monkeypatch):
    from manabu.data.read import chunks

    monkeypatch.setattr(chunks, "IMAGE_CHUNK_ROWS", 7)  # a folder of any size: images decoded 7 at a time
    photos, model, _ = trained
    assert [len(piece) for piece in chunks.read_chunks(photos)] == [7] * 8 + [4]
    out = tmp_path / "predictions.csv"
    result = cli("predict", model, photos, "-o", out)
    assert result.exit_code == 0, result.output
    answers = pd.read_csv(out)
    assert len(answers) == 60 and list(answers["image"]) == sorted(answers["image"], key=lambda p: (p.split("/")[-2], p))
    assert {"image", "label_predicted", "proba_bar", "proba_cross", "proba_square"} <= set(answers.columns)
    assert (answers["label_predicted"] == answers["label"]).mean() > 0.5  # better than chance (1/3)


def test_a_table_of_pixels_lets_the_network_compete_with_the_tabular_families(cli, tmp_path):
    data = tmp_path / "pixels.csv"
    pixel_frame(150, side=8).to_csv(data, index=False)
    result = cli("train", data, "--target", "y", "-o", tmp_path / "model", "--time-limit", "20",
                 "--models", "cnn,linear")
    assert result.exit_code == 0, result.output
    board = json.loads((tmp_path / "model" / "manifest.json").read_text("utf-8"))["training"]["leaderboard"]
    assert {"cnn", "linear"} <= {row["family"] for row in board if row["status"] == "ok"}


def test_a_table_without_target_is_refused_in_one_sentence(cli, tmp_path):
    data = tmp_path / "pixels.csv"
    pixel_frame(40, side=8).to_csv(data, index=False)
    assert_refused(cli("train", data), "--target")


def test_the_network_on_data_without_images_is_refused(cli, tmp_path):
    from tests.frames import mixed_frame

    data = tmp_path / "table.csv"
    mixed_frame(60).to_csv(data, index=False)
    assert_refused(cli("train", data, "--target", "y", "--models", "cnn"), "learns from images")


def test_a_folder_of_one_class_is_refused(cli, tmp_path):
    photos = image_folder(tmp_path / "photos", n=30, side=8)
    for other in ("cross", "square"):
        for file in (photos / other).iterdir():
            file.unlink()
        (photos / other).rmdir()
    result = cli("train", photos, "-o", tmp_path / "model", "--time-limit", "10")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "class" in result.output.lower()


def test_a_class_of_one_image_trains_with_a_notice_rather_than_failing(cli, tmp_path):
    photos = image_folder(tmp_path / "photos", n=30, side=8)
    for file in sorted((photos / "cross").iterdir())[1:]:
        file.unlink()
    result = cli("train", photos, "-o", tmp_path / "model", "--time-limit", "10")
    assert result.exit_code == 0, result.output
    assert "split at random" in result.output and (tmp_path / "model" / "manifest.json").is_file()
