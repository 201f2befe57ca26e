"""Typed results of the client: plain dataclasses built from the wire messages."""

from __future__ import annotations

from dataclasses import dataclass, field

from duta.client.errors import DutaRpcError
from duta.v1 import translator_pb2 as pb


@dataclass(frozen=True)
class Sentence:
    """One sentence of a translation (when `return_sentences` was asked for)."""

    source: str
    text: str
    cached: bool
    confidence: float
    models: tuple[str, ...]
    route: str


@dataclass(frozen=True)
class Translation:
    """The translation of one text.

    `route` is `direct`, `pivot`, `escalated` or `passthrough` ("" when the text failed);
    `error` is set, and `text` empty, when this text alone could not be translated.
    `demo_output` means a demo model (random weights) wrote it: it is not a translation.
    """

    text: str
    source_language: str
    detected_language: str
    detection_confidence: float
    route: str
    route_languages: tuple[str, ...]
    models: tuple[str, ...]
    cached: bool
    confidence: float
    demo_output: bool
    sentences: tuple[Sentence, ...] = ()
    error: DutaRpcError | None = None

    @property
    def ok(self) -> bool:
        """False when this text failed (see `error`)."""
        return self.error is None

    @classmethod
    def from_pb(cls, message: pb.Translation) -> Translation:
        """Converts a wire Translation."""
        error = None
        if message.HasField("error"):
            if message.error.HasField("status"):
                error = DutaRpcError.from_status(message.error.status)
            else:
                error = DutaRpcError.from_status(message.error)
        return cls(
            text=message.text,
            source_language=message.source_language,
            detected_language=message.detected_language,
            detection_confidence=message.detection_confidence,
            route=_route(message.route),
            route_languages=tuple(message.route_languages),
            models=tuple(message.models),
            cached=message.cached,
            confidence=message.confidence,
            demo_output=message.demo_output,
            sentences=tuple(
                Sentence(s.source, s.text, s.cached, s.confidence, tuple(s.models), _route(s.route))
                for s in message.sentences
            ),
            error=error,
        )


@dataclass(frozen=True)
class Candidate:
    """A candidate language and its confidence."""

    language: str
    confidence: float


@dataclass(frozen=True)
class Detection:
    """The language of one text: the best guess first among `candidates`."""

    language: str
    confidence: float
    script: str
    candidates: tuple[Candidate, ...] = field(default=())

    @classmethod
    def from_pb(cls, message: pb.Detection) -> Detection:
        """Converts a wire Detection."""
        return cls(
            message.language,
            message.confidence,
            message.script,
            tuple(Candidate(c.language, c.confidence) for c in message.candidates),
        )


def _route(value: int) -> str:
    if value == pb.ROUTE_UNSPECIFIED:
        return ""
    return pb.Route.Name(value).removeprefix("ROUTE_").lower()
