"""Building wire requests from keyword arguments, shared by the sync and asyncio clients."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Literal

from duta.client.errors import DutaRpcError
from duta.v1 import translator_pb2 as pb

Tier = Literal["auto", "small", "large"]
_TIERS = {"auto": pb.TIER_UNSPECIFIED, "small": pb.TIER_SMALL, "large": pb.TIER_LARGE}


def translate_request(
    texts: str | Sequence[str],
    target: str,
    *,
    source: str | None = None,
    html: bool = False,
    beam_size: int = 0,
    no_cache: bool = False,
    glossary: Mapping[str, str] | None = None,
    do_not_translate: Sequence[str] = (),
    hints: Sequence[str] = (),
    tier: Tier = "auto",
    disable_pivot: bool = False,
    escalation_threshold: float = 0.0,
    return_sentences: bool = False,
) -> pb.TranslateRequest:
    """A TranslateRequest; see `Client.translate` for the arguments."""
    return pb.TranslateRequest(
        texts=[texts] if isinstance(texts, str) else list(texts),
        source_language=source or "",
        target_language=target,
        format=pb.TEXT_FORMAT_HTML if html else pb.TEXT_FORMAT_PLAIN,
        options=pb.TranslateOptions(
            beam_size=beam_size,
            no_cache=no_cache,
            glossary=[pb.GlossaryEntry(source=k, target=v) for k, v in (glossary or {}).items()],
            do_not_translate=list(do_not_translate),
            source_hints=list(hints),
            tier=_TIERS[tier],
            disable_pivot=disable_pivot,
            escalation_threshold=escalation_threshold,
            return_sentences=return_sentences,
        ),
    )


def detect_request(
    texts: str | Sequence[str], hints: Sequence[str], top_k: int
) -> pb.DetectLanguageRequest:
    """The DetectLanguage request for one text or several."""
    return pb.DetectLanguageRequest(
        texts=[texts] if isinstance(texts, str) else list(texts), hints=list(hints), top_k=top_k
    )


def backoff(attempt: int, retry_after: float) -> float:
    """Seconds to wait before retry `attempt` (1-based): the server's hint, at least 0.1·2^n."""
    return max(retry_after, min(0.1 * 2 ** (attempt - 1), 5.0))


def retry_pause(
    error: DutaRpcError, attempt: int, max_attempts: int, deadline: float
) -> float | None:
    """Seconds to wait before trying a failed call again, or None when it must not be: the
    error is not retryable, the attempts are spent, or the pause would pass the deadline
    (`time.monotonic()` time)."""
    pause = backoff(attempt, error.retry_after)
    if not error.retryable or attempt >= max_attempts or time.monotonic() + pause >= deadline:
        return None
    return pause
