"""Splitting a sentence that is longer than a model's token limit."""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["split_long"]

# A clause ends after one of these (and the spaces that follow it).
_CLAUSE = re.compile(r"[，、；;,：:﹐﹑﹔，、،؛—–]+\s*|\s+[-–—]\s+")
_WORD = re.compile(r"\S+\s*|\s+")


def split_long(sentence: str, max_tokens: int, count_tokens: Callable[[str], int]) -> list[str]:
    """Cut ``sentence`` into parts that each count at most ``max_tokens``.

    Cuts fall after clause punctuation (，、；, commas, colons) first; a clause that is still
    too long is cut between words, and text without spaces (Chinese, Japanese, Thai) between
    characters, as late as the limit allows.

    Args:
        sentence: the text to split.
        max_tokens: the most tokens one part may have (at least 1).
        count_tokens: the model's token counter; assumed to grow with the text.

    Returns:
        The parts; ``"".join(parts) == sentence``. A sentence within the limit is one part.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    if not sentence or count_tokens(sentence) <= max_tokens:
        return [sentence] if sentence else []
    return _pack(_pieces(_CLAUSE, sentence), max_tokens, count_tokens, _split_words)


def _pack(
    pieces: list[str],
    max_tokens: int,
    count: Callable[[str], int],
    split_oversize: Callable[[str, int, Callable[[str], int]], list[str]],
) -> list[str]:
    """Joins consecutive pieces greedily while they fit; a piece over the limit on its own is
    cut by ``split_oversize`` and its last part may take the pieces after it."""
    parts: list[str] = []
    current = ""
    for piece in pieces:
        if current and count(current + piece) <= max_tokens:
            current += piece
            continue
        if current:
            parts.append(current)
        if count(piece) <= max_tokens:
            current = piece
        else:
            *done, current = split_oversize(piece, max_tokens, count)
            parts.extend(done)
    if current:
        parts.append(current)
    return parts


def _pieces(pattern: re.Pattern[str], text: str) -> list[str]:
    """``text`` cut after every match of ``pattern`` (the match stays with the piece before)."""
    pieces, start = [], 0
    for m in pattern.finditer(text):
        if m.end() > start:
            pieces.append(text[start : m.end()])
            start = m.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _split_words(text: str, max_tokens: int, count: Callable[[str], int]) -> list[str]:
    return _pack(_WORD.findall(text), max_tokens, count, _split_chars)


def _split_chars(text: str, max_tokens: int, count: Callable[[str], int]) -> list[str]:
    """Longest prefixes within the limit, found by binary search (always at least 1 char)."""
    parts: list[str] = []
    while text:
        if count(text) <= max_tokens:
            parts.append(text)
            break
        lo, hi = 1, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count(text[:mid]) <= max_tokens:
                lo = mid
            else:
                hi = mid - 1
        parts.append(text[:lo])
        text = text[lo:]
    return parts
