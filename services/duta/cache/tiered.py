"""The cache the router uses: L1 in-process LRU, then Redis when configured."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from duta.cache import metrics
from duta.cache.lru import LruCache
from duta.cache.redis import RedisCache
from duta.common.metrics import child

logger = logging.getLogger(__name__)


class Cache(Protocol):
    """What the router needs from a cache."""

    async def get_many(self, keys: list[str]) -> list[str | None]: ...

    async def set_many(self, items: dict[str, str]) -> None: ...

    async def close(self) -> None: ...


class TieredCache:
    """L1 LRU in front of an optional L2 Redis; L2 hits are promoted to L1."""

    def __init__(self, l1: LruCache, l2: RedisCache | None = None) -> None:
        self.l1 = l1
        self.l2 = l2
        self.l1_enabled = l1.max_entries > 0

    async def get_many(self, keys: list[str]) -> list[str | None]:
        """Looks up L1, then L2 for the L1 misses (each level's hits and misses counted)."""
        values: list[str | None] = self.l1.get_many(keys) if self.l1_enabled else [None] * len(keys)
        missing = [i for i, v in enumerate(values) if v is None]
        if self.l1_enabled:
            _count("l1", len(keys) - len(missing), len(missing))
        if missing and self.l2 is not None:
            found = await self.l2.get_many([keys[i] for i in missing])
            promote = {}
            for i, value in zip(missing, found, strict=True):
                if value is not None:
                    values[i] = value
                    promote[keys[i]] = value
            _count("l2", len(promote), len(missing) - len(promote))
            if self.l1_enabled:
                self.l1.set_many(promote)
        return values

    async def set_many(self, items: dict[str, str]) -> None:
        """Writes through to both levels."""
        self.l1.set_many(items)
        if self.l2 is not None:
            await self.l2.set_many(items)

    async def close(self) -> None:
        """Releases the Redis connections."""
        if self.l2 is not None:
            await self.l2.close()


def _count(level: str, hits: int, misses: int) -> None:
    if hits:
        child(metrics.LOOKUPS, level, "hit").inc(hits)
    if misses:
        child(metrics.LOOKUPS, level, "miss").inc(misses)


def build_cache(
    redis_url: str | None,
    l1_entries: int,
    ttl_seconds: int,
    retry_after: float = 2.0,
    ca_file: str | Path | None = None,
) -> TieredCache:
    """Builds the router's cache: Redis when a URL is configured, else in-process only."""
    l2 = None
    if redis_url:
        l2 = RedisCache(
            redis_url, ttl_seconds=ttl_seconds, retry_after=retry_after, ca_file=ca_file
        )
    logger.info(
        "cache: %s%s",
        f"in-process LRU ({l1_entries} entries)" if l1_entries else "no in-process LRU",
        " + redis" if l2 else "",
    )
    return TieredCache(LruCache(l1_entries), l2)
