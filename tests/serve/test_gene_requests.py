"""A model trained on a sparse gene matrix answers JSON requests that give each cell as
``{gene: value}``: the genes left out are zero, a gene the model never saw is refused by name."""
from __future__ import annotations

import pytest

import manabu
from manabu.data.gene_matrix import GENES_COLUMN, gene_matrix
from tests.data.test_gene_matrix import cells
from tests.serve.conftest import AUTH, TOKEN, client

pytest.importorskip("scanpy")


@pytest.fixture(scope="module")
def sparse_model(tmp_path_factory):
    df, _ = cells(300, 400, 0.02)
    folder = tmp_path_factory.mktemp("genes") / "model"
    manabu.fit(df, target="cell_type", models=["linear"], time_limit=20, max_trials=1, verbose=False).save(folder)
    return folder, df


def as_records(df, rows):
    """Each cell as its expressed genes only, as a client with a sparse matrix would send it."""
    matrix = gene_matrix(df[GENES_COLUMN])
    out = []
    for row in rows:
        cell = matrix.matrix[row]
        out.append({GENES_COLUMN: {matrix.genes[i]: float(v) for i, v in zip(cell.indices, cell.data)}})
    return out


def test_cells_as_expressed_genes_get_the_predictions_of_the_matrix(sparse_model):
    folder, df = sparse_model
    api = client(folder, token=TOKEN)
    rows = [0, 7, 42, 99]
    answer = api.post("/predict", json=as_records(df, rows), headers=AUTH)
    assert answer.status_code == 200, answer.text
    expected = manabu.load(folder).predict(df.iloc[rows])
    assert answer.json()["predictions"] == expected.tolist()
    empty = api.post("/predict", json={GENES_COLUMN: {}}, headers=AUTH)
    assert empty.status_code == 200 and len(empty.json()["predictions"]) == 1

    typo = as_records(df, [0])
    typo[0][GENES_COLUMN]["G_NOT_A_GENE"] = 2.0
    refused = api.post("/predict", json=typo, headers=AUTH)
    assert refused.status_code == 422 and "G_NOT_A_GENE" in refused.json()["message"]
    wrong = api.post("/predict", json={GENES_COLUMN: {"G1": "high"}}, headers=AUTH)
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["column"] == GENES_COLUMN
    described = api.get("/openapi.json", headers=AUTH)
    assert described.status_code == 200 and "genes left out are zero" in described.text
