"""Token estimates: the router has no tokenizer, so it bounds what a worker will count.

SentencePiece applies NFKC before it counts, and one character can become many (ﷺ is 18
letters after NFKC, ヿ is コト), so both estimates measure the NFKC form.
"""

from __future__ import annotations

import math
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # routing → pools → tokens
    from duta.router.routing import RoutePlan

TOKENS_PER_BYTE = 1 / 3
DEFAULT_LIMIT = 256


def model_bytes(sentence: str) -> int:
    """UTF-8 length after NFKC, the normalisation SentencePiece applies."""
    if sentence.isascii():
        return len(sentence)
    return len(unicodedata.normalize("NFKC", sentence).encode("utf-8"))


def estimate_tokens(sentence: str) -> int:
    """A likely count (a third of the NFKC bytes): splits only what is surely long."""
    return math.ceil(model_bytes(sentence) * TOKENS_PER_BYTE) + 1


def worst_case_tokens(sentence: str) -> int:
    """A true upper bound: a byte-fallback tokenizer spends at most one token per UTF-8 byte
    of the NFKC form, plus the end-of-sentence and language tokens."""
    return model_bytes(sentence) + 2


def token_limit(plan: RoutePlan) -> int:
    """The smallest sentence limit along a plan's hops (workers report theirs in Info)."""
    limits = [h.pool.info.limits.max_input_tokens for h in plan.hops if h.pool.info]
    return max(8, min(limits, default=DEFAULT_LIMIT))
