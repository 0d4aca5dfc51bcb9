"""POST /predict, /health and /metadata through the app, as a client sees them."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import manabu
from tests.frames import mixed_frame
from tests.serve.conftest import AUTH, TOKEN, client

ROWS = mixed_frame(5, seed=9).drop(columns="y")


def records(frame: pd.DataFrame = ROWS) -> list[dict]:
    """Rows as a JSON client sends them: dates as text, missing values as null."""
    return json.loads(frame.assign(when=frame["when"].dt.strftime("%Y-%m-%d")).to_json(orient="records"))


@pytest.fixture(scope="module")
def api(binary_model):
    return client(binary_model, token=TOKEN, model_info={"model_version": "abc"})


def test_one_record_gets_the_label_and_probabilities_the_predictor_gives(api, binary_model):
    answer = api.post("/predict", json=records()[0], headers=AUTH)
    assert answer.status_code == 200, answer.text
    expected = manabu.load(binary_model).predict_proba(ROWS.head(1))
    body = answer.json()
    assert body["predictions"] == [expected.idxmax(axis=1).iloc[0]]
    assert body["probabilities"][0] == pytest.approx(expected.iloc[0].to_dict())


def test_many_records_and_a_csv_body_give_the_same_answers(api, binary_model):
    as_json = api.post("/predict", json=records(), headers=AUTH).json()
    csv = ROWS.to_csv(index=False).encode("utf-8")
    as_csv = api.post("/predict", content=csv, headers={**AUTH, "content-type": "text/csv"}).json()
    expected = manabu.load(binary_model).predict(ROWS).tolist()
    assert as_json["predictions"] == as_csv["predictions"] == expected
    for mine, theirs in zip(as_json["probabilities"], as_csv["probabilities"]):
        assert mine == pytest.approx(theirs)
        assert sum(mine.values()) == pytest.approx(1.0)


def test_nulls_unseen_categories_and_extra_columns_are_accepted(api):
    record = {**records()[0], "x1": None, "colour": "紫", "y": "yes", "customer": "A-1"}
    answer = api.post("/predict", json=record, headers=AUTH)
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"][0] in ("no", "yes")


def test_a_regression_model_answers_numbers_without_probabilities(regression_model):
    api = client(regression_model)
    body = api.post("/predict", json=records()[:2]).json()
    assert set(body) == {"predictions"}
    assert body["predictions"] == pytest.approx(manabu.load(regression_model).predict(ROWS.head(2)).tolist())


@pytest.mark.parametrize("send, column, row", [
    ([{k: v for k, v in records()[0].items() if k != "x2"}], "x2", 0),
    ([records()[0], {**records()[1], "x1": "many"}], "x1", 1),
    ([{**records()[0], "flag": [1, 2]}], "flag", 0),
])
def test_an_invalid_record_gets_a_422_naming_its_row_and_column(api, send, column, row):
    answer = api.post("/predict", json=send, headers=AUTH)
    assert answer.status_code == 422
    body = answer.json()
    assert body["detail"][0]["column"] == column and body["detail"][0]["row"] == row
    assert f'"{column}"' in body["message"] and f"row {row}" in body["message"]
    assert f"「{column}」" in body["message_ja"]


@pytest.mark.parametrize("body, phrase", [
    (b'{"x1": NaN}', "NaN is not JSON"),
    (b'[{"x1": Infinity}]', "Infinity is not JSON"),
    (b"{not json", "not valid JSON"),
    (b"[]", "no records"),
    (b'"a string"', "no records"),
])
def test_bodies_that_are_not_records_get_a_422_that_says_why(api, body, phrase):
    answer = api.post("/predict", content=body, headers={**AUTH, "content-type": "application/json"})
    assert answer.status_code == 422 and phrase in answer.json()["message"]


def test_a_csv_without_the_model_columns_is_refused_with_their_names(api):
    answer = api.post("/predict", content=b"x1,colour\n1,red\n", headers={**AUTH, "content-type": "text/csv"})
    assert answer.status_code == 422
    assert [d["column"] for d in answer.json()["detail"]] == ["x2", "when", "flag"]


def test_a_csv_that_cannot_be_read_is_refused_in_one_sentence(api):
    answer = api.post("/predict", content=b"x1,x2\n1,2,3,4\n", headers={**AUTH, "content-type": "text/csv"})
    assert answer.status_code == 422 and "line" in answer.json()["message"]


def test_other_media_types_get_a_415(api):
    answer = api.post("/predict", content=b"x1=1", headers={**AUTH, "content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 415 and "application/json or text/csv" in answer.json()["message"]


def test_a_body_over_the_limit_gets_a_413_declared_or_streamed(binary_model):
    api = client(binary_model, max_body_bytes=2_000)
    big = json.dumps(records() * 50).encode()
    assert api.post("/predict", content=big, headers={"content-type": "application/json"}).status_code == 413
    chunks = (big[i:i + 500] for i in range(0, len(big), 500))  # no Content-Length: counted as it streams
    answer = api.post("/predict", content=chunks, headers={"content-type": "application/json"})
    assert answer.status_code == 413 and "2,000 bytes" in answer.json()["message"]
    assert api.post("/predict", json=records()[0]).status_code == 200


@pytest.mark.parametrize("path, method", [("/predict", "post"), ("/metadata", "get"), ("/openapi.json", "get"),
                                          ("/docs", "get")])
def test_every_route_but_health_needs_the_token(api, path, method):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        answer = getattr(api, method)(path, headers=headers)
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert api.get("/health").json() == {"status": "ok"}
    assert getattr(api, method)(path, headers=AUTH).status_code != 401


def test_metadata_says_what_the_model_is(api, binary_model):
    meta = api.get("/metadata", headers=AUTH).json()
    predictor = manabu.load(binary_model)
    assert meta["task"] == "binary" and meta["target"] == "y" and meta["classes"] == ["no", "yes"]
    assert meta["metric"] == "roc_auc" and meta["score"] == pytest.approx(predictor.leaderboard()["score"].iloc[0])
    assert [c["name"] for c in meta["columns"]] == ["x1", "x2", "colour", "when", "flag"]
    assert meta["model_version"] == "abc" and meta["manabu_version"] == manabu.__version__


def test_the_openapi_document_shows_the_real_columns(api):
    document = api.get("/openapi.json", headers=AUTH).json()
    record = document["components"]["schemas"]["Record"]
    assert list(record["properties"]) == ["x1", "x2", "colour", "when", "flag"]
    assert record["required"] == ["x1", "x2", "colour", "when", "flag"]
    assert {"type": "number"} in record["properties"]["x1"]["anyOf"]
    assert "赤" in record["properties"]["colour"]["description"]
    body = document["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "text/csv"}


def test_predictions_match_for_many_rows_beyond_the_row_path(api, binary_model):
    frame = mixed_frame(600, seed=4).drop(columns="y")
    body = api.post("/predict", json=records(frame), headers=AUTH).json()
    assert body["predictions"] == manabu.load(binary_model).predict(frame).tolist()
    assert np.isfinite([p["yes"] for p in body["probabilities"]]).all()
