"""Worker life cycle: listen (NOT_SERVING), load, warm up, SERVING; SIGTERM: drain, exit."""

from __future__ import annotations

import asyncio
import gc
import logging
from concurrent.futures import ThreadPoolExecutor

from duta.common.server import GrpcService, build_grpc_server, serve_forever, start_metrics_server
from duta.v1 import worker_pb2, worker_pb2_grpc
from duta.worker import memory
from duta.worker.engine import Engine
from duta.worker.servicer import WorkerServicer
from duta.worker.settings import WorkerSettings

logger = logging.getLogger(__name__)

SERVICE_NAME = worker_pb2.DESCRIPTOR.services_by_name["Worker"].full_name


def build_server(settings: WorkerSettings) -> tuple[GrpcService, WorkerServicer]:
    """Builds the worker's gRPC server; `load` attaches the Engine to the servicer.

    On shutdown (`GrpcService.shutdown`) the servicer's drain hook refuses new calls and
    finishes every accepted sentence before the server stops.
    """
    executor = ThreadPoolExecutor(max_workers=settings.inter_threads, thread_name_prefix="ct2")
    servicer = WorkerServicer(settings, executor)
    service = build_grpc_server(
        f"{settings.host}:{settings.port}",
        [(worker_pb2_grpc.add_WorkerServicer_to_server, servicer, SERVICE_NAME)],
        tls=settings.server_tls(),
    )
    service.on_drain.append(servicer.drain)
    return service, servicer


async def listen(settings: WorkerSettings) -> tuple[GrpcService, WorkerServicer]:
    """Builds the server and starts listening, health NOT_SERVING (the library's default
    would be SERVING) until `load` has loaded and warmed the model."""
    service, servicer = build_server(settings)
    await service.set_serving(False)
    await service.server.start()
    return service, servicer


async def load(service: GrpcService, servicer: WorkerServicer) -> Engine:
    """Loads the model off the event loop, warms every replica up, then reports SERVING.

    Raises:
        ModelDirError: the model directory cannot be served.
    """
    loop = asyncio.get_running_loop()
    engine = await loop.run_in_executor(servicer.executor, Engine, servicer.settings)
    # One warm-up batch per replica, concurrently, so each replica has run once.
    await asyncio.gather(
        *(loop.run_in_executor(servicer.executor, engine.warm_up) for _ in range(engine.replicas))
    )
    servicer.attach(engine)
    # What loading built (settings, tokenizers, gRPC) lives as long as the process: frozen
    # out of the collector's way, a full collection scans only what requests create.
    gc.collect()
    gc.freeze()
    await service.set_serving(True)
    logger.info("worker %s serving on port %d", engine.metadata.id, service.port)
    return engine


async def serve(settings: WorkerSettings) -> None:
    """Listens at once (health NOT_SERVING), loads the model, serves until SIGTERM/SIGINT.

    Raises:
        ModelDirError: the model directory cannot be served (the server is stopped first).
    """
    memory.configure(settings.malloc_arena_max, settings.cuda_cache_mb)
    start_metrics_server(settings.metrics_port)
    service, servicer = await listen(settings)
    try:
        try:
            await load(service, servicer)
        except BaseException:
            await service.server.stop(0)
            raise
        await serve_forever(service, settings.grace_seconds, settings.drain_delay_seconds)
        await servicer.close()
    finally:
        servicer.executor.shutdown(wait=True)
