"""Words out of free text: Japanese morphological analysis (SudachiPy, fugashi or Janome) and a
plain English word splitter, behind one interface.

Japanese has no spaces between words, so the words come from a dictionary-based analyser. Each
token keeps its surface, its dictionary form (the *lemma*: 美味しく → 美味しい), its reading and
its part of speech; a feature counts the lemmas of content words only (nouns, verbs,
adjectives, adverbs...), leaving out particles, punctuation and a short list of stop words,
but keeping the negations (ない, ず, ぬ) that turn a review around, and emoji.

The analysers are extras (``manabu[ja]`` for SudachiPy, ``manabu[fugashi]``, ``manabu[janome]``),
imported only here and only when asked for.
"""
from __future__ import annotations

import importlib.util
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from manabu.data.language import ENGLISH, JAPANESE, TOKENIZER_CHOICES as CHOICES
from manabu.data.schema import Column, ColumnType, Schema
from manabu.base.errors import ConfigError
from manabu.base.i18n import Message

CHARS = "chars"  # no analyser installed: the text is read as characters only
TOKENIZERS = (*JAPANESE, ENGLISH)
EXTRA = {"sudachi": "ja", "fugashi": "fugashi", "janome": "janome"}
MODULE = {"sudachi": "sudachipy", "fugashi": "fugashi", "janome": "janome"}

# parts of speech (the first level, in UniDic's and IPADIC's names) whose words carry content
CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "連体詞", "感動詞", "接頭辞",
                         "接頭詞", "代名詞", "形容動詞"})
# auxiliaries that negate: 美味しくない without ない reads as 美味しい
NEGATIONS = frozenset({"ない", "無い", "ぬ", "ず", "ん", "まい", "ませ"})
# Japanese analysers cut their input: SudachiPy refuses more than about 49 KB in one call
CHUNK_CHARS = 4_000
CACHE_CHARS = 50_000_000  # texts whose words are remembered, in characters, per process


@dataclass(frozen=True)
class Token:
    surface: str   # as written (after normalisation)
    base: str      # the dictionary form as a reader writes it: 美味しかっ → 美味しい
    lemma: str     # the form features count: the dictionary form, spelling variants made one
                   # by SudachiPy (おいしい, 美味しい → 美味しい)
    reading: str   # katakana reading; empty for English
    pos: str       # part of speech, levels joined by "-": 名詞-普通名詞-一般
    kept: bool     # counted as a word: a content word, not a stop word


# ------------------------------------------------------------------------------ normalisation

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


def normalise(text: str) -> str:
    """NFKC (full-width ＡＢＣ１ and half-width ｶﾀｶﾅ to their usual forms), lower case, and control
    characters as spaces, so that the same word is written one way."""
    return _CONTROL.sub(" ", unicodedata.normalize("NFKC", text)).lower()


def installed(name: str) -> bool:
    return name == ENGLISH or importlib.util.find_spec(MODULE[name]) is not None


def resolve(requested: str, language: str) -> str:
    """The analyser for a column: English text is split at spaces whatever was asked; Japanese
    and mixed text gets the analyser asked for, or with "auto" the first one installed, or
    characters alone when none is."""
    if requested not in CHOICES:
        raise ConfigError("text.unknown_tokenizer", value=requested, choices=", ".join(CHOICES))
    if language == "en":
        return ENGLISH
    if requested == "auto":
        return next((name for name in JAPANESE if installed(name)), CHARS)
    if requested == ENGLISH:
        return ENGLISH
    if not installed(requested):
        raise ConfigError("text.tokenizer_missing", tokenizer=requested, extra=EXTRA[requested])
    return requested


# ------------------------------------------------------------------------------- analysers

class Analyser:
    """One tokenizer: ``tokens`` for people (``manabu tokenize``), ``words`` for features."""

    name: str

    def tokens(self, text: str) -> list[Token]:
        raise NotImplementedError

    def words(self, text: str) -> list[str]:
        return [token.lemma for token in self.tokens(text) if token.kept]


