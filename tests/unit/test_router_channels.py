"""The pools' channel configuration: what the router asks of gRPC, checked against what the
workers' servers accept (keepalive) and what they answer when draining (retried)."""

from __future__ import annotations

import json

import grpc

from duta.common.errors import ServiceUnavailable
from duta.common.server import SERVER_KEEPALIVE_OPTIONS
from duta.router.channels import WORKER_SERVICE, channel_options, target_of
from duta.router.settings import RouterSettings, WorkerEndpoint


def options(settings: RouterSettings) -> dict[str, object]:
    return dict(channel_options(settings))


def test_round_robin_over_healthy_replicas_with_retries_and_a_per_try_timeout() -> None:
    opts = options(RouterSettings(per_try_timeout_seconds=2.5))
    config = json.loads(str(opts["grpc.service_config"]))
    assert config["loadBalancingConfig"] == [{"round_robin": {}}]
    assert config["healthCheckConfig"] == {"serviceName": WORKER_SERVICE}  # drains leave at once
    (method,) = config["methodConfig"]
    assert method["name"] == [{"service": WORKER_SERVICE}]
    retry = method["retryPolicy"]
    assert retry["maxAttempts"] >= 2 and retry["perAttemptRecvTimeout"] == "2.500s"
    # the draining worker's refusal is UNAVAILABLE, so gRPC sends it to another replica
    refusal = ServiceUnavailable("the worker is shutting down", reason="SHUTTING_DOWN")
    assert refusal.code == grpc.StatusCode.UNAVAILABLE
    assert retry["retryableStatusCodes"] == [refusal.code.name]
    assert opts["grpc.enable_retries"] == 1 and opts["grpc.experimental.enable_hedging"] == 1


def test_keepalive_pings_are_ones_the_workers_servers_accept() -> None:
    client = options(RouterSettings())
    server = dict(SERVER_KEEPALIVE_OPTIONS)
    interval = int(str(client["grpc.keepalive_time_ms"]))
    assert interval <= 5_000  # a dead or stopped replica is found in seconds
    # pings with no call in flight are allowed and never closer than the server tolerates,
    # so no GOAWAY "too_many_pings" ever drops a healthy replica's connection
    assert client["grpc.keepalive_permit_without_calls"] == 1
    assert server["grpc.keepalive_permit_without_calls"] == 1
    assert interval >= int(str(server["grpc.http2.min_recv_ping_interval_without_data_ms"]))
    assert client["grpc.http2.max_pings_without_data"] == 0


def test_replicas_listed_become_one_target() -> None:
    listed = WorkerEndpoint(addresses=("10.0.0.5:50052", "10.0.0.6:50052"))
    assert target_of(listed) == "ipv4:10.0.0.5:50052,10.0.0.6:50052"
    named = WorkerEndpoint(address="dns:///worker-zh-en:50052")
    assert target_of(named) == "dns:///worker-zh-en:50052"
