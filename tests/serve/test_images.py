"""Serving an image model: images uploaded as files (multipart/form-data) or as base64 in JSON,
answered as the model answers the same files, and said so in the OpenAPI document."""
from __future__ import annotations

import base64

import pytest

import manabu
from tests.images import image_folder
from tests.serve.conftest import client

pytest.importorskip("torch")
pytest.importorskip("kornia")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve_images")
    photos = image_folder(root / "photos", n=45, side=12)
    manabu.fit(photos, time_limit=10, models=["cnn"], output=root / "model", verbose=False)  # target: "label"
    files = sorted(photos.rglob("*.png"))[:3]
    return client(root / "model"), manabu.load(root / "model"), files


def test_uploaded_files_get_the_answers_the_model_gives_for_them(served):
    api, predictor, files = served
    upload = [("image", (file.name, file.read_bytes(), "image/png")) for file in files]
    answer = api.post("/predict", files=upload)
    assert answer.status_code == 200, answer.text
    expected = predictor.predict_proba(manabu.read(files[0].parents[1])
                                       .set_index("image").loc[[str(f) for f in files]].reset_index())
    body = answer.json()
    assert body["predictions"] == list(expected.idxmax(axis=1))
    for given, row in zip(body["probabilities"], expected.to_dict("records")):
        assert given == pytest.approx(row, abs=1e-6)


def test_base64_and_data_urls_in_json_answer_alike(served):
    api, _, files = served
    data = base64.b64encode(files[0].read_bytes()).decode("ascii")
    plain = api.post("/predict", json={"image": data}).json()
    url = api.post("/predict", json=[{"image": "data:image/png;base64," + data}]).json()
    multipart = api.post("/predict", files=[("image", ("a.png", files[0].read_bytes(), "image/png"))]).json()
    assert plain["predictions"] == url["predictions"] == multipart["predictions"]
    assert plain["probabilities"][0] == pytest.approx(multipart["probabilities"][0])


def test_what_is_not_an_image_is_named(served):
    api, _, _ = served
    bad = api.post("/predict", json={"image": "not base64!"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["column"] == "image"
    broken = api.post("/predict", files=[("image", ("broken.png", b"\x89PNG\r\n\x1a\n garbage", "image/png"))])
    assert broken.status_code == 422 and "image" in broken.json()["message"].lower()
    none = api.post("/predict", data={"note": "x"}, files=[])
    assert none.status_code in (415, 422)


def test_the_openapi_document_offers_the_upload(served):
    api, _, _ = served
    body = api.get("/openapi.json").json()["paths"]["/predict"]["post"]["requestBody"]["content"]
    image = body["multipart/form-data"]["schema"]["properties"]["image"]
    assert image["items"]["format"] == "binary"
    record = api.get("/openapi.json").json()["components"]["schemas"]["Record"]["properties"]["image"]
    assert "base64" in record["description"]
