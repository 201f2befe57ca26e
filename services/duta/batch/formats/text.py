"""Plain text: one segment per paragraph; blank lines and surrounding whitespace kept exactly."""

from __future__ import annotations

import re
from collections.abc import Sequence

from duta.batch.formats.base import Extracted, FormatOptions, Segment, decode_text, encode_text
from duta.batch.formats.markers import has_prose

__all__ = ["extract"]

_PARAGRAPH_BREAK = re.compile(r"(\r?\n[ \t]*\r?\n\s*)")


def extract(data: bytes, options: FormatOptions) -> Extracted:
    """Splits the text at blank lines; each paragraph with letters is one segment."""
    text, bom = decode_text(data)
    parts = _PARAGRAPH_BREAK.split(text)
    slots: list[int] = []  # indexes into parts of the paragraphs sent
    segments: list[Segment] = []
    for index, part in enumerate(parts):
        if index % 2 == 0 and has_prose(part):
            core = part.strip()
            slots.append(index)
            segments.append(Segment(core))

    def render(translations: Sequence[str]) -> bytes:
        out = list(parts)
        for index, translated in zip(slots, translations, strict=True):
            part = parts[index]
            lead = part[: len(part) - len(part.lstrip())]
            trail = part[len(part.rstrip()) :]
            out[index] = lead + translated.strip() + trail
        return encode_text("".join(out), bom)

    return Extracted(segments, render)
