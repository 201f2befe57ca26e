"""Cache keys: everything that changes a translation is part of the key."""

from __future__ import annotations

import hashlib

KEY_PREFIX = "duta:v1:"


def cache_key(
    sentence: str, source: str, target: str, models: tuple[str, ...], beam_size: int
) -> str:
    """Returns the cache key of one sentence translated along one route.

    Args:
        sentence: the normalised source sentence.
        source: canonical source language.
        target: canonical target language (the variant too: zh-Hant-TW differs from zh-Hans).
        models: `id@revision` of every model on the route, in order.
        beam_size: the beam size used (it changes the output).
    """
    digest = hashlib.blake2b(digest_size=20)
    for part in (source, target, "|".join(models), str(beam_size), sentence):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return KEY_PREFIX + digest.hexdigest()
