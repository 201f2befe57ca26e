"""PowerPoint decks (.pptx, python-pptx): slides (text boxes, tables, groups) and notes.

Every paragraph of every slide and notes page is translated unit by unit (see `ooxml`); runs
keep their formatting; layouts, masters, media and every other part are written back
unchanged. Slide-number and date fields are kept.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import pptx

from duta.batch.formats.base import Extracted, FormatError, FormatOptions
from duta.batch.formats.ooxml import DRAWING, Unit, paragraph_units

__all__ = ["extract"]

_TEXT_PARTS = re.compile(r"/ppt/(slides/slide|notesSlides/notesSlide)\d+\.xml")


def extract(data: bytes, options: FormatOptions) -> Extracted:
    """One segment per unit of prose on the slides and notes pages."""
    try:
        deck = pptx.Presentation(io.BytesIO(data))
    except Exception as exc:  # python-pptx raises many kinds on a broken package
        raise FormatError(f"PPTX could not be opened ({type(exc).__name__})") from None
    units: list[Unit] = []
    for part in deck.part.package.iter_parts():
        if _TEXT_PARTS.fullmatch(str(part.partname)):
            units.extend(paragraph_units(part._element, DRAWING))  # type: ignore[attr-defined]

    def render(translations: Sequence[str]) -> bytes:
        for unit, translated in zip(units, translations, strict=True):
            unit.place(translated)
        out = io.BytesIO()
        deck.save(out)
        return out.getvalue()

    return Extracted([u.segment() for u in units], render)
