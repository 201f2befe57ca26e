"""The detector's normalisation: :func:`duta.text.normalize.normalize_for_detection`, with a
fast path for the text it would only collapse the whitespace of (most text)."""

from __future__ import annotations

import re
import unicodedata

from duta.text.normalize import _MODEL_TABLE, normalize_for_detection

__all__ = ["normalize"]

# Characters after which normalize_for_detection removes URLs, e-mail addresses, markup or
# @/# signs, and characters it deletes or replaces (invisible and control characters,
# full-width Latin and digits, half-width kana): NFC text without any of them needs only its
# whitespace collapsed.
_URL_OR_MARKUP = re.compile(r"[/@<&#]|www\.")
_REPLACED = re.compile(
    "[" + "".join(re.escape(chr(cp)) for cp in sorted(_MODEL_TABLE)) + "\uff65-\uff9f]"
)


def normalize(text: str) -> str:
    """:func:`normalize_for_detection`, with a fast path for text it would only collapse the
    whitespace of (the same result, tested; most text: the regexes and the translation table
    cost ≈ 2-3 µs a text)."""
    if text.isascii():  # NFC by definition
        plain = text.isprintable() or _REPLACED.search(text) is None
    else:
        plain = unicodedata.is_normalized("NFC", text) and _REPLACED.search(text) is None
    if plain and _URL_OR_MARKUP.search(text) is None:
        return " ".join(text.split())
    return normalize_for_detection(text)