class _Japanese(Analyser):
    """A morphological analyser: the normalised text is cut into pieces it accepts, and each
    piece's morphemes become tokens, content words kept (``_keep``)."""

    def tokens(self, text: str) -> list[Token]:
        return [token for piece in _chunks(normalise(text)) for token in self._piece(piece)]

    def _piece(self, piece: str):
        raise NotImplementedError


def _token(surface: str, base: str, lemma: str, reading: str, pos: str) -> Token:
    return Token(surface, base, lemma, reading, pos, _keep(pos, lemma, surface))


def _keep(pos: str, lemma: str, surface: str) -> bool:
    return _keep_word(pos.split("-", 1)[0], lemma, surface)


def _keep_word(top: str, lemma: str, surface: str) -> bool:
    """Whether a word of this first-level part of speech counts (see the module docstring)."""
    if lemma in NEGATIONS and top in ("助動詞", "形容詞"):
        return True
    if top in CONTENT_POS:
        return lemma not in japanese_stop_words() and not surface.isspace()
    return _emoji(surface)


def _emoji(surface: str) -> bool:
    return bool(surface) and all(unicodedata.category(ch) == "So" for ch in surface)


def _chunks(text: str, size: int = CHUNK_CHARS):
    """Pieces under ``size`` characters, cut after a sentence end or a newline where one is near."""
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            cut = max(text.rfind("。", start, end), text.rfind("\n", start, end), text.rfind(" ", start, end))
            end = cut + 1 if cut > start + size // 2 else end
        yield text[start:end]
        start = end


class Sudachi(_Japanese):
    name = "sudachi"

    def __init__(self) -> None:
        from sudachipy import Dictionary, SplitMode
        # mode C keeps compounds whole (国家公務員), the unit a reader sees as one word;
        # SudachiPy 0.7 renamed create() (which GiNZA's pin to 0.6 still needs) to tokenizer()
        dictionary = Dictionary(dict="core")
        make = getattr(dictionary, "tokenizer", None) or dictionary.create
        self._tokenizer = make(mode=SplitMode.C)
        self._dictionary = dictionary
        self._top_pos: dict[int, str] = {}  # part-of-speech id -> its first level

    def _piece(self, piece: str):
        for m in self._tokenizer.tokenize(piece):
            pos = "-".join(p for p in m.part_of_speech()[:4] if p != "*")
            yield _token(m.surface(), m.dictionary_form(), m.normalized_form(), m.reading_form(), pos)

    def words(self, text: str) -> list[str]:
        """The same words as ``tokens`` keeps, without a ``Token`` per morpheme: building them
        (the part of speech joined, the reading, the dictionary form) took more than half of
        the time that analysing chABSA's 3,215 sentences took."""
        kept = []
        for piece in _chunks(normalise(text)):
            for m in self._tokenizer.tokenize(piece):
                pos_id = m.part_of_speech_id()
                top = self._top_pos.get(pos_id)
                if top is None:
                    top = self._top_pos[pos_id] = self._dictionary.pos_of(pos_id)[0]
                lemma = m.normalized_form()
                if _keep_word(top, lemma, m.surface()):
                    kept.append(lemma)
        return kept


class Fugashi(_Japanese):
    name = "fugashi"

    def __init__(self) -> None:
        import fugashi
        self._tagger = fugashi.Tagger()  # with unidic-lite, the dictionary its package ships

    def _piece(self, piece: str):
        for word in self._tagger(piece):
            f = word.feature
            pos = "-".join(p for p in (f.pos1, f.pos2, f.pos3, f.pos4) if p and p != "*")
            lemma = getattr(f, "orthBase", None) or word.surface  # unknown words have none
            yield _token(word.surface, lemma, lemma, getattr(f, "kana", None) or "", pos)


class Janome(_Japanese):
    name = "janome"

    def __init__(self) -> None:
        from janome.tokenizer import Tokenizer
        self._tokenizer = Tokenizer()

    def _piece(self, piece: str):
        for t in self._tokenizer.tokenize(piece):
            pos = "-".join(p for p in t.part_of_speech.split(",") if p != "*")
            lemma = t.base_form if t.base_form != "*" else t.surface
            yield _token(t.surface, lemma, lemma, t.reading if t.reading != "*" else "", pos)


