"""gRPC server bootstrap shared by every service: health, reflection, backstop, life cycle."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from duta.common.interceptors import BackstopInterceptor

logger = logging.getLogger(__name__)

# (add_XServicer_to_server, servicer instance, fully qualified service name)
ServicerSpec = tuple[Callable[[Any, grpc.aio.Server], None], Any, str]


@dataclass
class GrpcService:
    """A started-or-startable gRPC server with its health servicer and bound port."""

    server: grpc.aio.Server
    health: health_aio.HealthServicer
    port: int
    service_names: Sequence[str]
    on_drain: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def set_serving(self, serving: bool) -> None:
        """Reports SERVING or NOT_SERVING for the overall server and every service."""
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", *self.service_names):
            await self.health.set(name, status)

    async def shutdown(self, grace: float) -> None:
        """Drain hooks refuse new work, NOT_SERVING, hooks finish, then the server stops."""
        drains = [asyncio.ensure_future(hook()) for hook in self.on_drain]
        await asyncio.sleep(0)  # the hooks refuse new work before health says NOT_SERVING
        await self.set_serving(False)
        if drains:
            done, pending = await asyncio.wait(drains, timeout=grace)
            for task in pending:
                task.cancel()
                logger.warning("drain did not finish within %.1fs", grace)
            for task in done:
                if task.exception() is not None:
                    logger.error("drain hook failed", exc_info=task.exception())
        await self.server.stop(grace)


def build_grpc_server(
    address: str,
    servicers: Sequence[ServicerSpec],
    max_message_bytes: int = 16 * 1024 * 1024,
) -> GrpcService:
    """Builds a grpc.aio server with health (NOT_SERVING), reflection and the backstop.

    Args:
        address: `host:port`; port 0 picks a free port (see `GrpcService.port`).
        servicers: the services to register.
        max_message_bytes: the receive/send message limit.
    """
    server = grpc.aio.server(
        interceptors=[BackstopInterceptor()],
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.so_reuseport", 0),
        ],
    )
    names = []
    for add, servicer, name in servicers:
        add(servicer, server)
        names.append(name)
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    reflection.enable_server_reflection(
        [
            *names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ],
        server,
    )
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot bind gRPC server to {address}")
    return GrpcService(server=server, health=health, port=port, service_names=names)


async def serve_forever(service: GrpcService, grace: float) -> None:
    """Runs until SIGTERM or SIGINT, then shuts down gracefully within `grace` seconds.

    The caller has already started the server and set it SERVING (or not, while loading).
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    logger.info("signal received: draining for up to %.1fs", grace)
    await service.shutdown(grace)
    logger.info("stopped")


def start_metrics_server(port: int | None) -> None:
    """Serves Prometheus metrics over HTTP on `port` (disabled when None)."""
    if port is None:
        return
    from prometheus_client import start_http_server

    start_http_server(port)
    logger.info("metrics on :%d/metrics", port)
