"""HTML: whole documents through the router's HTML mode, cut into pieces the router accepts.

The router keeps markup byte for byte and translates text nodes only (script, style, code,
pre, translate="no"… untouched). A long document is cut right after a translatable text node
— a point where no untranslated element is open — so every piece reads the same on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from duta.batch.formats.base import Extracted, FormatOptions, Segment, decode_text, encode_text
from duta.batch.formats.markers import has_prose
from duta.text.html import split_html, visible_text

__all__ = ["MAX_PIECE_CHARS", "extract"]

MAX_PIECE_CHARS = 8000


def extract(data: bytes, options: FormatOptions) -> Extracted:
    """One segment per piece of the document that has visible prose."""
    text, bom = decode_text(data, "HTML")
    pieces = _pieces(text)
    slots = [i for i, piece in enumerate(pieces) if has_prose(visible_text(split_html(piece)))]
    segments = [Segment(pieces[i], html=True) for i in slots]

    def render(translations: Sequence[str]) -> bytes:
        out = list(pieces)
        for index, translated in zip(slots, translations, strict=True):
            out[index] = translated
        return encode_text("".join(out), bom)

    return Extracted(segments, render)


def _pieces(document: str) -> list[str]:
    """Cuts the document into pieces of about MAX_PIECE_CHARS at safe points."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for chunk in split_html(document):
        current.append(chunk.raw)
        size += len(chunk.raw)
        if size >= MAX_PIECE_CHARS and chunk.text is not None:
            pieces.append("".join(current))
            current, size = [], 0
    if current:
        pieces.append("".join(current))
    return pieces