_ENGLISH_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[^\w\s]")
# negations turn a review around; scikit-learn's list has them as stop words
ENGLISH_STOP = frozenset(ENGLISH_STOP_WORDS) - {"no", "not", "nor", "never", "nothing", "none",
                                                "cannot", "against", "very", "too", "less"}


class English(Analyser):
    """Words between spaces and punctuation; stop words, punctuation and single letters out."""

    name = ENGLISH

    def tokens(self, text: str) -> list[Token]:
        out = []
        for surface in _ENGLISH_WORD.findall(normalise(text)):
            word = surface.replace("’", "'")
            lemma = "not" if word.endswith("n't") else word
            letters = any(ch.isalnum() for ch in word)
            pos = "word" if letters else "symbol"
            kept = (letters and len(word) > 1 and lemma not in ENGLISH_STOP) or _emoji(word)
            out.append(Token(surface, lemma, lemma, "", pos, kept))
        return out


_ANALYSERS: dict[str, Callable[[], Analyser]] = {"sudachi": Sudachi, "fugashi": Fugashi,
                                                 "janome": Janome, ENGLISH: English}
_lock = threading.Lock()


@lru_cache(maxsize=None)
def analyser(name: str) -> Analyser:
    """The analyser by name, built once per process (loading a dictionary takes a while)."""
    if name not in _ANALYSERS:
        raise ConfigError("text.unknown_tokenizer", value=name, choices=", ".join(TOKENIZERS))
    if not installed(name):
        raise ConfigError("text.tokenizer_missing", tokenizer=name, extra=EXTRA[name])
    return _ANALYSERS[name]()


@lru_cache(maxsize=1)
def japanese_stop_words() -> frozenset[str]:
    text = resources.files("manabu.features").joinpath("stopwords_ja.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


# ------------------------------------------------------------------------- words, remembered

_cache: OrderedDict[tuple[str, str], str] = OrderedDict()
_cached_chars = 0
_analysed_seconds = 0.0  # spent analysing texts not remembered, in this process
_forgotten = False  # some text's words were dropped from _cache


def analysis_seconds() -> float:
    """Seconds this process has spent analysing texts into words (``manabu.training.timings``)."""
    return _analysed_seconds


def words_forgotten() -> bool:
    """Whether the words of some text were dropped to keep within CACHE_CHARS: until then, a
    text analysed once is never analysed again in this process."""
    return _forgotten


def joined_words(name: str, text: str) -> str:
    """The words of ``text`` joined by spaces (the form the vectorisers read).

    Every fold of every candidate reads the same texts again, and analysing Japanese is most of
    a text model's time, so each text's words are remembered (the most recent CACHE_CHARS
    characters of text)."""
    global _cached_chars, _analysed_seconds, _forgotten
    key = (name, text)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    started = time.perf_counter()
    words = " ".join(w.replace(" ", "_") for w in analyser(name).words(text) if w.strip())
    with _lock:
        _analysed_seconds += time.perf_counter() - started
        _cache[key] = words
        _cached_chars += len(text)
        while _cached_chars > CACHE_CHARS and _cache:
            (_, old), _ = _cache.popitem(last=False)
            _cached_chars -= len(old)
            _forgotten = True
    return words


def tokenizer_of(column: Column) -> str:
    """The analyser that reads a text column: the one training chose, or for a schema made
    before that choice was kept (or outside ``train``), the first one installed."""
    return column.tokenizer or resolve("auto", column.language or "mixed")


def assign_tokenizers(schema: Schema, requested: str = "auto") -> list[Message]:
    """Choose each text column's analyser (kept in the schema, so that a saved model reads new
    text as it read its training text) and say which one, and when characters must do."""
    notices = []
    for name in schema.of_type(ColumnType.TEXT):
        column = schema.column(name)
        language = column.language or "mixed"
        column.tokenizer = resolve(requested, language)
        if column.tokenizer == CHARS:
            notices.append(Message("text.no_analyser", {"name": name}))
        else:
            notices.append(Message("text.analyser", {"name": name, "tokenizer": column.tokenizer,
                                                     "language": language}))
    return notices
