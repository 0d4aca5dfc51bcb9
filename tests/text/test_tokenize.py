"""The word analysers: what a learner sees in ``manabu tokenize`` and what the features count."""
from __future__ import annotations

import pytest

from manabu.data.language import detect_language
from manabu.base.errors import ConfigError
from manabu.features import tokenize
from manabu.features.tokenize import (CHARS, ENGLISH, JAPANESE, analyser, installed, joined_words, normalise,
                                      resolve)

REVIEW = "この店のラーメンは美味しくなかった。"


@pytest.mark.parametrize("name", JAPANESE)
def test_japanese_analysers_keep_content_words_and_negations(name):
    tokens = analyser(name).tokens(REVIEW)
    assert "".join(t.surface for t in tokens) == REVIEW  # every character is in one token
    kept = {t.base for t in tokens if t.kept}
    assert {"店", "ラーメン", "美味しい"} <= kept
    assert "ない" in kept or "無い" in kept  # the negation survives the part-of-speech filter
    dropped = {t.surface for t in tokens if not t.kept}
    assert {"の", "は", "。"} <= dropped  # particles and punctuation are left out
    ramen = next(t for t in tokens if t.surface == "ラーメン")
    assert ramen.reading == "ラーメン" and ramen.pos.startswith("名詞")


@pytest.mark.parametrize("name", JAPANESE)
def test_stop_words_are_left_out(name):
    words = analyser(name).words("私はそれをすることがある。")
    assert not {"私", "それ", "する", "こと", "為る", "事"} & set(words)


def test_sudachi_makes_spelling_variants_one_word():
    sudachi = analyser("sudachi")
    assert sudachi.words("おいしい") == sudachi.words("美味しい")


def test_normalise_widths_case_and_control_characters():
    assert normalise("ＡＢＣ１２３") == "abc123"
    assert normalise("ｶﾀｶﾅ") == "カタカナ"
    assert normalise("a\x00b\x1bc\u200bd") == "a b c d"


def test_emoji_are_kept_as_words():
    assert "😀" in analyser("sudachi").words("最高😀")
    assert "😀" in analyser(ENGLISH).words("great 😀")


def test_english_keeps_negations_and_drops_stop_words():
    words = analyser(ENGLISH).words("I didn't like the room, and it was NOT clean!")
    assert words.count("not") == 2  # "didn't" and "NOT" both read as not
    assert {"like", "room", "clean"} <= set(words)
    assert not {"i", "the", "and", "it", "was", ","} & set(words)


def test_a_one_megabyte_document_is_analysed_in_pieces():
    text = "部屋は広くて快適でした。" * 90_000  # about 1 MB of UTF-8, far past SudachiPy's input limit
    words = analyser("sudachi").words(text)
    assert words.count("快適") == 90_000


def test_resolve_by_language_and_installed_analysers(monkeypatch):
    assert resolve("auto", "en") == ENGLISH
    assert resolve("sudachi", "en") == ENGLISH  # English text is split at spaces whatever was asked
    assert resolve("auto", "ja") == "sudachi"
    assert resolve("janome", "mixed") == "janome"
    monkeypatch.setattr(tokenize, "installed", lambda name: name == ENGLISH)
    assert resolve("auto", "ja") == CHARS
    with pytest.raises(ConfigError) as caught:
        resolve("fugashi", "ja")
    assert 'manabu[fugashi]' in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        resolve("mecab", "ja")
    assert "sudachi" in str(caught.value)


def test_every_japanese_analyser_is_installed_for_the_tests():
    assert all(installed(name) for name in JAPANESE)


def test_detect_language():
    assert detect_language(["部屋は広くて快適でした。"] * 3) == "ja"
    assert detect_language(["The room was clean and quiet."] * 3) == "en"
    assert detect_language(["Wi-Fiは速くてroom serviceもgoodでした"] * 3) == "mixed"
    assert detect_language(["12345", "!!!"]) == "en"


def test_joined_words_are_remembered_and_spaces_inside_words_are_kept_apart():
    first = joined_words("sudachi", "部屋は快適でした。")
    assert first == joined_words("sudachi", "部屋は快適でした。") == "部屋 快適"
    assert all(" " not in word for word in joined_words(ENGLISH, "New York").split(" "))


SUDACHI_SAMPLES = [
    "部屋は快適でしたが、朝食は美味しくなかったです。", "おいしい！最高😀", "ＡＢＣ１２３とｶﾀｶﾅの表記",
    "国家公務員の給与は前年度比5.2%増の351億円となりました。", "ない", "", "   ", "\x00制御\u200b文字",
    "これにより当事業分野での通例となっていた年度内での短期の需要変動も軽微にとどまった。" * 200,
]


def test_sudachi_words_are_the_kept_lemmas_of_its_tokens():
    """``Sudachi.words`` skips building a Token per morpheme; it must keep exactly what
    ``tokens`` keeps."""
    from tests.text.corpus import japanese_reviews

    sudachi = analyser("sudachi")
    texts = SUDACHI_SAMPLES + japanese_reviews(60, seed=4)["レビュー"].tolist()
    for text in texts:
        assert sudachi.words(text) == [t.lemma for t in sudachi.tokens(text) if t.kept], text
