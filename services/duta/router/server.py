"""Router life cycle: connect to worker pools, learn what they serve, serve, drain."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from duta.cache import TieredCache, build_cache
from duta.common.server import GrpcService, build_grpc_server, serve_forever, start_metrics_server
from duta.langid import Detector
from duta.router.pipeline import Pipeline
from duta.router.pools import WorkerPool
from duta.router.routing import RoutingTable
from duta.router.servicer import TranslatorServicer
from duta.router.settings import RouterSettings
from duta.v1 import translator_pb2, translator_pb2_grpc

logger = logging.getLogger(__name__)

SERVICE_NAME = translator_pb2.DESCRIPTOR.services_by_name["Translator"].full_name


@dataclass
class Router:
    """A built router: its server plus what it must close."""

    service: GrpcService
    pools: list[WorkerPool]
    cache: TieredCache
    servicer: TranslatorServicer
    refresher: asyncio.Task[None] | None = None

    async def start(self, refresh_seconds: float) -> None:
        """Starts the server, learns what the workers serve, keeps polling them."""
        await self.service.server.start()
        await asyncio.gather(*(pool.refresh() for pool in self.pools))
        self.refresher = asyncio.create_task(self._refresh_loop(refresh_seconds))
        await self.service.set_serving(True)

    async def stop(self, grace: float) -> None:
        """Graceful stop: NOT_SERVING, finish in-flight calls, close channels and cache."""
        await self.service.shutdown(grace)
        await self.close()

    async def close(self) -> None:
        """Closes background work, channels and the cache."""
        if self.refresher:
            self.refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.refresher
        for pool in self.pools:
            await pool.close()
        await self.cache.close()

    async def _refresh_loop(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            await asyncio.gather(*(pool.refresh() for pool in self.pools))


def build_router(settings: RouterSettings, detector: Detector | None = None) -> Router:
    """Builds the router's server and dependencies (not started)."""
    pools = [WorkerPool.connect(endpoint) for endpoint in settings.workers]
    table = RoutingTable(pools, pivot=settings.pivot_language)
    cache = build_cache(settings.redis_url, settings.cache_entries, settings.cache_ttl_seconds)
    detector = detector or Detector()
    pipeline = Pipeline(settings, detector, table, cache)
    servicer = TranslatorServicer(settings, pipeline, detector, table)
    service = build_grpc_server(
        f"{settings.host}:{settings.port}",
        [(translator_pb2_grpc.add_TranslatorServicer_to_server, servicer, SERVICE_NAME)],
    )
    return Router(service, pools, cache, servicer)


async def serve(settings: RouterSettings) -> None:
    """Runs the router until SIGTERM/SIGINT."""
    start_metrics_server(settings.metrics_port)
    router = build_router(settings)
    await router.start(settings.worker_refresh_seconds)
    known = sum(1 for p in router.pools if p.info)
    logger.info(
        "router serving on port %d; %d/%d worker pools answered",
        router.service.port,
        known,
        len(router.pools),
    )
    try:
        await serve_forever(router.service, settings.grace_seconds)
    finally:
        await router.close()
