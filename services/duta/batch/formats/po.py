"""gettext PO/POT (polib): empty msgstr filled from msgid, plural forms from msgid/msgid_plural.

Entries already translated are kept; comments, flags (fuzzy included), references, contexts
and obsolete entries are kept as polib writes them. App placeholders (``%s``, ``%(n)d``,
``{name}``, tags) are protected. The header's ``Language`` is set to the target.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import polib

from duta.batch.formats.base import Extracted, FormatError, FormatOptions, Segment, decode_text
from duta.batch.formats.markers import APP_PLACEHOLDERS, Masked, has_prose, mask

__all__ = ["extract"]

_NPLURALS = re.compile(r"nplurals\s*=\s*(\d+)")


def extract(data: bytes, options: FormatOptions) -> Extracted:
    """One segment per untranslated msgid (and msgid_plural)."""
    text, _ = decode_text(data, "PO file")
    try:
        catalog = polib.pofile(text, wrapwidth=78)
    except (OSError, ValueError) as exc:
        line = re.search(r"\(line \d+\)", str(exc))  # polib names the line, never its text
        raise FormatError(
            f"PO file does not parse {line.group(0) if line else ''}".strip()
        ) from None
    slots: list[tuple[polib.POEntry, int | None, Masked]] = []  # entry, plural index, masked
    for entry in catalog:
        if entry.obsolete or not entry.msgid:
            continue
        for index, source in _wanted(entry, _nplurals(catalog)):
            masked = mask(source, APP_PLACEHOLDERS)
            slots.append((entry, index, masked))

    segments = [Segment(m.text, protect=m.markers) for _, _, m in slots if has_prose(m.text)]

    def render(translations: Sequence[str]) -> bytes:
        pending = iter(translations)
        for entry, index, masked in slots:
            # A string with no prose (only placeholders) is copied as it is.
            value = (
                masked.unmask(next(pending))
                if has_prose(masked.text)
                else masked.unmask(masked.text)
            )
            if index is None:
                entry.msgstr = value
            else:
                entry.msgstr_plural[index] = value
        catalog.metadata["Language"] = options.target
        return str(catalog).encode("utf-8") + b"\n"

    return Extracted(segments, render)


def _nplurals(catalog: polib.POFile) -> int:
    match = _NPLURALS.search(catalog.metadata.get("Plural-Forms", ""))
    return int(match.group(1)) if match else 2


def _wanted(entry: polib.POEntry, nplurals: int) -> list[tuple[int | None, str]]:
    """(plural index or None, source text) of the strings an entry still needs."""
    if not entry.msgid_plural:
        return [] if entry.msgstr else [(None, entry.msgid)]
    if any(entry.msgstr_plural.values()):
        return []
    count = max(nplurals, len(entry.msgstr_plural), 1)
    return [(i, entry.msgid if i == 0 else entry.msgid_plural) for i in range(count)]
