"""The language of a free-text column, which decides how its words are read."""
from __future__ import annotations

import re

# the word analysers (manabu.features.tokenize), named here so that the settings can be checked
# without loading them; Japanese ones in the order "auto" prefers them: SudachiPy's dictionary is
# the most recent and normalises spelling variants (附属/付属), fugashi (MeCab) is the fastest,
# Janome needs no C
JAPANESE = ("sudachi", "fugashi", "janome")
ENGLISH = "english"
TOKENIZER_CHOICES = ("auto", *JAPANESE, ENGLISH)

_JAPANESE_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def detect_language(texts: list[str]) -> str:
    """"ja", "en" or "mixed", from the letters of a sample of texts: Japanese when at least 80%
    of the letters are kana or kanji, English below 20%, mixed in between."""
    japanese = latin = 0
    for text in texts[:1000]:
        head = text[:500]
        japanese += len(_JAPANESE_CHAR.findall(head))
        latin += len(_LATIN_LETTER.findall(head))
    if japanese + latin == 0:
        return "en"
    share = japanese / (japanese + latin)
    return "ja" if share >= 0.8 else "en" if share < 0.2 else "mixed"
