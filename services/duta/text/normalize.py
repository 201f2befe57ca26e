"""Normalisation of text before it reaches the language detector or a translation model.

Only the copies sent to the detector and the model are normalised; the router returns the
user's own characters for everything it does not translate (see :func:`duta.text.segment`).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize_for_detection", "normalize_for_model"]

# Invisible characters that carry no meaning for translation. ZWNJ (U+200C) and ZWJ (U+200D)
# are kept: Persian, Urdu and the Indic scripts spell words with them, and emoji sequences
# use ZWJ.
_INVISIBLE = (
    "\u00ad\u180e\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
_CONTROL = (
    "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r")
    + "\x7f"
    + "".join(chr(c) for c in range(0x80, 0xA0))
)
_DELETE: dict[int, None] = {ord(c): None for c in _INVISIBLE + _CONTROL}
# Full-width Latin letters and digits (ＡＢＣ１２３) -> ASCII; full-width punctuation stays.
_FULLWIDTH: dict[int, int] = {
    cp: cp - 0xFEE0
    for cp in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
}
_MODEL_TABLE: dict[int, int | None] = {**_DELETE, **_FULLWIDTH}
_HALFWIDTH_KANA = re.compile("[\uff65-\uff9f]+")

_URL = re.compile(r"(?:https?://|ftp://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+\b", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)[@#](?=\w)")
_MARKUP = re.compile(r"<[^<>]{1,200}>|&[a-zA-Z]{2,8};|&#\d{1,6};")
_SPACES = re.compile(r"\s+")


def normalize_for_model(text: str) -> str:
    """NFC, invisible and control characters removed, full-width Latin and digits as ASCII.

    Half-width katakana become full-width (ｶﾀｶﾅ -> カタカナ). Tabs and newlines are kept.
    """
    if text.isascii():
        return text.translate(_DELETE) if not text.isprintable() else text
    text = unicodedata.normalize("NFC", text).translate(_MODEL_TABLE)
    if _HALFWIDTH_KANA.search(text):
        text = _HALFWIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return text


# Characters after which normalize_for_detection removes URLs, e-mail addresses, markup or
# @/# signs, and characters it deletes or replaces (invisible and control characters,
# full-width Latin and digits, half-width kana): NFC text without any of them needs only its
# whitespace collapsed.
_URL_OR_MARKUP = re.compile(r"[/@<&#]|www\.")
_REPLACED = re.compile(
    "[" + "".join(re.escape(chr(cp)) for cp in sorted(_MODEL_TABLE)) + "\uff65-\uff9f]"
)


def normalize_for_detection(text: str) -> str:
    """:func:`normalize_for_model`, minus URLs, e-mail addresses, markup and @/# signs.

    Whitespace runs collapse to one space and the ends are stripped. Text with nothing to
    remove or replace (most text) takes a fast path with the same result: the regexes and the
    translation table cost ≈ 2-3 µs a text, on the language detector's path.
    """
    if text.isascii():  # NFC by definition
        plain = text.isprintable() or _REPLACED.search(text) is None
    else:
        plain = unicodedata.is_normalized("NFC", text) and _REPLACED.search(text) is None
    if plain and _URL_OR_MARKUP.search(text) is None:
        return " ".join(text.split())
    return _normalize_for_detection(text)


def _normalize_for_detection(text: str) -> str:
    """normalize_for_detection without its fast path."""
    text = normalize_for_model(text)
    if "/" in text or "@" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "<" in text or "&" in text:
        text = _MARKUP.sub(" ", text)
    if "@" in text or "#" in text:
        text = _MENTION.sub("", text)
    return _SPACES.sub(" ", text).strip()
