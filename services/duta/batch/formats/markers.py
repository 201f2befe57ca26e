"""Protected pieces inside prose: markers the router keeps, and putting text back in slots.

A piece of a segment that must not be translated (a placeholder such as ``%s`` or ``{name}``,
an inline tag, a Markdown code span, a URL) is replaced by a marker ``⟦n⟧`` and the marker is
sent as a do-not-translate term, so the router masks it before the model and restores it after
(appending it when the model dropped it). `Masked.unmask` then puts the original piece back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "APP_PLACEHOLDERS",
    "MARKER",
    "Masked",
    "distribute",
    "has_prose",
    "mask",
    "mask_parts",
    "strip_markers",
]

MARKER = re.compile(r"⟦(\d+)⟧")

# Placeholders of app strings: {{count}}, {name}, {0}, ${var}, printf (%s, %1$d, %.2f, %@),
# Python %(name)s, HTML/XML tags and character entities; and URLs, which are not prose either.
APP_PLACEHOLDERS = re.compile(
    r"""(?:https?|ftp)://[^\s<>"'{}]+
    |\{\{[^{}]*\}\}
    |\{[A-Za-z0-9_.,:\s-]*\}
    |\$\{[^{}]*\}
    |%\([A-Za-z_][A-Za-z0-9_]*\)[-+0#]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]
    |%(?:\d+\$)?[-+0#]*\d*(?:\.\d+)?(?:hh|h|ll|l|L|z|j|t|q)?[diouxXeEfFgGcsaAp@%]
    |</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>
    |&(?:[A-Za-z][A-Za-z0-9]*|\#\d+|\#x[0-9A-Fa-f]+);""",
    re.X,
)


def _marker(number: int) -> str:
    return f"⟦{number}⟧"


@dataclass(frozen=True)
class Masked:
    """A text whose protected pieces are replaced by markers.

    Attributes:
        text: the text with markers ``⟦1⟧``, ``⟦2⟧``… in place of the pieces.
        pieces: what each marker stands for (marker n is ``pieces[n - 1]``).
    """

    text: str
    pieces: tuple[str, ...] = ()

    @property
    def markers(self) -> tuple[str, ...]:
        """The marker strings, to send as do-not-translate terms."""
        return tuple(_marker(i + 1) for i in range(len(self.pieces)))

    def unmask(self, translated: str) -> str:
        """Puts every piece back once: where its marker is, else at the end."""
        return self.unmask_parts([translated])[0]

    def unmask_parts(self, parts: Sequence[str]) -> list[str]:
        """`unmask` over a text cut into parts; dropped pieces go to the end of the last."""
        used: set[int] = set()

        def replace(match: re.Match[str]) -> str:
            number = int(match.group(1))
            if 1 <= number <= len(self.pieces) and number not in used:
                used.add(number)
                return self.pieces[number - 1]
            return ""

        out = [MARKER.sub(replace, part) for part in parts]
        missing = [p for i, p in enumerate(self.pieces, 1) if i not in used]
        out[-1] += "".join(missing)
        return out


def mask(text: str, pattern: re.Pattern[str]) -> Masked:
    """Masks every match of `pattern` in `text`."""
    parts: list[tuple[str, bool]] = []
    last = 0
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        parts.append((text[last : match.start()], False))
        parts.append((match.group(0), True))
        last = match.end()
    parts.append((text[last:], False))
    return mask_parts(parts)


def mask_parts(parts: Iterable[tuple[str, bool]]) -> Masked:
    """Joins (text, protected) parts, each protected one replaced by a marker."""
    out: list[str] = []
    pieces: list[str] = []
    for text, protected in parts:
        if not text:
            continue
        if protected:
            pieces.append(text)
            out.append(_marker(len(pieces)))
        else:
            out.append(text)
    return Masked("".join(out), tuple(pieces))


def strip_markers(text: str) -> str:
    """The text without markers (for language detection and statistics)."""
    return MARKER.sub(" ", text)


def has_prose(text: str) -> bool:
    """True when the text, markers aside, holds at least one letter."""
    return any(ch.isalpha() for ch in MARKER.sub("", text))


def distribute(text: str, weights: Sequence[int], *, lines: bool = False) -> list[str]:
    """Cuts `text` into len(weights) consecutive parts of proportional length.

    Cuts snap to the nearest space when there is one close by (any character otherwise, as in
    CJK). With `lines`, the spaces at the cuts are dropped and no part is left empty while
    there are characters to share (a Markdown line must not become blank).
    """
    count = len(weights)
    if count <= 1:
        return [text]
    total = sum(weights) or count
    shares = [w if sum(weights) else 1 for w in weights]
    cuts: list[int] = []
    position, running = 0, 0
    for index, share in enumerate(shares[:-1]):
        running += share
        target = round(len(text) * running / total)
        left = count - index - 1  # parts still to fill after this cut
        high = max(position, len(text) - left) if lines else len(text)
        low = min(position + 1, high) if lines else position
        cut = _outside_markers(text, _snap(text, min(max(target, low), high), low, high))
        cuts.append(cut)
        position = cut
    bounds = list(zip([0, *cuts], [*cuts, len(text)], strict=True))
    parts = [text[a:b] for a, b in bounds]
    return [p.strip(" ") for p in parts] if lines else parts


def _outside_markers(text: str, cut: int) -> int:
    """Moves a cut that falls inside a marker to the marker's end."""
    for match in MARKER.finditer(text):
        if match.start() < cut < match.end():
            return match.end()
    return cut


def _snap(text: str, target: int, low: int, high: int) -> int:
    """The space-boundary nearest `target` within [low, high] and a small window, or target."""
    window = max(8, len(text) // 10)
    best: int | None = None
    for cut in range(max(low, target - window), min(high, target + window) + 1):
        boundary = 0 < cut < len(text) and text[cut - 1] == " " and text[cut] != " "
        if boundary and (best is None or abs(cut - target) < abs(best - target)):
            best = cut
    return target if best is None else best
