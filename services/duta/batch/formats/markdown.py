"""Markdown (CommonMark + tables, YAML front matter), parsed with markdown-it-py.

Only the text of inline blocks (paragraphs, headings, table cells) is replaced, in place, in
the source: front matter, code blocks, HTML blocks, link reference definitions and every
container prefix (``>``, list markers, indentation) stay byte for byte. Inside the prose, code
spans, URLs, link destinations, inline HTML, escapes and emphasis delimiters are protected by
markers. A paragraph wrapped over several lines is translated as one unit and wrapped again
over the same lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

from duta.batch.formats.base import Extracted, FormatOptions, Segment, decode_text, encode_text
from duta.batch.formats.markers import Masked, distribute, has_prose, mask

__all__ = ["extract"]

_PROTECTED = re.compile(
    r"""^\[[\ xX]\](?=\s)
    |(`+)[^`]+?\1(?!`)
    |<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>
    |<[^\s<>@]+@[^\s<>]+>
    |<!--.*?-->
    |</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>
    |\]\(\s*(?:<[^>]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)
    |\]\[[^\]]*\]
    |!?\[|\]
    |(?:https?|ftp)://[^\s<>()]+
    |\\[!-/:-@\[-`{-~]|\\(?=\s|$)
    |\*+|~~+|(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])""",
    re.X | re.S,
)


@dataclass(frozen=True)
class _Block:
    """The prose of one inline block: its lines' spans in the source, masked and joined."""

    spans: tuple[tuple[int, int], ...]
    masked: Masked
    in_table: bool = False


def extract(data: bytes, options: FormatOptions) -> Extracted:
    """One segment per paragraph, heading or table cell with prose."""
    text, bom = decode_text(data, "Markdown")
    blocks = _blocks(text)

    def render(translations: Sequence[str]) -> bytes:
        edits: list[tuple[int, int, str]] = []
        for block, translated in zip(blocks, translations, strict=True):
            weights = [end - start for start, end in block.spans]
            if block.in_table:  # a pipe the model wrote must not split the cell
                translated = re.sub(r"(?<!\\)\|", r"\\|", translated)
            lines = block.masked.unmask_parts(distribute(translated.strip(), weights, lines=True))
            edits.extend((s, e, line) for (s, e), line in zip(block.spans, lines, strict=True))
        out, last = [], 0
        for start, end, line in sorted(edits):
            out.append(text[last:start])
            out.append(line)
            last = end
        out.append(text[last:])
        return encode_text("".join(out), bom)

    return Extracted([Segment(b.masked.text, protect=b.masked.markers) for b in blocks], render)


def _blocks(text: str) -> list[_Block]:
    parser = MarkdownIt("commonmark").use(front_matter_plugin).enable("table")
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    cursor = [0] * len(lines)  # per line: where the next inline block on it may start
    blocks: list[_Block] = []
    in_table = False
    for token in parser.parse(text):
        in_table = token.type in ("th_open", "td_open") or (in_table and token.type == "inline")
        if token.type != "inline" or token.map is None:
            continue
        spans = _locate(token.content, token.map[0], lines, offsets, cursor)
        if spans is None:
            continue  # not found verbatim (unusual nesting): left as it is
        joined = " ".join(text[s:e] for s, e in spans)
        masked = mask(joined, _PROTECTED)
        if has_prose(masked.text):
            blocks.append(_Block(tuple(spans), masked, in_table))
    return blocks


def _locate(
    content: str, first: int, lines: list[str], offsets: list[int], cursor: list[int]
) -> list[tuple[int, int]] | None:
    """The source span of each line of an inline block's content (container prefixes out)."""
    spans = []
    for number, content_line in enumerate(content.split("\n"), first):
        wanted = content_line.strip()
        if number >= len(lines) or not wanted:
            return None
        start = lines[number].find(wanted, cursor[number])
        if start < 0 and "|" in wanted:  # a table cell's content has its \| unescaped
            wanted = wanted.replace("|", "\\|")
            start = lines[number].find(wanted, cursor[number])
        if start < 0:
            return None
        cursor[number] = start + len(wanted)
        spans.append((offsets[number] + start, offsets[number] + start + len(wanted)))
    return spans
