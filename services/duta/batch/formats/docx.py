"""Word documents (.docx, python-docx): body, tables, text boxes, headers, footers, notes.

Every paragraph of the main document, headers, footers, footnotes, endnotes and comments is
translated unit by unit (see `ooxml`); runs keep their formatting, and images, styles,
numbering and every other part of the package are written back unchanged.
"""

from __future__ import annotations

import io
import re

import docx
from lxml import etree

from duta.batch.formats.base import Extracted, FormatOptions
from duta.batch.formats.ooxml import WORD, Unit, extracted, open_package, paragraph_units

__all__ = ["extract"]

_TEXT_PARTS = re.compile(r"/word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml")


def extract(data: bytes, options: FormatOptions) -> Extracted:
    """One segment per unit of prose in the document's text parts."""
    document = open_package(docx.Document, data, "DOCX")
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

    def save(out: io.BytesIO) -> None:
        for part, root in loose:
            part._blob = etree.tostring(  # type: ignore[attr-defined]
                root, xml_declaration=True, encoding="UTF-8", standalone=True
            )
        document.save(out)

    return extracted(units, save)
