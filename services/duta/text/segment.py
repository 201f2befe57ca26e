"""Sentence segmentation that gives back exactly the text it was given.

:func:`segment` cuts a text into :class:`Piece` objects whose concatenation is the input,
character for character: sentences to translate, and the whitespace, paragraph breaks and
letterless runs (numbers, punctuation, emoji) between them, which are returned verbatim.

Rules, in order:

* every line break is a boundary (paragraphs and lists keep their layout);
* 。！？｡ and the full-width forms, the danda ``।``/``॥``, Myanmar ``။``, Khmer ``។``/``៕``,
  Ethiopic ``።``, Urdu ``۔`` and Arabic ``؟`` end a sentence wherever they are;
* ``. ! ? …`` end a sentence only before whitespace (so ``3.14``, ``e.g.x`` and URLs stay
  whole), and ``.`` not after a known abbreviation (``Dr.``, ``e.g.``, ``U.S.``), a single
  initial, or a list number at the start of a line, nor before a lower-case word;
* ``……``/``…`` after a CJK character also ends a sentence;
* closing quotes and brackets after the terminator stay with the sentence (``「好。」``); a
  terminator inside balanced quotes (「」『』“”) ends nothing unless the quote closes the
  sentence too (it is followed by a space, an opening quote or the end of the line);
* Thai (which has no sentence punctuation) is cut at the spaces between sentences
  (see :mod:`duta.text.thai`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from duta.text.thai import thai_boundaries

__all__ = ["Piece", "segment"]


@dataclass(frozen=True)
class Piece:
    """A run of the input text.

    Attributes:
        text: the characters, exactly as in the input.
        translate: False for whitespace, paragraph breaks and runs with no letters
            (punctuation, digits, emoji), which need no model.
    """

    text: str
    translate: bool


_STRONG = "。！？｡︒﹒﹖﹗।॥။።។៕۔؟"
_CLOSERS = "」』”’\"'）)]】》〉»›〕"
_OPENERS = "「『“"
_PAIRS = {"「": "」", "『": "』", "“": "”"}
_TERMINAL = re.compile(
    rf"[{_STRONG}][{_STRONG}!?！？…]*[{re.escape(_CLOSERS)}]*"
    rf"|(?:[.!?]+|…+)[{re.escape(_CLOSERS)}]*(?=\s|$)"
    rf"|…+(?=[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af「『“])"
)
_LINEBREAK = re.compile(r"\s*\n\s*")
_LETTER = re.compile(r"[^\W\d_]")
_EDGE_SPACE = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)
_WORD_BEFORE = re.compile(r"(\S+)$")
_CJK_BEFORE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]$")
_QUOTE = re.compile("[「」『』“”]")

ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "cf",
        "al",
        "fig",
        "figs",
        "no",
        "nos",
        "vol",
        "vols",
        "pp",
        "p",
        "ed",
        "eds",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "univ",
        "approx",
        "est",
        "a.m",
        "p.m",
        "u.s",
        "u.k",
        "u.n",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "rev",
        "hon",
        "ph.d",
        "m.d",
        "b.a",
        "m.a",
        "tel",
        "ext",
        "op",
        "ch",
        "sec",
        "art",
    }
)


def segment(text: str, language: str | None = None) -> list[Piece]:
    """Split ``text`` into sentences and the untranslated runs between them.

    Args:
        text: any text; ``"".join(p.text for p in segment(text)) == text`` always holds.
        language: BCP-47 code of the text if known; ``th`` (or Thai letters) turns on
            Thai sentence splitting at spaces. Other rules do not need it.

    Returns:
        Pieces in order. Sentence pieces have no leading or trailing whitespace.
    """
    if not text:
        return []
    cuts = _boundaries(text, language)
    pieces: list[Piece] = []
    start = 0
    for end in [*sorted(cuts), len(text)]:
        if end > start:
            _emit(text[start:end], pieces)
            start = end
    return pieces


def _emit(chunk: str, pieces: list[Piece]) -> None:
    match = _EDGE_SPACE.match(chunk)
    assert match is not None
    lead, body, trail = match.groups()
    for part, is_body in ((lead, False), (body, True), (trail, False)):
        if not part:
            continue
        translate = is_body and _LETTER.search(part) is not None
        if (
            not translate
            and pieces
            and not pieces[-1].translate
            and pieces[-1].text.isspace()
            and part.isspace()
        ):
            pieces[-1] = Piece(pieces[-1].text + part, False)
        else:
            pieces.append(Piece(part, translate))


def _boundaries(text: str, language: str | None) -> set[int]:
    cuts: set[int] = set()
    for m in _LINEBREAK.finditer(text):
        cuts.update((m.start(), m.end()))
    quoted = _quoted_spans(text) if _QUOTE.search(text) else []
    for m in _TERMINAL.finditer(text):
        end = m.end()
        if _inside(quoted, m.start(), end, text):
            continue
        if text[m.start()] == "." and not _period_ends(text, m.start(), end):
            continue
        if (
            text[m.start()] == "…"
            and end < len(text)
            and not text[end].isspace()
            and not _CJK_BEFORE.search(text, 0, m.start())
        ):
            continue
        cuts.add(end)
    if language in ("th", "lo") or any("\u0e00" <= c <= "\u0e7f" for c in text):
        cuts.update(thai_boundaries(text))
    cuts.discard(0)
    cuts.discard(len(text))
    return cuts


def _period_ends(text: str, start: int, end: int) -> bool:
    """Whether the full stop at ``start`` ends a sentence (it is followed by space or the end)."""
    word = _WORD_BEFORE.search(text, 0, start + 1)
    token = word.group(1).rstrip(".").lower() if word else ""
    token = token.lstrip("(\"'“‘[")
    if token in ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
        return False
    if token.isdigit() and len(token) <= 3:
        line_start = text.rfind("\n", 0, start) + 1
        if not text[line_start : start - len(token)].strip():
            return False  # "1. First item" at the start of a line
    rest = text[end:].lstrip()
    return not (rest[:1].islower() and rest[:1].isascii())


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """(open, close) positions of balanced 「」『』“” pairs on one line."""
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    for m in _QUOTE.finditer(text):
        char, pos = m.group(), m.start()
        if char in _OPENERS:
            stack.append((char, pos))
        elif stack and _PAIRS[stack[-1][0]] == char and "\n" not in text[stack[-1][1] : pos]:
            spans.append((stack.pop()[1], pos))
        else:
            stack.clear()
    return spans


def _inside(spans: list[tuple[int, int]], start: int, end: int, text: str) -> bool:
    """A terminator inside a quote, unless the quote closes right after it and ends the sentence."""
    for open_pos, close_pos in spans:
        if open_pos < start and close_pos >= start:
            if close_pos < end:
                after = text[end : end + 1]
                return not (not after or after.isspace() or after in _OPENERS)
            return True
    return False
