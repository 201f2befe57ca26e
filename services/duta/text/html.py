"""HTML: cut a document into markup, which is kept byte for byte, and text nodes to translate.

Text inside ``<script>``, ``<style>``, ``<code>``, ``<pre>``, ``<textarea>``, ``<kbd>``,
``<samp>`` and ``<var>``, and inside any element marked ``translate="no"`` or with the class
``notranslate`` (the conventions Google and DeepL honour), is kept as it is.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

__all__ = ["HtmlChunk", "split_html", "visible_text"]

_TOKEN = re.compile(r"(<!--.*?-->|<!\[CDATA\[.*?\]\]>|<![^>]*>|<\?.*?\?>|</?[A-Za-z][^>]*>)", re.S)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)([^>]*?)(/?)>", re.S)
_NO_TRANSLATE_ATTR = re.compile(
    r"""\btranslate\s*=\s*["']?no\b|\bclass\s*=\s*["'][^"']*\bnotranslate\b""", re.I
)
_RAW_TEXT = frozenset({"script", "style", "code", "pre", "textarea", "kbd", "samp", "var"})
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)


@dataclass(frozen=True)
class HtmlChunk:
    """A run of the document.

    Attributes:
        raw: the characters exactly as in the document.
        text: for a translatable text node, its unescaped text; else None.
    """

    raw: str
    text: str | None


def split_html(document: str) -> list[HtmlChunk]:
    """Cuts a document into markup and text chunks; `"".join(c.raw ...) == document`."""
    chunks: list[HtmlChunk] = []
    skip: list[str] = []  # open elements whose content is not translated
    for index, part in enumerate(_TOKEN.split(document)):
        if not part:
            continue
        if index % 2:  # markup
            chunks.append(HtmlChunk(part, None))
            _track(part, skip)
            continue
        translatable = not skip and bool(part.strip())
        chunks.append(HtmlChunk(part, html.unescape(part) if translatable else None))
    return chunks


def visible_text(chunks: list[HtmlChunk]) -> str:
    """The translatable text of a document, for language detection."""
    return " ".join(c.text for c in chunks if c.text)


def _track(tag: str, skip: list[str]) -> None:
    match = _TAG.fullmatch(tag)
    if match is None:
        return
    closing, name, attrs, self_closing = match.groups()
    name = name.lower()
    if closing:
        if name in skip:  # close up to the matching element (tolerates unclosed children)
            while skip and skip.pop() != name:
                pass
        return
    if self_closing or name in _VOID:
        return
    if skip or name in _RAW_TEXT or _NO_TRANSLATE_ATTR.search(attrs):
        skip.append(name)  # inside a kept element every element is tracked, to match closings
