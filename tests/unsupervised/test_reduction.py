"""Dimensionality reduction: PCA's variance and loadings, a saved PCA that projects new rows,
UMAP and t-SNE coordinates, and the refusals."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import manabu
from manabu.base.errors import ConfigError
from manabu.unsupervised.model import ReduceModel, reduce
from tests.cli.conftest import Cli
from tests.unsupervised.conftest import predicted_by_command


def test_pca_explains_the_variance_and_names_the_columns_that_weigh(wine):
    model = reduce(wine, dims=3)
    components = model.record["components"]
    shares = [c["explained"] for c in components]
    assert shares == sorted(shares, reverse=True) and 0 < model.record["explained_total"] < 1
    assert model.record["explained_total"] == pytest.approx(sum(shares))
    assert {w["feature"] for w in components[0]["loadings"]} & {"flavanoids", "total_phenols"}
    assert model.embedding_.shape == (len(wine), 3)


def test_a_saved_pca_projects_new_rows_exactly(wine, tmp_path):
    model = reduce(wine)
    back = manabu.load(model.save(tmp_path / "pca"))
    assert isinstance(back, ReduceModel)
    assert np.allclose(back.predict(wine.head(10)).to_numpy(), model.embedding_[:10])
    projected = predicted_by_command(tmp_path / "pca", wine.head(5), tmp_path)
    assert np.allclose(projected[["component_1", "component_2"]], model.embedding_[:5], atol=1e-9)


@pytest.mark.parametrize("method", ["tsne", "umap"])
def test_tsne_and_umap_give_coordinates_but_are_not_saved(wine, tmp_path, method):
    model = reduce(wine, method=method)
    assert model.embedding_.shape == (len(wine), 2) and np.isfinite(model.embedding_).all()
    with pytest.raises(ConfigError, match="only a PCA is saved"):
        model.save(tmp_path / method)


def test_the_command_writes_coordinates_for_pictures(wine, tmp_path):
    data = tmp_path / "wine.csv"
    wine.to_csv(data, index=False)
    result = Cli()("reduce", data, "--method", "tsne", "--coordinates", tmp_path / "xy.csv")
    assert result.exit_code == 0, result.output
    placed = pd.read_csv(tmp_path / "xy.csv")
    assert len(placed) == len(wine) and {"component_1", "component_2", "産地"} <= set(placed.columns)
    assert '<section id="map">' in (tmp_path / "xy.html").read_text("utf-8")
    result = Cli()("reduce", data, "-o", tmp_path / "pca")
    assert result.exit_code == 0 and "keep" in result.output and (tmp_path / "pca" / "manifest.json").is_file()


@pytest.mark.parametrize("kwargs, phrase", [({"dims": 0}, "--dims"), ({"dims": 99}, "--dims"),
                                            ({"method": "ica"}, "not a reduction method")])
def test_bad_settings_get_one_message(wine, kwargs, phrase):
    with pytest.raises(ConfigError, match=phrase):
        reduce(wine, **kwargs)
