"""Serving a segmentation model: ``POST /segment`` answers the mask the model gives for each
uploaded image (multipart/form-data, or base64 in JSON), as a PNG in the training masks' values."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest

pytest.importorskip("torch")

from tests.segmentation.discs import disc_folders  # noqa: E402


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from manabu.segmentation.model import segment

    root = tmp_path_factory.mktemp("serve_segmentation")
    images, masks = disc_folders(root / "data", n=16)
    model = segment(images, masks, time_limit=8, seed=0, width=8, tile=32, output=root / "model")
    from fastapi.testclient import TestClient

    from manabu.serve.server import load_app

    served = load_app(root / "model", None)  # the folder's kind chooses the app
    assert "/segment" in served.listening("http://host")
    return TestClient(served.app), model, sorted(images.glob("*.png"))[:2]


def _mask_of(png_base64: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(png_base64))))


def test_an_uploaded_image_gets_the_mask_the_model_gives(served):
    api, model, files = served
    answer = api.post("/segment", files=[("image", (f.name, f.read_bytes(), "image/png")) for f in files])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["classes"] == [0, 255] and len(body["masks"]) == 2
    for file, given in zip(files, body["masks"]):
        expected = model.predict(str(file))
        mask = _mask_of(given["mask_png"])
        assert mask.shape == (given["height"], given["width"]) == expected.shape
        assert np.array_equal(mask, expected)
        assert sum(given["pixels"].values()) == mask.size


def test_base64_in_json_and_a_png_answer(served):
    api, model, files = served
    data = base64.b64encode(files[0].read_bytes()).decode()
    by_json = api.post("/segment", json={"image": f"data:image/png;base64,{data}"})
    assert by_json.status_code == 200, by_json.text
    png = api.post("/segment?format=png", json={"images": [data]})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    from PIL import Image

    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png.content))),
                          _mask_of(by_json.json()["masks"][0]["mask_png"]))
    assert "/segment" in api.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("request_kwargs, status, phrase", [
    ({"json": {"image": "not base64!"}}, 422, "base64"),
    ({"json": {"rows": []}}, 422, "no image"),
    ({"content": b"a,b\n1,2\n", "headers": {"content-type": "text/csv"}}, 415, "multipart/form-data"),
    ({"files": [("image", ("broken.png", b"\x89PNG\r\n\x1a\n broken", "image/png"))]}, 422, "image 1"),
])
def test_what_is_not_an_image_gets_one_message(served, request_kwargs, status, phrase):
    api, _, _ = served
    answer = api.post("/segment", **request_kwargs)
    assert answer.status_code == status, answer.text
    assert phrase in answer.json()["message"] and "Traceback" not in answer.text
