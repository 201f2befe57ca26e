"""Cue-based subtitles (SRT, WebVTT): only cue text changes, everything else stays.

Indices, timestamps and cue settings, blank lines, line endings, and (WebVTT) the header,
NOTE, STYLE and REGION blocks are kept byte for byte. The lines of one cue are translated as
one unit and cut again over the same number of lines; formatting tags (``<i>``, ``<v Name>``,
``<c.yellow>``, ``{\\an8}``, inline timestamps) are protected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from duta.batch.formats.base import Extracted, FormatError, Segment, decode_text, encode_text
from duta.batch.formats.markers import Masked, distribute, has_prose, mask

__all__ = ["extract_cues"]

_TAGS = re.compile(r"<[^<>]*>|\{\\[^{}]*\}|&(?:[A-Za-z]+|#\d+);")
_BLANK = re.compile(r"[ \t]*")


def extract_cues(data: bytes, what: str, keep_block: Callable[[list[str]], bool]) -> Extracted:
    """Finds every cue's text lines; `keep_block(lines)` marks non-cue blocks to leave alone."""
    text, bom = decode_text(data, what)
    lines = text.splitlines(keepends=True)
    cues: list[tuple[list[int], Masked]] = []  # line indexes of the cue text, masked text
    for block in _blocks(lines):
        body = [lines[i].rstrip("\r\n") for i in block]
        if keep_block(body):
            continue
        timing = next((n for n, line in enumerate(body) if "-->" in line), None)
        if timing is None:
            raise FormatError(f"{what}: a block at line {block[0] + 1} has no `-->` timing line")
        text_lines = block[timing + 1 :]
        masked = mask(" ".join(lines[i].strip() for i in text_lines), _TAGS)
        if text_lines and has_prose(masked.text):
            cues.append((text_lines, masked))

    def render(translations: Sequence[str]) -> bytes:
        out = list(lines)
        for (indexes, masked), translated in zip(cues, translations, strict=True):
            weights = [len(lines[i].strip()) for i in indexes]
            parts = masked.unmask_parts(distribute(translated.strip(), weights, lines=True))
            for i, part in zip(indexes, parts, strict=True):
                line = lines[i]
                ending = line[len(line.rstrip("\r\n")) :]
                out[i] = part + ending
        return encode_text("".join(out), bom)

    return Extracted([Segment(m.text, protect=m.markers) for _, m in cues], render)


def _blocks(lines: list[str]) -> list[list[int]]:
    """Line indexes of each block (blocks are separated by blank lines)."""
    blocks: list[list[int]] = []
    current: list[int] = []
    for index, line in enumerate(lines):
        if _BLANK.fullmatch(line.rstrip("\r\n")):
            if current:
                blocks.append(current)
            current = []
        else:
            current.append(index)
    if current:
        blocks.append(current)
    return blocks
