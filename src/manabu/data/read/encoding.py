"""Text encodings: UTF-8 first, then Shift_JIS (CP932) and EUC-JP, then a guess.

Japanese spreadsheets are still exported in legacy encodings, and a general detector is
unreliable on short Japanese text, so the Japanese encodings are tried strictly and scored
before any guess, and a file that mixes two encodings is refused rather than garbled.
"""
from __future__ import annotations

import codecs
from functools import cache

from manabu.base.errors import DataError
from manabu.base.i18n import Notice
from manabu.data.read.source import Source

_JAPANESE = {"cp932": "Shift_JIS (CP932)", "euc_jp": "EUC-JP"}


def decode(data: bytes, src: Source, encoding: str | None) -> str:
    """Decode the whole file: the user's encoding, else UTF-8 (with or without BOM), UTF-16 by
    BOM, then the Japanese encodings tried strictly, and charset-normalizer only as a last guess
    (it is unreliable on short Japanese text, so it does not go first)."""
    if encoding is not None:
        return _decode_as(data, src, encoding)
    if data.startswith(codecs.BOM_UTF8):
        return _decode_as(data, src, "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode_as(data, src, "utf-16")
        src.notices.append(Notice("data.encoding_detected", {"path": src.where, "encoding": "UTF-16"}))
        return text
    if not data.strip():
        raise DataError("data.empty", path=src.where)
    if b"\x00" in data[:1024]:
        raise DataError("data.binary", path=src.where)
    try:
        return _decoded(data.decode("utf-8"), src, "utf-8")
    except UnicodeDecodeError:
        pass
    japanese = {}
    for enc in _JAPANESE:
        try:
            japanese[enc] = data.decode(enc)
        except UnicodeDecodeError:
            continue
    if japanese:
        enc = max(japanese, key=lambda e: _japanese_score(japanese[e]))  # ties keep cp932
        src.notices.append(Notice("data.encoding_detected", {"path": src.where, "encoding": _JAPANESE[enc]}))
        return _decoded(japanese[enc], src, enc)
    _refuse_mixed_encodings(data, src)
    return _guess_encoding(data, src)


def _refuse_mixed_encodings(data: bytes, src: Source) -> None:
    """A file pasted together from a UTF-8 part and a Shift_JIS part (two exports joined) decodes
    as neither: say which lines are which, rather than guess and garble one part."""
    first: dict[str, int] = {}  # encoding: the first line that needs it
    for number, line in enumerate(data.splitlines()[:100_000], start=1):
        if line.isascii():
            continue
        encoding = next((enc for enc in ("utf-8", *_JAPANESE) if _decodes(line, enc)), None)
        if encoding is None:
            return  # a line of neither: not this case
        first.setdefault(encoding, number)
        if "utf-8" in first and len(first) > 1:
            other = next(enc for enc in first if enc != "utf-8")
            raise DataError("data.mixed_encodings", path=src.where, utf8_line=first["utf-8"],
                            line=first[other], encoding=_JAPANESE[other])


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _decode_as(data: bytes, src: Source, encoding: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise DataError("data.unknown_encoding", encoding=encoding) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError("data.bad_encoding", path=src.where, encoding=encoding, position=exc.start) from None
    return _decoded(text.removeprefix("\ufeff"), src, encoding)


def _decoded(text: str, src: Source, encoding: str) -> str:
    """Record the encoding, and refuse text that is mostly control characters (binary data)."""
    head = text[:1024]
    controls = sum(1 for c in head if c < " " and c not in "\t\r\n\f")
    if "\x00" in head or controls > len(head) // 10:
        raise DataError("data.binary", path=src.where)
    if not text.strip():
        raise DataError("data.empty", path=src.where)
    src.info["encoding"] = encoding
    return text


def _japanese_score(text: str) -> int:
    """How much ``text`` looks like Japanese, to choose between CP932 and EUC-JP when the bytes
    decode as both. Reading one as the other gives rare kanji, private-use characters, or
    half-width kana in impossible places (a voicing mark after a kanji), which score low."""
    score, prev = 0, " "
    for char in text[:65536]:
        if "\u3040" <= char <= "\u30ff":
            score += 2
        elif char in _EUC_KANA_AS_CP932:
            score -= 3
        elif "\u4e00" <= char <= "\u9fff":
            score += 2 if _common_kanji(char) else -2
        elif "\uff61" <= char <= "\uff9f":
            score += _halfwidth_score(char, prev)
        elif "\ue000" <= char <= "\uf8ff":
            score -= 5
        elif char > "\u00ff" and "\uff61" <= prev <= "\uff9f":
            score -= 3
        prev = char
    return score


# EUC-JP writes a half-width kana as 0x8E and one byte; CP932 reads those two bytes as a kanji.
_EUC_KANA_AS_CP932 = frozenset(bytes([0x8E, b]).decode("cp932") for b in range(0xA1, 0xE0))
_VOICED = frozenset("ｳｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎ")
_AFTER_KANA = frozenset("ｧｨｩｪｫｬｭｮｯｰ")


def _halfwidth_score(char: str, prev: str) -> int:
    if char in "｡｢｣､･" or (prev > "\u00ff" and not "\uff66" <= prev <= "\uff9f"):
        return -3 if char not in "｡｢｣､･" else -2
    if char == "ﾞ":
        return 1 if prev in _VOICED else -3
    if char == "ﾟ":
        return 1 if prev in "ﾊﾋﾌﾍﾎ" else -3
    if char in _AFTER_KANA:
        return 1 if "\uff66" <= prev <= "\uff9d" else -3
    return 1


@cache
def _common_kanji(char: str) -> bool:
    """JIS level 1 (the 2,965 everyday kanji): EUC-JP lead byte 0xB0 to 0xCF."""
    try:
        encoded = char.encode("euc_jp")
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and 0xB0 <= encoded[0] <= 0xCF


def _guess_encoding(data: bytes, src: Source) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1 << 20]).best()
    if best is None:
        raise DataError("data.binary", path=src.where)
    try:
        text = data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise DataError("data.undecodable", path=src.where) from None
    src.notices.append(Notice("data.encoding_guessed", {"path": src.where, "encoding": best.encoding}))
    return _decoded(text, src, best.encoding)
