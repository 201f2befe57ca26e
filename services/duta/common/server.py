"""gRPC server bootstrap shared by every service: health, reflection, backstop, life cycle."""

from __future__ import annotations

import asyncio
import contextlib
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

# Clients (the router's worker pools) ping every KEEPALIVE_MS to find a dead or stalled peer in
# seconds; servers must allow pings that often, or they answer GOAWAY "too_many_pings".
KEEPALIVE_MS = 2_000
KEEPALIVE_TIMEOUT_MS = 2_000
SERVER_KEEPALIVE_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", KEEPALIVE_MS // 2),
    ("grpc.http2.min_ping_interval_without_data_ms", KEEPALIVE_MS // 2),
    ("grpc.http2.max_ping_strikes", 0),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
)


@dataclass
class GrpcService:
    """A started-or-startable gRPC server with its health servicer and bound port."""

    server: grpc.aio.Server
    health: health_aio.HealthServicer
    port: int
    service_names: Sequence[str]
    on_drain: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_reload: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    draining: bool = False
    delay_over: asyncio.Event = field(default_factory=asyncio.Event)

    async def set_serving(self, serving: bool) -> None:
        """Reports SERVING or NOT_SERVING for the overall server and every service."""
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", *self.service_names):
            await self.health.set(name, status)

    def end_drain_delay(self) -> None:
        """Ends a running drain delay now (a second SIGTERM does this)."""
        self.delay_over.set()

    async def shutdown(self, grace: float, drain_delay: float = 0.0) -> None:
        """NOT_SERVING, keep serving for `drain_delay` seconds (load balancers and endpoint
        lists catch up), then drain hooks refuse new work and finish theirs, and the server
        stops, giving in-flight calls `grace` seconds."""
        self.draining = True
        await self.set_serving(False)
        if drain_delay > 0:
            logger.info("NOT_SERVING; still serving for the %.1fs drain delay", drain_delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.delay_over.wait(), drain_delay)
        drains = [asyncio.ensure_future(hook()) for hook in self.on_drain]
        await asyncio.sleep(0)  # the hooks refuse new work before anything else runs
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
    tls: tuple[bytes, bytes, bytes | None] | None = None,
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
) -> GrpcService:
    """Builds a grpc.aio server with health (NOT_SERVING), reflection and the backstop.

    Args:
        address: `host:port`; port 0 picks a free port (see `GrpcService.port`).
        servicers: the services to register.
        max_message_bytes: the receive/send message limit.
        tls: (certificate chain, private key, client CA or None) to serve TLS; with a client
            CA, clients must present a certificate it signed (mutual TLS).
        interceptors: run after the backstop (e.g. authentication), whose errors it maps.
    """
    server = grpc.aio.server(
        interceptors=[BackstopInterceptor(), *interceptors],
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.so_reuseport", 0),
            *SERVER_KEEPALIVE_OPTIONS,
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
    port = _bind(server, address, tls)
    return GrpcService(server=server, health=health, port=port, service_names=names)


def _bind(
    server: grpc.aio.Server, address: str, tls: tuple[bytes, bytes, bytes | None] | None
) -> int:
    """Adds the listening port (TLS when `tls` is given); the port bound."""
    if tls is None:
        port = server.add_insecure_port(address)
    else:
        cert, key, client_ca = tls
        credentials = grpc.ssl_server_credentials(
            [(key, cert)], root_certificates=client_ca, require_client_auth=client_ca is not None
        )
        port = server.add_secure_port(address, credentials)
    if port == 0:
        raise OSError(f"cannot bind gRPC server to {address}")
    return port


async def serve_forever(service: GrpcService, grace: float, drain_delay: float = 0.0) -> None:
    """Runs until SIGTERM or SIGINT, then drains: NOT_SERVING for `drain_delay` seconds while
    still serving, then stops within `grace` seconds. SIGHUP runs the reload hooks.

    The caller has already started the server and set it SERVING (or not, while loading).
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    reloads: set[asyncio.Task[None]] = set()
    if service.on_reload:
        loop.add_signal_handler(signal.SIGHUP, _reload, service, reloads)
    await stop.wait()
    logger.info("signal received: drain delay %.1fs, then up to %.1fs", drain_delay, grace)
    for sig in (signal.SIGTERM, signal.SIGINT):  # a second signal ends the delay
        loop.add_signal_handler(sig, service.end_drain_delay)
    await service.shutdown(grace, drain_delay)
    logger.info("stopped")


def _reload(service: GrpcService, tasks: set[asyncio.Task[None]]) -> None:
    async def run() -> None:
        logger.info("SIGHUP: reloading")
        for hook in service.on_reload:
            try:
                await hook()
            except Exception:
                logger.exception("reload failed; the previous configuration stays")

    task = asyncio.ensure_future(run())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def start_metrics_server(port: int | None) -> None:
    """Serves Prometheus metrics over HTTP on `port` (disabled when None)."""
    if port is None:
        return
    from prometheus_client import start_http_server

    start_http_server(port)
    logger.info("metrics on :%d/metrics", port)
