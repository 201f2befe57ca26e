"""XLIFF 1.2 and 2.0, the CAT-tool exchange format: empty or missing ``<target>`` filled.

The file is edited as text, so everything but the new targets stays byte for byte. Inline
codes (``<g>``, ``<x/>``, ``<bx/>``/``<ex/>``, ``<ph>…</ph>``, ``<bpt>``/``<ept>``, ``<pc>``,
``<sc/>``/``<ec/>``, ``<mrk>``), entities and app placeholders (``%s``, ``{name}``,
``{{count}}``, an escaped ``&lt;b&gt;``) are protected, so a sentence around them is translated
as one; ``<mrk translate="no">`` (2.0) and ``<mrk mtype="protected">`` (1.2) are kept whole.
Each target is marked as machine output: 1.2
``state="needs-review-translation" state-qualifier="mt-suggestion"``, 2.0 the segment's
``state="translated"``. The target language is recorded where missing (``target-language`` /
``trgLang``). Units under ``translate="no"`` (on the unit, a group or the file) are left
alone, and so are units in comments and the TM matches of ``<alt-trans>``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

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

# Inline codes, escaped tags (&lt;b&gt;) and the placeholders of app strings.
_INLINE = re.compile(
    r"""<mrk\b[^>]*\b(?:translate\s*=\s*["']no["']|mtype\s*=\s*["']protected["'])[^>]*>.*?</mrk>
    |<(ph|bpt|ept|it)\b[^>]*>.*?</\1>|<[^>]+>
    |&lt;/?[A-Za-z][^&<>]*?/?&gt;
    |&[^;\s&<]+;
    |"""
    + APP_PLACEHOLDERS.pattern,
    re.S | re.X,
)
_UNIT_TAG = {"1": "trans-unit", "2": "segment"}
_UNIT = {
    major: re.compile(rf"<!--.*?-->|<{tag}\b[^>]*>.*?</{tag}>", re.S)
    for major, tag in _UNIT_TAG.items()
}
_SOURCE = re.compile(r"<source\b[^>]*>(.*?)</source>", re.S)
_TARGET = re.compile(r"<target\b[^>]*?(?:/>|>(.*?)</target>)", re.S)
_STATE = re.compile(r"""\sstate\s*=\s*(["'])[^"']*\1""")


@dataclass(frozen=True)
class _Unit:
    """Where a unit's target goes and what its source says."""

    start: int  # the unit (1.2 trans-unit / 2.0 segment) in the document
    end: int
    masked: Masked


def extract(data: bytes, options: FormatOptions) -> Extracted:
    """One segment per unit whose target is missing or empty."""
    text, bom = decode_text(data, "XLIFF")
    root, major = _parsed(data)
    units = [u for m in _translatable(text, root, major) if (u := _unit(m)) is not None]

    def render(translations: Sequence[str]) -> bytes:
        out, last = [], 0
        for unit, translated in zip(units, translations, strict=True):
            out.append(text[last : unit.start])
            out.append(_filled(text[unit.start : unit.end], unit.masked, translated, major))
            last = unit.end
        out.append(text[last:])
        return encode_text(_with_target_language("".join(out), major, options.target), bom)

    return Extracted([Segment(u.masked.text, protect=u.masked.markers) for u in units], render)


def _parsed(data: bytes) -> tuple[etree._Element, str]:
    """The document's root and its major version ("1" or "2")."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"XLIFF is not well-formed XML (line {exc.lineno})") from None
    version = root.get("version", "")
    if etree.QName(root).localname != "xliff" or version[:1] not in _UNIT:
        raise FormatError("not an XLIFF document of version 1.2 or 2.x (root <xliff version>)")
    return root, version[:1]


def _translatable(text: str, root: etree._Element, major: str) -> list[re.Match[str]]:
    """The units in the text (comments aside) that no translate="no" above them excludes."""
    matches = [m for m in _UNIT[major].finditer(text) if not m.group(0).startswith("<!--")]
    elements = list(root.iter(f"{{*}}{_UNIT_TAG[major]}"))
    if len(matches) != len(elements):
        raise FormatError(f"XLIFF: <{_UNIT_TAG[major]}> elements in CDATA are not supported")
    inherited = "string(ancestor-or-self::*[@translate][1]/@translate)"
    return [m for m, e in zip(matches, elements, strict=True) if e.xpath(inherited) != "no"]


def _target(body: str) -> re.Match[str] | None:
    """The unit's own <target> (not one of its <alt-trans> matches, which come after it)."""
    limit = body.find("<alt-trans")
    return _TARGET.search(body if limit < 0 else body[:limit])


def _unit(match: re.Match[str]) -> _Unit | None:
    body = match.group(0)
    source = _SOURCE.search(body)
    target = _target(body)
    if source is None or (target is not None and (target.group(1) or "").strip()):
        return None
    masked = mask(source.group(1), _INLINE)
    if not has_prose(masked.text):
        return None
    return _Unit(match.start(), match.end(), masked)


def _filled(body: str, masked: Masked, translated: str, major: str) -> str:
    """The unit with its target written (and, in 2.0, the segment's state set)."""
    escaped = translated.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    inner = masked.unmask(escaped)
    attrs = ' state="needs-review-translation" state-qualifier="mt-suggestion"'
    element = f"<target{attrs if major == '1' else ''}>{inner}</target>"
    existing = _target(body)
    if existing is not None:
        body = body[: existing.start()] + element + body[existing.end() :]
    else:
        source = _SOURCE.search(body)
        assert source is not None
        line_start = body.rfind("\n", 0, source.start()) + 1
        indent = body[line_start : source.start()]
        indent = indent if not indent.strip() else ""
        newline = "\n" + indent if indent or line_start else ""
        body = body[: source.end()] + newline + element + body[source.end() :]
    if major == "2":
        head_end = body.index(">")
        head = _STATE.sub("", body[:head_end]).rstrip("/")
        body = head + ' state="translated"' + body[head_end:]
    return body


def _with_target_language(text: str, major: str, target: str) -> str:
    """Adds target-language (1.2, on each <file>) or trgLang (2.0, on <xliff>) when missing."""
    tag, attr = ("file", "target-language") if major == "1" else ("xliff", "trgLang")

    def add(match: re.Match[str]) -> str:
        head = match.group(0)
        if re.search(rf"\s{attr}\s*=", head):
            return head
        close = 2 if head.endswith("/>") else 1
        return f'{head[:-close]} {attr}="{target}"{head[-close:]}'

    return re.sub(rf"<{tag}\b[^>]*>", add, text)
