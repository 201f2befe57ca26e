"""Word documents (.docx, python-docx): body, tables, text boxes, headers, footers, notes.

Every paragraph of the main document, headers, footers, footnotes, endnotes and comments is
translated unit by unit (see `ooxml`); runs keep their formatting, and images, styles,
numbering and every other part of the package are written back unchanged.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import docx
from lxml import etree

from duta.batch.formats.base import Extracted, FormatError, FormatOptions
from duta.batch.formats.ooxml import WORD, Unit, paragraph_units

__all__ = ["extract"]

_TEXT_PARTS = re.compile(r"/word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml")


def extract(data: bytes, options: FormatOptions) -> Extracted:
    """One segment per unit of prose in the document's text parts."""
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds on a broken package
        raise FormatError(f"DOCX could not be opened ({type(exc).__name__})") from None
    units: list[Unit] = []
    loose: list[tuple[object, etree._Element]] = []  # parts python-docx does not parse itself
    for part in document.part.package.iter_parts():
        if not _TEXT_PARTS.fullmatch(str(part.partname)):
            continue
        root = getattr(part, "_element", None)
        if root is None:
            root = etree.fromstring(part.blob)
            loose.append((part, root))
        units.extend(paragraph_units(root, WORD))

    def render(translations: Sequence[str]) -> bytes:
        for unit, translated in zip(units, translations, strict=True):
            unit.place(translated)
        for part, root in loose:
            part._blob = etree.tostring(  # type: ignore[attr-defined]
                root, xml_declaration=True, encoding="UTF-8", standalone=True
            )
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()

    return Extracted([u.segment() for u in units], render)
