"""PowerPoint decks (.pptx, python-pptx): slides (text boxes, tables, groups) and notes.

Every paragraph of every slide and notes page is translated unit by unit (see `ooxml`); runs
keep their formatting; layouts, masters, media and every other part are written back
unchanged. Slide-number and date fields are kept.
"""

from __future__ import annotations

import re

import pptx

from duta.batch.formats.base import Extracted, FormatOptions
from duta.batch.formats.ooxml import DRAWING, Unit, extracted, open_package, paragraph_units

__all__ = ["extract"]

_TEXT_PARTS = re.compile(r"/ppt/(slides/slide|notesSlides/notesSlide)\d+\.xml")


def extract(data: bytes, options: FormatOptions) -> Extracted:
    """One segment per unit of prose on the slides and notes pages."""
    deck = open_package(pptx.Presentation, data, "PPTX")
    units: list[Unit] = []
    for part in deck.part.package.iter_parts():
        if _TEXT_PARTS.fullmatch(str(part.partname)):
            units.extend(paragraph_units(part._element, DRAWING))
    return extracted(units, deck.save)
