"""Router life cycle: listen NOT_SERVING, learn what every pool serves, SERVING; reload on
SIGHUP; on SIGTERM NOT_SERVING for the drain delay, then finish in-flight calls."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from duta.cache import TieredCache, build_cache
from duta.common.auth import ApiKeyInterceptor, ApiKeys
from duta.common.server import GrpcService, build_grpc_server, serve_forever, start_metrics_server
from duta.common.settings import load_settings
from duta.langid import Detector
from duta.router.pipeline import Pipeline
from duta.router.pools import WorkerPool
from duta.router.routing import RoutingTable
from duta.router.servicer import TranslatorServicer
from duta.router.settings import RouterSettings, WorkerEndpoint
from duta.v1 import translator_pb2, translator_pb2_grpc

logger = logging.getLogger(__name__)

SERVICE_NAME = translator_pb2.DESCRIPTOR.services_by_name["Translator"].full_name
UNKNOWN_POOL_POLL = 0.5  # seconds between Info asks while a pool has never answered


@dataclass
class Router:
    """A built router: its server plus what it must close."""

    settings: RouterSettings
    service: GrpcService
    table: RoutingTable
    cache: TieredCache
    servicer: TranslatorServicer
    api_keys: ApiKeys | None = None
    config_file: Path | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    refresher: asyncio.Task[None] | None = None
    _closing: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def pools(self) -> list[WorkerPool]:
        """The current worker pools."""
        return self.table.pools

    async def start(self) -> None:
        """Listens (NOT_SERVING) and starts learning what the pools serve; SERVING follows
        once every pool has answered (or `ready_timeout_seconds` with at least one)."""
        await self.service.set_serving(False)
        await self.service.server.start()
        self.refresher = asyncio.create_task(self._refresh_loop())

    async def stop(self, grace: float, drain_delay: float = 0.0) -> None:
        """Graceful stop: NOT_SERVING, drain delay, finish in-flight calls, close."""
        await self.service.shutdown(grace, drain_delay)
        await self.close()

    async def close(self) -> None:
        """Closes background work, channels and the cache."""
        if self.refresher:
            self.refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.refresher
        for pool in self.pools:
            await pool.close()
        for task in list(self._closing):
            task.cancel()
        await self.cache.close()

    async def reload(self) -> None:
        """Re-reads the routes file (pools added and removed) and the API-key file.

        A removed pool's channel is closed only after its in-flight calls end, so requests
        under way are unaffected.
        """
        if self.api_keys is not None:
            self.api_keys.reload()
        if self.config_file is None:
            return
        fresh = load_settings(RouterSettings, self.config_file)
        await self.apply_workers(fresh.workers)

    async def apply_workers(self, endpoints: tuple[WorkerEndpoint, ...]) -> None:
        """Makes the pools match `endpoints`: new ones connected and asked, gone ones closed."""
        current = {pool.endpoint: pool for pool in self.pools}
        added = [WorkerPool.connect(e, self.settings) for e in endpoints if e not in current]
        await asyncio.gather(*(pool.refresh() for pool in added))
        kept = [current[e] for e in endpoints if e in current]
        removed = [pool for e, pool in current.items() if e not in endpoints]
        self.table.pools = [*kept, *added]  # one assignment: a request sees old or new
        for pool in removed:
            task = asyncio.create_task(self._retire(pool))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        logger.info(
            "worker pools reloaded: %d kept, %d added, %d removed",
            len(kept),
            len(added),
            len(removed),
        )

    async def _retire(self, pool: WorkerPool) -> None:
        await pool.channel.close(grace=self.settings.worker_timeout_seconds)

    async def _refresh_loop(self) -> None:
        started = time.monotonic()
        while True:
            await asyncio.gather(*(pool.refresh() for pool in self.pools))
            if not self.ready.is_set() and self._ready(time.monotonic() - started):
                self.ready.set()
                await self.service.set_serving(True)
                known = sum(1 for p in self.pools if p.info)
                logger.info("SERVING; %d/%d worker pools answered", known, len(self.pools))
            unknown = any(p.info is None for p in self.pools)
            await asyncio.sleep(
                UNKNOWN_POOL_POLL if unknown else self.settings.worker_refresh_seconds
            )

    def _ready(self, elapsed: float) -> bool:
        if self.service.draining:
            return False
        answered = [p.info is not None for p in self.pools]
        if all(answered):
            return True
        return any(answered) and elapsed >= self.settings.ready_timeout_seconds


def build_router(
    settings: RouterSettings,
    detector: Detector | None = None,
    config_file: str | Path | None = None,
) -> Router:
    """Builds the router's server and dependencies (not started)."""
    pools = [WorkerPool.connect(endpoint, settings) for endpoint in settings.workers]
    table = RoutingTable(
        pools, pivot=settings.pivot_language, fallbacks=settings.fallback_languages
    )
    cache = build_cache(
        settings.redis_url,
        settings.cache_entries,
        settings.cache_ttl_seconds,
        settings.redis_retry_seconds,
        settings.redis_ca_file,
    )
    detector = detector or Detector(ngram=settings.detector_ngram)
    pipeline = Pipeline(settings, detector, table, cache)
    servicer = TranslatorServicer(settings, pipeline, detector, table)
    api_keys = ApiKeys(settings.api_keys_file) if settings.api_keys_file else None
    service = build_grpc_server(
        f"{settings.host}:{settings.port}",
        [(translator_pb2_grpc.add_TranslatorServicer_to_server, servicer, SERVICE_NAME)],
        tls=settings.server_tls(),
        interceptors=[ApiKeyInterceptor(api_keys)] if api_keys else (),
    )
    router = Router(
        settings,
        service,
        table,
        cache,
        servicer,
        api_keys,
        Path(config_file) if config_file else None,
    )
    service.on_reload.append(router.reload)
    return router


async def serve(settings: RouterSettings, config_file: str | Path | None = None) -> None:
    """Runs the router until SIGTERM/SIGINT (SIGHUP reloads the routes and keys)."""
    start_metrics_server(settings.metrics_port)
    router = build_router(settings, config_file=config_file)
    await router.start()
    # What start-up built (language-ID model, settings, stubs, gRPC) lives as long as the
    # process: frozen out of the collector's way, a full collection scans only what requests
    # create. Before, one under load paused every call for 40–75 ms.
    gc.collect()
    gc.freeze()
    logger.info(
        "router listening on port %d (NOT_SERVING until the worker pools answer)",
        router.service.port,
    )
    try:
        await serve_forever(router.service, settings.grace_seconds, settings.drain_delay_seconds)
    finally:
        await router.close()
