"""Redis as the shared L2 cache. An outage never fails a request: it turns into misses."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError, RedisError, TimeoutError

from duta.cache import metrics

logger = logging.getLogger(__name__)


class RedisCache:
    """Async Redis cache with short timeouts and a circuit breaker.

    After an error the cache is skipped for `retry_after` seconds, so a dead Redis costs one
    timeout per window, not one per request.
    """

    def __init__(
        self,
        url: str,
        ttl_seconds: int = 7 * 24 * 3600,
        timeout_seconds: float = 0.25,
        retry_after: float = 5.0,
        ca_file: str | Path | None = None,
    ) -> None:
        options: dict[str, Any] = {}
        if url.startswith("rediss://") and ca_file:
            options["ssl_ca_certs"] = str(ca_file)
        self._client = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            decode_responses=True,
            # A pooled connection that went stale (Redis restarted) is retried once on a new
            # one instead of failing the lookup; `_trip` also drops the whole pool.
            retry=Retry(NoBackoff(), 1),
            retry_on_error=[ConnectionError, TimeoutError],
            health_check_interval=30,
            **options,
        )
        self._ttl = ttl_seconds
        self._retry_after = retry_after
        self._down_until = 0.0
        self._resets: set[asyncio.Future[None]] = set()

    @property
    def available(self) -> bool:
        """False while the breaker is open after an error."""
        return time.monotonic() >= self._down_until

    async def get_many(self, keys: list[str]) -> list[str | None]:
        """Returns cached values (None for misses, and for everything while Redis is down)."""
        if not keys or not self.available:
            return [None] * len(keys)
        try:
            values = await self._client.mget(keys)
        except (RedisError, OSError) as exc:
            self._trip(exc)
            return [None] * len(keys)
        return [v if isinstance(v, str) or v is None else v.decode() for v in values]

    async def set_many(self, items: dict[str, str]) -> None:
        """Stores the items with the configured TTL; errors are logged, never raised."""
        if not items or not self.available:
            return
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for key, value in items.items():
                    pipe.set(key, value, ex=self._ttl)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self._trip(exc)

    async def ping(self) -> bool:
        """True when Redis answers now."""
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        """Closes the connection pool."""
        await self._client.aclose()

    def _trip(self, exc: BaseException) -> None:
        metrics.L2_ERRORS.inc()
        if self.available:
            logger.warning(
                "redis cache unavailable (%s); serving uncached for %.1fs",
                type(exc).__name__,
                self._retry_after,
            )
        self._down_until = time.monotonic() + self._retry_after
        # Every pooled connection may be stale (a restarted Redis): drop them all now, so the
        # first lookup after the window opens a fresh one instead of tripping again.
        task = asyncio.ensure_future(self._client.connection_pool.disconnect())
        self._resets.add(task)
        task.add_done_callback(self._resets.discard)
