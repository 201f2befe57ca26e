"""Thai sentence boundaries.

Thai writes no sentence punctuation and no spaces between words; a space between two Thai
characters marks the end of a sentence or a clause. Those spaces are where we cut.
"""

from __future__ import annotations

import re

__all__ = ["thai_boundaries"]

_THAI_SPACE = re.compile(r"(?<=[\u0e01-\u0e7f])[ \u00a0\t]+(?=[\u0e01-\u0e7f])")
# Lao behaves the same way.
_LAO_SPACE = re.compile(r"(?<=[\u0e81-\u0eff])[ \u00a0\t]+(?=[\u0e81-\u0eff])")


def thai_boundaries(text: str) -> set[int]:
    """Cut positions (start and end of each sentence-separating space run) in Thai or Lao text."""
    cuts: set[int] = set()
    for pattern in (_THAI_SPACE, _LAO_SPACE):
        for m in pattern.finditer(text):
            cuts.update((m.start(), m.end()))
    return cuts
