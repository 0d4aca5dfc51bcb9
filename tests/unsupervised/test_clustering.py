"""Clustering: the number of groups found, what sets each apart, and a saved model that places
new rows; the nasty cases get one clear message."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

import manabu
from manabu.base.errors import ConfigError, DataError
from manabu.unsupervised.model import ClusterModel, cluster
from tests.cli.conftest import Cli
from tests.unsupervised.conftest import predicted_by_command


def blobs(n: int = 600, centers: int = 4, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_blobs(n, n_features=3, centers=centers, cluster_std=0.6, random_state=seed)
    frame = pd.DataFrame(X, columns=["長さ", "width", "depth"])
    frame["shop"] = np.where(y == 0, "東京", np.where(y == 1, "大阪", "福岡"))  # a category that follows the groups
    return frame, y


def test_auto_k_finds_well_separated_groups_and_says_why():
    frame, truth = blobs()
    model = cluster(frame)
    assert model.k == 4 and adjusted_rand_score(truth, model.labels_) > 0.95
    choice = model.record["k_choice"]
    assert [row["k"] for row in choice["scores"]] == list(range(2, 11))
    assert list(choice["votes"].values()).count(4) >= 2
    tokyo = next(p for p in model.record["profiles"] if any(t.get("value") == "東京" for t in p["traits"]))
    assert tokyo["size"] == (truth == 0).sum()


@pytest.mark.parametrize("method", ["gmm", "agglomerative", "hdbscan", "dbscan"])
def test_every_method_groups_the_rows(method):
    frame, truth = blobs(300)
    model = cluster(frame, method=method, k=4 if method in ("gmm", "agglomerative") else "auto")
    assert len(model.labels_) == 300
    if method in ("gmm", "agglomerative", "hdbscan"):
        assert adjusted_rand_score(truth, model.labels_) > 0.8


def test_a_saved_clustering_loads_back_and_places_new_rows(tmp_path):
    frame, _ = blobs()
    model = cluster(frame, k=4)
    saved = model.save(tmp_path / "clusters")
    back = manabu.load(saved)
    assert isinstance(back, ClusterModel) and back.k == 4
    assert (back.predict(frame.head(100)).to_numpy() == model.labels_[:100]).all()
    assigned = predicted_by_command(saved, frame.head(30), tmp_path)
    assert (assigned["cluster"].to_numpy() == model.labels_[:30]).all()


def test_large_data_uses_mini_batch_k_means_and_a_sample_for_the_choice():
    frame, truth = blobs(60_000, centers=3)
    model = cluster(frame)
    assert model.k == 3 and adjusted_rand_score(truth, model.labels_) > 0.95
    assert type(model.pipeline.named_steps["model"]).__name__ == "MiniBatchKMeans"


def test_categorical_only_and_empty_columns_still_cluster():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"colour": rng.choice(["赤", "青"], 200), "size": rng.choice(["S", "M", "L"], 200),
                          "blank": np.nan})
    model = cluster(frame, k=3)
    assert model.k == 3 and len(set(model.labels_)) == 3


def test_text_only_data_is_grouped_soundly():
    """Free text alone (character n-grams, until the text features of issue 7): rows that say the
    same thing share a cluster."""
    rng = np.random.default_rng(0)
    sentences = ["the battery died after two days", "battery life is great", "screen cracked on arrival",
                 "the screen is bright", "delivery was late again", "arrived early and well packed"]
    said = rng.choice(sentences, 300)
    model = cluster(pd.DataFrame({"review": said}), k=6)
    assert adjusted_rand_score(said, model.labels_) > 0.95


@pytest.mark.parametrize("call, error, phrase", [
    (lambda f: cluster(f.head(5), k=8), DataError, "8 clusters were asked for, but the data has 5 rows"),
    (lambda f: cluster(f, k="1"), ConfigError, "at least 2"),
    (lambda f: cluster(f, k="many"), ConfigError, "at least 2"),
    (lambda f: cluster(f, method="spectral"), ConfigError, "not a clustering method"),
    (lambda f: cluster(pd.concat([f.head(1)] * 50, ignore_index=True)), DataError, "nothing to compare the rows by"),
    (lambda f: cluster(pd.concat([f.head(1)] * 50 + [f.head(1).assign(shop="x")], ignore_index=True), k=2,
                       method="gmm").k, None, None),
])
def test_impossible_requests_get_one_message(call, error, phrase):
    frame, _ = blobs(100)
    if error is None:  # a single row that differs: still two clusters, no crash
        assert call(frame) == 2
        return
    with pytest.raises(error, match=phrase):
        call(frame)


def test_the_command_prints_the_choice_and_the_clusters_in_words(tmp_path):
    frame, _ = blobs()
    data = tmp_path / "shops.csv"
    frame.to_csv(data, index=False)
    result = Cli()("cluster", data, "-o", tmp_path / "clusters", "--labels", tmp_path / "labelled.csv")
    assert result.exit_code == 0, result.output
    labelled = pd.read_csv(tmp_path / "labelled.csv")
    assert len(labelled) == len(frame) and labelled["cluster"].nunique() == 4
    text = result.output.replace("\n", " ")
    assert "k = 4:" in text and "silhouette" in text and "4 clusters found by kmeans" in text
    assert "shop = 東京" in text and "higher than average" in text or "lower than average" in text
    assert (tmp_path / "clusters" / "manifest.json").is_file()
