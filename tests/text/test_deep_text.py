"""The deep text families through the whole search: the BiLSTM (``lstm``) and the fine-tuning of a
local Transformer checkpoint (``--text-model``), which the test writes itself since nothing can
be downloaded here."""
from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import manabu  # noqa: E402
from tests.text.corpus import english_reviews  # noqa: E402


def _accuracy(predictor, test: pd.DataFrame) -> float:
    return float((predictor.predict(test.drop(columns=["label"])).to_numpy() == test["label"].to_numpy()).mean())


def test_lstm_family_learns_and_round_trips(tmp_path):
    train, test = english_reviews(240, seed=0), english_reviews(80, seed=1)
    predictor = manabu.fit(train, target="label", models=["lstm"], time_limit=60, max_trials=1, verbose=False)
    assert predictor.record.leaderboard[0]["family"] == "lstm"
    assert predictor.record.leaderboard[0]["status"] == "ok"
    assert _accuracy(predictor, test) >= 0.85
    predictor.save(tmp_path / "model")
    loaded = manabu.load(tmp_path / "model")
    pd.testing.assert_frame_equal(loaded.predict_proba(test), predictor.predict_proba(test))


@pytest.fixture
def checkpoint(tmp_path):
    """A tiny BERT with a word-piece vocabulary of the corpus, as ``save_pretrained`` writes it."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder = tmp_path / "tiny-bert"
    folder.mkdir()
    words = sorted({w for text in english_reviews(400, seed=9)["review"] for w in re.findall(r"\w+|[^\w\s]", text.lower())})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words, *"abcdefghijklmnopqrstuvwxyz"]
    (folder / "vocab.txt").write_text("\n".join(dict.fromkeys(vocab)) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab=str(folder / "vocab.txt"))
    torch.manual_seed(0)
    config = BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                        vocab_size=tokenizer.vocab_size, max_position_embeddings=128)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_text_model_is_fine_tuned_and_travels_with_the_model(checkpoint, tmp_path):
    train, test = english_reviews(240, seed=0), english_reviews(80, seed=1)
    predictor = manabu.fit(train, target="label", models=["transformer"], text_model=checkpoint,
                           time_limit=90, max_trials=1, verbose=False)
    best = predictor.record.leaderboard[0]
    assert best["family"] == "transformer" and best["status"] == "ok"
    # a random tiny model barely learns at the fine-tuning rate of real checkpoints (5e-5; its
    # learning is tested at a larger rate in tests/models); here: the text reaches the model
    assert predictor.predict_proba(test)["positive"].round(6).nunique() > 10
    predictor.save(tmp_path / "model")
    shutil.rmtree(checkpoint)  # the model folder holds the fine-tuned weights and the tokenizer
    loaded = manabu.load(tmp_path / "model")
    pd.testing.assert_frame_equal(loaded.predict_proba(test), predictor.predict_proba(test), atol=1e-6)
    assert predictor.record.report["learning"] is not None
