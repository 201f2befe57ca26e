"""Redis as the shared L2 cache. An outage never fails a request: it turns into misses."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
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
        self._lookups = SharedLookups(self._client.mget)

    @property
    def available(self) -> bool:
        """False while the breaker is open after an error."""
        return time.monotonic() >= self._down_until

    async def get_many(self, keys: list[str]) -> list[str | None]:
        """Returns cached values (None for misses, and for everything while Redis is down)."""
        if not keys or not self.available:
            return [None] * len(keys)
        try:
            values = await self._lookups.get(keys)
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


Fetch = Callable[[list[str]], Awaitable[list[Any]]]


class SharedLookups:
    """Lookups made while an MGET is on its way wait, and go together as the next one.

    Idle, a lookup is sent at once; under load many requests share one command and one round
    trip (redis-py's per-command cost was the larger part of an L2 hit).
    """

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._busy = False
        self._queue: list[tuple[list[str], asyncio.Future[list[Any]]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def get(self, keys: list[str]) -> list[Any]:
        """The values of `keys`, in order (what the fetch raises, raised to every sharer)."""
        if self._busy:
            future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
            self._queue.append((keys, future))
            return await future
        self._busy = True
        try:
            return await self._fetch(keys)
        finally:
            if self._queue:
                self._sender = asyncio.ensure_future(self._send_queued())
            else:
                self._busy = False

    async def _send_queued(self) -> None:
        batch: list[tuple[list[str], asyncio.Future[list[Any]]]] = []
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    values = await self._fetch([key for keys, _ in batch for key in keys])
                except Exception as exc:  # each sharer handles it as its own
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                start = 0
                for keys, future in batch:
                    if not future.done():  # its caller may have been cancelled
                        future.set_result(values[start : start + len(keys)])
                    start += len(keys)
        finally:
            self._busy = False
            self._sender = None
            left, self._queue = [*batch, *self._queue], []
            for _, future in left:  # cancelled (closing): their callers take it as a miss
                if not future.done():
                    future.set_exception(ConnectionError("the shared lookup was abandoned"))
