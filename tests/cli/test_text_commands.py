"""``manabu tokenize`` and ``manabu explain``, and text through ``manabu train``."""
from __future__ import annotations

import pytest

from tests.cli.conftest import FAST, assert_refused
from tests.text.corpus import japanese_reviews


def test_tokenize_shows_the_analysis_table(cli):
    result = cli("tokenize", "この店のラーメンは美味しくなかった😢", "--lang", "ja")
    assert result.exit_code == 0, result.output
    for expected in ("表層形", "原形", "読み", "品詞", "ラーメン", "美味しい", "オイシク", "形容詞", "sudachi", "😢"):
        assert expected in result.output
    assert "個の形態素のうち" in result.output


@pytest.mark.parametrize("tokenizer", ["fugashi", "janome"])
def test_tokenize_with_another_analyser(cli, tokenizer):
    result = cli("tokenize", "部屋は快適でした", "--tokenizer", tokenizer)
    assert result.exit_code == 0, result.output
    assert tokenizer in result.output and "快適" in result.output


def test_tokenize_reads_a_shift_jis_file_line_by_line(cli, tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_bytes("部屋は快適でした。\n\n朝食が美味しかった。\n".encode("cp932"))
    result = cli("tokenize", path)
    assert result.exit_code == 0, result.output
    assert "快適" in result.output and "朝食" in result.output and result.output.count("tokens,") == 2


def test_tokenize_english(cli):
    result = cli("tokenize", "I didn't like the room")
    assert result.exit_code == 0, result.output
    assert "english" in result.output and "not" in result.output


def test_tokenize_refuses_nothing_and_too_much(cli, tmp_path):
    assert_refused(cli("tokenize", "   "), "no text to analyse")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert_refused(cli("tokenize", empty), "empty")
    assert_refused(cli("tokenize", "あ" * 20_000), "20,000 characters")
    assert_refused(cli("tokenize", "部屋", "--tokenizer", "mecab"), "unknown tokenizer")


@pytest.fixture(scope="module")
def text_model(tmp_path_factory):
    from typer.testing import CliRunner

    from manabu.cli import app
    from tests.cli.conftest import ENGLISH

    folder = tmp_path_factory.mktemp("text")
    data = folder / "reviews.csv"
    japanese_reviews(240).to_csv(data, index=False, encoding="cp932")
    result = CliRunner(env=ENGLISH).invoke(app, ["train", str(data), "--target", "評価", "-o", str(folder / "model"),
                                                 "--models", "text_linear,naive_bayes", "--time-limit", "20",
                                                 "--max-trials", "3", "--tokenizer", "sudachi"])
    assert result.exit_code == 0, result.output
    assert "words read by sudachi" in result.output
    return folder / "model"


def test_explain_lists_the_words_and_their_direction(cli, text_model):
    result = cli("explain", text_model, "出張で二泊しました。部屋は最悪でした。", "--lang", "ja")
    assert result.exit_code == 0, result.output
    assert "予測: ネガティブ" in result.output and "最悪" in result.output and "▲" in result.output
    assert "取り除いたとき" in result.output


def test_explain_refuses_a_model_without_text(cli, tmp_path):
    import pandas as pd
    data = tmp_path / "numbers.csv"
    pd.DataFrame({"x": [(i * 7919) % 61 / 3 for i in range(60)], "y": [i % 2 for i in range(60)]}).to_csv(data, index=False)
    assert cli("train", data, "--target", "y", "-o", tmp_path / "m", *FAST).exit_code == 0
    assert_refused(cli("explain", tmp_path / "m", "some text"), "no text column")


def test_train_refuses_a_text_family_without_text_and_a_missing_checkpoint(cli, tmp_path):
    import pandas as pd
    data = tmp_path / "numbers.csv"
    pd.DataFrame({"x": [(i * 7919) % 61 / 3 for i in range(60)], "y": [i % 2 for i in range(60)]}).to_csv(data, index=False)
    assert_refused(cli("train", data, "--target", "y", "--models", "naive_bayes"), "no text column",
                   parent=tmp_path / "manabu-models")
    reviews = tmp_path / "reviews.csv"
    japanese_reviews(60).to_csv(reviews, index=False)
    assert_refused(cli("train", reviews, "--target", "評価", "--text-model", tmp_path / "nowhere"),
                   "does not exist")


def test_tokenize_a_missing_file_is_not_read_as_a_sentence(cli, tmp_path):
    (tmp_path / "reviews.txt").write_text("部屋は快適でした。", encoding="utf-8")
    assert_refused(cli("tokenize", tmp_path / "review.txt"), "not found", "reviews.txt")
