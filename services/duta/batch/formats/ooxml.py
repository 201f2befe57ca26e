"""Paragraphs of Office Open XML (DOCX ``w:p``, PPTX ``a:p``): runs translated as one sentence.

A paragraph is cut into units at tabs, line breaks, drawings and fields (kept as they are).
Within a unit, runs of the same formatting are grouped and the boundaries between groups are
sent as markers, so a sentence split across runs reaches the model whole. When the markers
come back in order with words in every group, each group gets its own words (its formatting
lands on the right words); otherwise the translation is spread over the groups in proportion
to their source lengths. Run elements and their properties are never touched, only the text
of their ``t`` elements.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from duta.batch.formats.base import Extracted, FormatError, Segment
from duta.batch.formats.markers import MARKER, distribute, has_prose

__all__ = ["DRAWING", "WORD", "Dialect", "Unit", "extracted", "open_package", "paragraph_units"]

_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


@dataclass(frozen=True)
class Dialect:
    """The element names of one OOXML vocabulary.

    Attributes:
        ns: namespace of paragraphs, runs and text.
        keep: local names of elements kept whole that end a unit (fields, deleted text, breaks).
        ignore: local names inside a run that neither hold text nor end a unit.
        preserve_space: set xml:space="preserve" on rewritten text (WordprocessingML).
    """

    ns: str
    keep: frozenset[str]
    ignore: frozenset[str]
    preserve_space: bool

    def tag(self, local: str) -> str:
        """The qualified tag name."""
        return f"{{{self.ns}}}{local}"


WORD = Dialect(
    ns="http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    keep=frozenset({"del", "fldSimple", "moveFrom", "pPr", "rPr"}),
    ignore=frozenset({"rPr", "lastRenderedPageBreak", "instrText"}),
    preserve_space=True,
)
DRAWING = Dialect(
    ns="http://schemas.openxmlformats.org/drawingml/2006/main",
    keep=frozenset({"fld", "br", "pPr", "endParaRPr", "rPr"}),
    ignore=frozenset({"rPr"}),
    preserve_space=False,
)


@dataclass
class Unit:
    """Consecutive text elements of one paragraph, grouped by formatting."""

    dialect: Dialect
    groups: list[list[etree._Element]] = field(default_factory=list)
    keys: list[bytes] = field(default_factory=list)

    def add(self, text: etree._Element, key: bytes) -> None:
        """Appends a text element; it joins the last group when the formatting is the same."""
        if self.keys and self.keys[-1] == key:
            self.groups[-1].append(text)
        else:
            self.groups.append([text])
            self.keys.append(key)

    @property
    def texts(self) -> list[str]:
        """The source text of each group."""
        return ["".join(t.text or "" for t in group) for group in self.groups]

    def segment(self) -> Segment:
        """The unit's text with ⟦n⟧ markers between groups."""
        texts = self.texts
        joined = texts[0] + "".join(f"⟦{i}⟧{t}" for i, t in enumerate(texts[1:], 1))
        return Segment(joined, protect=tuple(f"⟦{i}⟧" for i in range(1, len(texts))))

    def place(self, translated: str) -> None:
        """Writes a translation back into the unit's text elements."""
        texts = self.texts
        parts = _by_markers(translated, texts)
        if parts is None:
            plain = MARKER.sub("", translated)
            if texts[-1] == texts[-1].rstrip():
                plain = plain.rstrip()
            parts = distribute(plain, [len(t) for t in texts])
        for group, part in zip(self.groups, parts, strict=True):
            for index, element in enumerate(group):
                element.text = part if index == 0 else ""
                if self.dialect.preserve_space:
                    element.set(_XML_SPACE, "preserve")


def _by_markers(translated: str, texts: list[str]) -> list[str] | None:
    """The group texts when every marker came back once, in order, with words around it."""
    pieces = MARKER.split(translated)
    numbers = [int(n) for n in pieces[1::2]]
    if numbers != list(range(1, len(texts))):
        return None
    parts = pieces[0::2]
    for source, part in zip(texts, parts, strict=True):
        if has_prose(source) and not has_prose(part):
            return None
    return parts


def paragraph_units(root: etree._Element, dialect: Dialect) -> Iterator[Unit]:
    """The units with prose of every paragraph under `root`."""
    for paragraph in root.iter(dialect.tag("p")):
        walker = _Walker(dialect)
        walker.walk(paragraph)
        yield from (u for u in walker.units if u.groups and has_prose("".join(u.texts)))


class _Walker:
    """Collects the text elements of one paragraph into units, in document order."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.units = [Unit(dialect)]
        self.field_depth = 0  # inside a complex field (code or result): not prose

    def walk(self, element: etree._Element) -> None:
        d = self.dialect
        for child in element:
            if not isinstance(child.tag, str):
                continue  # comments, processing instructions
            if child.tag == d.tag("p") or etree.QName(child).localname in d.keep:
                self.boundary()
            elif child.tag == d.tag("r"):
                self.run(child)
            else:
                self.walk(child)

    def run(self, run: etree._Element) -> None:
        d = self.dialect
        props = run.find(d.tag("rPr"))
        key = etree.tostring(props) if props is not None else b""
        for child in run:
            if not isinstance(child.tag, str):
                continue
            local = etree.QName(child).localname
            if child.tag == d.tag("t"):
                if self.field_depth == 0:
                    self.units[-1].add(child, key)
            elif local == "fldChar":
                self.boundary()
                kind = child.get(d.tag("fldCharType"))
                self.field_depth += 1 if kind == "begin" else -1 if kind == "end" else 0
                self.field_depth = max(self.field_depth, 0)
            elif local not in d.ignore:
                self.boundary()

    def boundary(self) -> None:
        """Ends the current unit (a tab, break, drawing or field sits here)."""
        if self.units[-1].groups:
            self.units.append(Unit(self.dialect))


def open_package(opener: Callable[[io.BytesIO], Any], data: bytes, what: str) -> Any:
    """Opens a package with python-docx/python-pptx; a broken one is a FormatError."""
    try:
        return opener(io.BytesIO(data))
    except Exception as exc:  # both libraries raise many kinds on a broken package
        raise FormatError(f"{what} could not be opened ({type(exc).__name__})") from None


def extracted(units: list[Unit], save: Callable[[io.BytesIO], object]) -> Extracted:
    """Segments for `units`; rendering places the translations and saves the package."""

    def render(translations: Sequence[str]) -> bytes:
        for unit, translated in zip(units, translations, strict=True):
            unit.place(translated)
        out = io.BytesIO()
        save(out)
        return out.getvalue()

    return Extracted([u.segment() for u in units], render)
