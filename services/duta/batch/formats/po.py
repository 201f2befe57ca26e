"""gettext PO/POT: empty msgstr filled from msgid, plural forms from msgid/msgid_plural.

polib parses and validates the catalog (its Plural-Forms, its escapes); the output is the
source file edited in place — only the ``msgstr`` lines of untranslated entries are rewritten
and the header's ``Language`` set to the target — so comments, flags (fuzzy included),
references, contexts, obsolete entries, line wrapping and line endings stay byte for byte.
Entries already translated are kept. App placeholders (``%s``, ``%(n)d``, ``{name}``, tags)
are protected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import polib

from duta.batch.formats.base import (
    Extracted,
    FormatError,
    FormatOptions,
    Segment,
    decode_text,
    encode_text,
)
from duta.batch.formats.markers import APP_PLACEHOLDERS, Masked, has_prose, mask

__all__ = ["extract"]

_NPLURALS = re.compile(r"nplurals\s*=\s*(\d+)")
_STRING = r'("(?:[^"\\]|\\.)*")\s*$'
_KEYWORD = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s*" + _STRING)
_CONTINUATION = re.compile(r"\s*" + _STRING)
_LANGUAGE = re.compile(r'"Language:[^"\\]*(?:\\.[^"\\]*)*"')


@dataclass
class _Field:
    """One keyword of an entry and its continuation lines: lines[start:end]."""

    keyword: str
    start: int
    end: int
    value: str


@dataclass
class _Entry:
    """The fields of one (not obsolete) entry, in file order."""

    fields: list[_Field] = field(default_factory=list)

    def value(self, keyword: str) -> str | None:
        return next((f.value for f in self.fields if f.keyword == keyword), None)

    @property
    def msgstr(self) -> list[_Field]:
        return [f for f in self.fields if f.keyword == "msgstr"]


@dataclass(frozen=True)
class _Slot:
    """An untranslated entry: the lines its msgstr fields take, and what fills them."""

    start: int
    end: int
    sources: tuple[Masked, ...]  # msgid (and msgid_plural)
    plural_count: int  # 0: a singular entry


def extract(data: bytes, options: FormatOptions) -> Extracted:
    """One segment per untranslated msgid (and msgid_plural)."""
    text, bom = decode_text(data, "PO file")
    catalog = _parse(text)
    lines = re.split(r"(?<=\n)", text)  # not splitlines: U+2028 may sit inside a string
    entries = _entries(lines)
    _check(entries, catalog)
    nplurals = _nplurals(catalog)
    slots = [slot for e in entries if (slot := _slot(e, nplurals)) is not None]
    segments = [
        Segment(m.text, protect=m.markers) for s in slots for m in s.sources if has_prose(m.text)
    ]
    header = next((e for e in entries if _is_header(e)), None)
    eol = next((ending for line in lines if (ending := _ending(line))), "\n")  # the file's

    def render(translations: Sequence[str]) -> bytes:
        pending = iter(translations)
        out = list(lines)
        for slot in slots:
            # A string with no prose (only placeholders) is copied as it is.
            values = [
                m.unmask(next(pending) if has_prose(m.text) else m.text) for m in slot.sources
            ]
            written = eol.join(_msgstr(values, slot.plural_count)) + _ending(lines[slot.end - 1])
            out[slot.start : slot.end] = [written] + [""] * (slot.end - slot.start - 1)
        _set_language(out, header, options.target, eol)
        return encode_text("".join(out), bom)

    return Extracted(segments, render)


def _parse(text: str) -> polib.POFile:
    try:
        return polib.pofile(text)
    except (OSError, ValueError) as exc:
        line = re.search(r"\(line \d+\)", str(exc))  # polib names the line, never its text
        raise FormatError(
            f"PO file does not parse {line.group(0) if line else ''}".strip()
        ) from None


def _entries(lines: list[str]) -> list[_Entry]:
    """The entries' keyword fields with their line ranges (comments and obsolete ones aside)."""
    entries: list[_Entry] = []
    last: _Field | None = None
    for number, line in enumerate(lines):
        keyword = _KEYWORD.match(line.rstrip("\r\n"))
        continuation = _CONTINUATION.match(line.rstrip("\r\n"))
        if keyword is not None:
            name = keyword.group(1)
            if not entries or (name in ("msgctxt", "msgid") and entries[-1].msgstr):
                entries.append(_Entry())
            last = _Field(name, number, number + 1, polib.unescape(keyword.group(3)[1:-1]))
            entries[-1].fields.append(last)
        elif last is not None and continuation is not None:
            last.end = number + 1
            last.value += polib.unescape(continuation.group(1)[1:-1])
        else:
            last = None  # a comment or blank line ends a field
    return entries


def _check(entries: list[_Entry], catalog: polib.POFile) -> None:
    """The line scan found the entries polib parsed (else the file is not one we can edit)."""
    scanned = [(e.value("msgctxt"), e.value("msgid")) for e in entries if not _is_header(e)]
    parsed = [(e.msgctxt, e.msgid) for e in catalog if not e.obsolete]
    if scanned != parsed:
        raise FormatError("PO file: entries are laid out in a way this tool cannot edit in place")


def _is_header(entry: _Entry) -> bool:
    return entry.value("msgid") == "" and entry.value("msgctxt") is None


def _nplurals(catalog: polib.POFile) -> int:
    match = _NPLURALS.search(catalog.metadata.get("Plural-Forms", ""))
    return int(match.group(1)) if match else 2


def _slot(entry: _Entry, nplurals: int) -> _Slot | None:
    """The entry's msgstr lines and sources when it still needs a translation."""
    msgstr = entry.msgstr
    if _is_header(entry) or not msgstr or any(f.value for f in msgstr):
        return None
    plural = entry.value("msgid_plural")
    sources = [entry.value("msgid") or ""] + ([plural] if plural is not None else [])
    count = max(nplurals, len(msgstr), 1) if plural is not None else 0
    masked = tuple(mask(s, APP_PLACEHOLDERS) for s in sources)
    return _Slot(msgstr[0].start, msgstr[-1].end, masked, count)


def _msgstr(values: list[str], plural_count: int) -> list[str]:
    """The msgstr lines: one value, or plural form 0 from msgid and the others from the plural."""
    if not plural_count:
        return _field("msgstr", values[0])
    return [
        line
        for i in range(plural_count)
        for line in _field(f"msgstr[{i}]", values[min(i, len(values) - 1)])
    ]


def _field(keyword: str, value: str) -> list[str]:
    """`keyword "value"`, or gettext's layout of one line per embedded newline."""
    parts = value.splitlines(keepends=True)
    if len(parts) <= 1:
        return [f'{keyword} "{polib.escape(value)}"']
    return [f'{keyword} ""', *(f'"{polib.escape(part)}"' for part in parts)]


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _set_language(lines: list[str], header: _Entry | None, target: str, eol: str) -> None:
    """Sets the header's Language to the target (a line added, or a header, when missing)."""
    language = f'"Language: {target}\\n"'
    if header is None:
        lines.insert(0, f'msgid ""{eol}msgstr ""{eol}{language}{eol}{eol}')
        return
    if not header.msgstr:
        return
    msgstr = header.msgstr[0]
    block = lines[msgstr.start : msgstr.end]
    for index, line in enumerate(block):
        if _LANGUAGE.search(line):
            block[index] = _LANGUAGE.sub(lambda _: language, line, count=1)
            break
    else:
        last = block[-1]
        ending = _ending(last)
        block[-1] = last.rstrip("\r\n") + (ending or eol) + language + ending
    lines[msgstr.start : msgstr.end] = block
