"""``POST /forecast`` answers the same forecast as ``predict``, from the learnt history or a new one."""
from __future__ import annotations

import pytest

from tests.forecasting.conftest import monthly


@pytest.fixture(scope="module")
def client(trained, tmp_path_factory):
    from fastapi.testclient import TestClient

    from manabu.serve.server import load_app

    folder = trained.save(tmp_path_factory.mktemp("serve_forecast") / "model", report=False)
    served = load_app(folder, None)  # the folder's kind chooses the app
    assert "/forecast" in served.listening("http://host")
    return TestClient(served.app)


def test_the_forecast_of_the_learnt_history(client, trained):
    answer = client.post("/forecast", json={"horizon": 3})
    assert answer.status_code == 200
    rows = answer.json()["forecast"]
    expected = trained.predict(3)
    assert [row["month"][:10] for row in rows] == [str(t.date()) for t in expected.month]
    assert [row["sales_forecast"] for row in rows] == pytest.approx(expected.sales_forecast.tolist())
    assert client.get("/metadata").json()["horizon"] == 6


def test_a_new_history_in_the_body(client):
    history = monthly(points=73).tail(1).assign(month=lambda f: f.month.dt.strftime("%Y-%m-%d")).to_dict("records")
    answer = client.post("/forecast", json={"history": history})
    assert answer.status_code == 200 and answer.json()["forecast"][0]["month"].startswith("2021-02-01")


@pytest.mark.parametrize("body, status", [({"horizon": 60}, 422), ({"horizon": "soon"}, 422), ([1, 2], 422),
                                          ({"history": "yesterday"}, 422)])
def test_bad_bodies_get_one_message(client, body, status):
    answer = client.post("/forecast", json=body)
    assert answer.status_code == status and answer.json()["message"]


def test_not_json_is_refused(client):
    answer = client.post("/forecast", content=b"a,b", headers={"content-type": "text/csv"})
    assert answer.status_code == 415
