"""Worker life cycle: listen (NOT_SERVING), load, warm up, SERVING; SIGTERM: drain, exit."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from duta.common.server import GrpcService, build_grpc_server, serve_forever, start_metrics_server
from duta.v1 import worker_pb2, worker_pb2_grpc
from duta.worker.engine import Engine
from duta.worker.servicer import WorkerServicer
from duta.worker.settings import WorkerSettings

logger = logging.getLogger(__name__)

SERVICE_NAME = worker_pb2.DESCRIPTOR.services_by_name["Worker"].full_name


def build_server(settings: WorkerSettings) -> tuple[GrpcService, WorkerServicer]:
    """Builds the worker's gRPC server; attach an Engine to the servicer once loaded."""
    executor = ThreadPoolExecutor(max_workers=settings.inter_threads, thread_name_prefix="ct2")
    servicer = WorkerServicer(settings, executor)
    service = build_grpc_server(
        f"{settings.host}:{settings.port}",
        [(worker_pb2_grpc.add_WorkerServicer_to_server, servicer, SERVICE_NAME)],
    )
    return service, servicer


async def load(service: GrpcService, servicer: WorkerServicer) -> Engine:
    """Loads and warms the model off the event loop, then reports SERVING."""
    loop = asyncio.get_running_loop()
    engine = await loop.run_in_executor(servicer.executor, Engine, servicer.settings)
    await loop.run_in_executor(servicer.executor, engine.warm_up)
    servicer.attach(engine)
    await service.set_serving(True)
    logger.info("worker %s serving on port %d", engine.metadata.id, service.port)
    return engine


async def serve(settings: WorkerSettings) -> None:
    """Listens at once (health NOT_SERVING), loads the model, serves until SIGTERM/SIGINT."""
    start_metrics_server(settings.metrics_port)
    service, servicer = build_server(settings)
    await service.server.start()
    await service.set_serving(False)
    try:
        await load(service, servicer)
        await serve_forever(service, settings.grace_seconds)
    finally:
        servicer.executor.shutdown(wait=True)
