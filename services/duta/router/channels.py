"""gRPC channels to worker pools: round robin over healthy replicas, retries, keepalive.

One channel per pool, created once. Its service config makes gRPC itself do what a pool needs:

- `round_robin` over every resolved replica (a `dns:///` headless Service or an `ipv4:` list);
- client-side health checking (`grpc.health.v1.Health/Watch` of `duta.v1.Worker`): a replica
  that reports NOT_SERVING (draining, loading) leaves the rotation at once, and comes back
  when it reports SERVING;
- retries on UNAVAILABLE (a dead replica, a refused connection, a draining worker's "shutting
  down"), on another replica, and a per-attempt timeout so a stalled (SIGSTOPped) replica
  costs a bounded slice of the deadline;
- keepalive pings every few seconds (the servers allow them, see `common.server`), so a
  replica that stopped answering is dropped within seconds, not at the next Info poll.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from typing import Any

import grpc

from duta.common.server import KEEPALIVE_MS, KEEPALIVE_TIMEOUT_MS
from duta.router.settings import RouterSettings, WorkerEndpoint

WORKER_SERVICE = "duta.v1.Worker"
RESOLVE_TIMEOUT = 2.0  # seconds for counting a pool's replicas by its name


def target_of(endpoint: WorkerEndpoint) -> str:
    """The gRPC target: the address as given, or an `ipv4:`/`ipv6:` list of the replicas."""
    if endpoint.address:
        return endpoint.address
    hosts = [_host(a) for a in endpoint.addresses]
    try:
        versions = {ipaddress.ip_address(h).version for h in hosts}
    except ValueError as exc:
        raise ValueError(
            f"`addresses` must be IP:port each ({', '.join(endpoint.addresses)}); for names use "
            "one `address: dns:///name:port` that resolves to every replica"
        ) from exc
    if versions == {6}:
        return "ipv6:" + ",".join(endpoint.addresses)
    if versions == {4}:
        return "ipv4:" + ",".join(endpoint.addresses)
    raise ValueError("`addresses` must be all IPv4 or all IPv6")


async def replica_count(endpoint: WorkerEndpoint, known: int = 1) -> int:
    """How many replicas a pool has: its `addresses`, or the addresses its name resolves to
    (a headless Service's name resolves to every replica); `known` when that cannot be told."""
    if endpoint.addresses:
        return len(endpoint.addresses)
    name = endpoint.address
    if name.startswith("dns:"):
        name = name[4:]
        if name.startswith("//"):  # dns://[authority]/host:port
            name = name[2:].partition("/")[2]
    host, _, port = name.rpartition(":")
    if not host or not port.isdigit():
        return known
    loop = asyncio.get_running_loop()
    try:
        found = await asyncio.wait_for(
            loop.getaddrinfo(host.strip("[]"), int(port), type=socket.SOCK_STREAM), RESOLVE_TIMEOUT
        )
    except (OSError, UnicodeError, TimeoutError):
        return known
    return max(1, len({info[4][0] for info in found}))


def _host(address: str) -> str:
    host = address.rsplit(":", 1)[0]
    return host.strip("[]")


def service_config(per_try_timeout: float) -> dict[str, Any]:
    """Round robin over healthy replicas; Translate and Info retried on another one."""
    return {
        "loadBalancingConfig": [{"round_robin": {}}],
        "healthCheckConfig": {"serviceName": WORKER_SERVICE},
        "methodConfig": [
            {
                "name": [{"service": WORKER_SERVICE}],
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.05s",
                    "maxBackoff": "1s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                    "perAttemptRecvTimeout": f"{per_try_timeout:.3f}s",
                },
            }
        ],
    }


def channel_options(settings: RouterSettings) -> list[tuple[str, Any]]:
    """Channel arguments shared by every pool's channel."""
    options: list[tuple[str, Any]] = [
        ("grpc.service_config", json.dumps(service_config(settings.per_try_timeout_seconds))),
        ("grpc.enable_retries", 1),
        ("grpc.experimental.enable_hedging", 1),  # enables perAttemptRecvTimeout in C-core
        ("grpc.keepalive_time_ms", KEEPALIVE_MS),
        ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.initial_reconnect_backoff_ms", 200),
        ("grpc.max_reconnect_backoff_ms", 2_000),
        ("grpc.per_rpc_retry_buffer_size", 4 * 1024 * 1024),
        ("grpc.max_receive_message_length", 64 * 1024 * 1024),
        ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ]
    if settings.worker_tls_server_name:
        options.append(("grpc.ssl_target_name_override", settings.worker_tls_server_name))
    return options


def open_channel(endpoint: WorkerEndpoint, settings: RouterSettings) -> grpc.aio.Channel:
    """The pool's channel (connects lazily); TLS or mutual TLS when configured."""
    target = target_of(endpoint)
    options = channel_options(settings)
    if settings.worker_tls_ca_file is None:
        return grpc.aio.insecure_channel(target, options=options)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=settings.worker_tls_ca_file.read_bytes(),
        private_key=_read(settings.worker_tls_key_file),
        certificate_chain=_read(settings.worker_tls_cert_file),
    )
    return grpc.aio.secure_channel(target, credentials, options=options)


def _read(path: Any) -> bytes | None:
    return path.read_bytes() if path else None
