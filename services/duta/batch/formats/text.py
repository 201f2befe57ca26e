"""Plain text: one segment per paragraph; blank lines and surrounding whitespace kept exactly.

A paragraph longer than MAX_SEGMENT_CHARS (a file with no blank lines, say) is cut at line
breaks into several segments, so no request exceeds what the router accepts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from duta.batch.formats.base import Extracted, FormatOptions, Segment, decode_text, encode_text
from duta.batch.formats.markers import has_prose

__all__ = ["MAX_SEGMENT_CHARS", "extract"]

MAX_SEGMENT_CHARS = 4000
_PARAGRAPH_BREAK = re.compile(r"(\r?\n[ \t]*\r?\n\s*)")
_LINE_BREAK = re.compile(r"(\s*\n\s*)")


def extract(data: bytes, options: FormatOptions) -> Extracted:
    """Each paragraph (or long paragraph's run of lines) with letters is one segment."""
    text, bom = decode_text(data)
    pieces = list(_pieces(text))  # (text, translatable); "".join(texts) == text
    slots = [i for i, (piece, translatable) in enumerate(pieces) if translatable]

    def render(translations: Sequence[str]) -> bytes:
        out = [piece for piece, _ in pieces]
        for index, translated in zip(slots, translations, strict=True):
            out[index] = translated.strip()
        return encode_text("".join(out), bom)

    return Extracted([Segment(pieces[i][0]) for i in slots], render)


def _pieces(text: str) -> Iterator[tuple[str, bool]]:
    for index, part in enumerate(_PARAGRAPH_BREAK.split(text)):
        core = part.strip()
        if index % 2 or not has_prose(core):
            yield part, False
            continue
        yield part[: len(part) - len(part.lstrip())], False
        yield from _chunks(core)
        yield part[len(part.rstrip()) :], False


def _chunks(paragraph: str) -> Iterator[tuple[str, bool]]:
    """The paragraph, or runs of its lines of about MAX_SEGMENT_CHARS, and the breaks."""
    if len(paragraph) <= MAX_SEGMENT_CHARS:
        yield paragraph, True
        return
    parts = _LINE_BREAK.split(paragraph)  # lines at even indexes, breaks at odd ones
    start = 0
    for end in range(1, len(parts) + 1, 2):
        size = sum(len(p) for p in parts[start : end + 1])
        if end + 1 >= len(parts) or size > MAX_SEGMENT_CHARS:
            chunk = "".join(parts[start:end])
            yield chunk, has_prose(chunk)
            if end < len(parts):
                yield parts[end], False
            start = end + 1
