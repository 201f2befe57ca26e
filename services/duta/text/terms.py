"""Glossary and do-not-translate terms: masked before the model, restored after it.

Each protected term in a sentence is replaced by a numbered placeholder ``[n]`` — ASCII
brackets and digits, which every SentencePiece vocabulary has and translation models copy —
and the placeholder in the model's output is replaced by the term's required rendering. A
placeholder the model dropped is appended at the end, so a protected term is never lost.
Because masking happens before the cache, one cached translation serves every term.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Renderings", "TermMasker"]

Renderings = tuple[tuple[str, str], ...]  # (placeholder number, text to put in its place)

_PLACEHOLDER = re.compile(r"\[\s*(\d{1,3})\s*\]")


@dataclass(frozen=True)
class TermMasker:
    """Masks source terms and restores their renderings.

    Attributes:
        terms: source term → text that must appear in the output (itself for do-not-translate).
    """

    terms: Mapping[str, str]
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = sorted((t for t in self.terms if t), key=len, reverse=True)  # longest first
        pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        object.__setattr__(self, "_pattern", pattern)

    def mask(self, sentence: str) -> tuple[str, Renderings]:
        """Returns the sentence with placeholders, and (placeholder number, rendering) pairs."""
        if self._pattern is None:
            return sentence, ()
        taken = {int(n) for n in _PLACEHOLDER.findall(sentence)}
        renderings: list[str] = []
        numbers: list[int] = []

        def replace(match: re.Match[str]) -> str:
            number = max([0, *taken, *numbers]) + 1
            numbers.append(number)
            renderings.append(self.terms[match.group(0)])
            return f"[{number}]"

        masked = self._pattern.sub(replace, sentence)
        return masked, tuple(zip(map(str, numbers), renderings, strict=True))

    @staticmethod
    def restore(text: str, renderings: Renderings) -> str:
        """Replaces placeholders in a model's output; appends the renderings it dropped."""
        if not renderings:
            return text
        by_number = dict(renderings)
        used: set[str] = set()

        def replace(match: re.Match[str]) -> str:
            number = match.group(1)
            if number in by_number and number not in used:
                used.add(number)
                return by_number[number]
            return match.group(0) if number not in by_number else ""

        restored = _PLACEHOLDER.sub(replace, text)
        missing = [r for n, r in by_number.items() if n not in used]
        return " ".join([restored.rstrip(), *missing]) if missing else restored
