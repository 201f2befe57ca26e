"""The router's own vocabulary: routes, tiers, a validated request, one sentence's outcome.

Values of `Route` and `Tier` equal the wire enums', so the edge converts them by value; nothing
between the servicer and the assembled answer needs the generated messages.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field


class Route(enum.IntEnum):
    """The path a sentence took (duta.v1.Route)."""

    UNSPECIFIED = 0
    DIRECT = 1
    PIVOT = 2
    ESCALATED = 3
    PASSTHROUGH = 4


class Tier(enum.IntEnum):
    """Which model tier may serve a request (duta.v1.Tier)."""

    ANY = 0
    SMALL = 1
    LARGE = 2


# The route of a text is the most involved route of its sentences.
ROUTE_RANK: dict[Route, int] = {
    Route.UNSPECIFIED: -1,
    Route.PASSTHROUGH: 0,
    Route.DIRECT: 1,
    Route.PIVOT: 2,
    Route.ESCALATED: 3,
}


@dataclass(frozen=True)
class Request:
    """A validated Translate request, codes canonical."""

    texts: Sequence[str]
    source: str  # "" = detect per text
    target: str
    beam_size: int
    use_cache: bool
    hints: tuple[str, ...]
    tier: int
    pivot: bool
    escalation_threshold: float
    return_sentences: bool
    html: bool = False
    terms: tuple[tuple[str, str], ...] = ()  # glossary and do-not-translate: source → output
    deadline: float | None = None  # time.monotonic() by which the caller wants an answer


@dataclass
class Outcome:
    """The translation of one sentence along its route."""

    text: str
    source: str = ""  # the sentence as the first model saw it
    confidence: float = 1.0
    cached: bool = True
    models: list[str] = field(default_factory=list)
    route: Route = Route.DIRECT
    demo: bool = False
