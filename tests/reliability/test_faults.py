"""Faults under steady load: every request's outcome is counted, and none may fail.

The cluster runs as in production (two router replicas, two replicas of the zh→en pool, Redis),
the load comes from another process, and each test injects one fault while it runs.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
import redis

from duta.client import Client
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc
from tests.reliability.cluster import Cluster, health, metric, wait_for
from tests.reliability.conftest import FIGURES, Load

pytestmark = pytest.mark.reliability

OK_CALLS = "duta_worker_requests_total"


def served(cluster: Cluster, name: str) -> float:
    port = cluster.parts[name].metrics_port
    assert port is not None
    return metric(port, OK_CALLS, code="OK")


def assert_no_failures(stats: dict) -> None:
    assert stats["failed"] == 0, f"{stats['failed']} failed calls: {stats['errors'][:5]}"
    assert stats["ok"] > 0


def _summary(stats: dict) -> str:
    return (
        f"{stats['ok']} calls OK, {stats['failed']} failed in {stats['elapsed_s']:.0f} s "
        f"(slowest {stats['max_latency_s']:.1f} s)"
    )


def finish(load: Load, what: str) -> None:
    """Stops the load, asserts that no call failed, and keeps the counts for the summary."""
    stats = load.stop()
    assert_no_failures(stats)
    FIGURES.append(f"{what}: {_summary(stats)}")


def test_both_replicas_carry_load(cluster: Cluster, load: Load) -> None:
    before = {n: served(cluster, n) for n in ("zh-en-a", "zh-en-b")}
    wait_for(
        lambda: all(served(cluster, n) > before[n] + 20 for n in before),
        "both zh→en replicas to answer calls",
    )
    finish(load, "both replicas healthy")


def test_replica_killed_then_restarted(cluster: Cluster, load: Load) -> None:
    victim = cluster.parts["zh-en-a"]
    victim.signal(signal.SIGKILL)
    victim.process.wait(30)
    load.wait_more_ok(300, "with one replica killed")
    victim.start()  # same port: the router's channel reconnects by itself
    before = served(cluster, "zh-en-a")
    wait_for(lambda: served(cluster, "zh-en-a") > before + 20, "the restarted replica to take load")
    finish(load, "kill -9 of a zh→en replica, restarted")


def test_redis_stopped_and_restarted(cluster: Cluster, load: Load) -> None:
    store = cluster.parts["redis"]
    store.stop()
    load.wait_more_ok(300, "with Redis down")
    store.start(wait=False)
    client = redis.Redis.from_url(f"redis://{store.address}/0")
    wait_for(lambda: _ping(client), "Redis to answer again")
    # hits come back: the loadgen repeats a few texts, so Redis is read and answers
    wait_for(lambda: int(client.info("stats")["keyspace_hits"]) > 50, "cache hits from Redis")
    finish(load, "Redis stopped and started")


def _ping(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def _watch_drain(address: str) -> list[str]:
    """Health statuses seen from SIGTERM until the port closes, in order, without repeats.

    Only UNAVAILABLE (nothing listens) ends the watch: a check that times out on a busy
    machine is recorded and the watch goes on (the 120 s are a safety net, not a bound).
    """
    seen: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = health(address, timeout=5.0)
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == "UNAVAILABLE":
            break
    return seen


@pytest.mark.parametrize("name", ["zh-en-b", "router-b"])
def test_rolling_restart(cluster: Cluster, load: Load, name: str) -> None:
    part = cluster.parts[name]
    part.signal(signal.SIGTERM)
    seen = _watch_drain(part.address)
    assert "NOT_SERVING" in seen, f"health never said NOT_SERVING before closing: {seen}"
    part.process.wait(60)
    load.wait_more_ok(200, f"with {name} gone")
    part.start()
    load.wait_more_ok(200, f"with {name} back")
    finish(load, f"SIGTERM of {name} (health {' → '.join(seen)}), restarted")


WEDGED_DEADLINE = 3.0  # seconds; each caller's deadline while ja→en is wedged
WEDGED_CALLERS, WEDGED_ROUNDS = 4, 3  # 4 callers × 3 calls in turn: past the keepalive drop


def _call_wedged_pool(address: str) -> list[str]:
    """One caller's outcomes (code names) of WEDGED_ROUNDS calls to the wedged ja→en pool."""
    codes = []
    with grpc.insecure_channel(address) as channel:
        stub = translator_pb2_grpc.TranslatorStub(channel)
        for n in range(WEDGED_ROUNDS):
            request = pb.TranslateRequest(
                texts=[f"今日は{n}回目のいい天気ですね。"],
                source_language="ja",
                target_language="en",
                options=pb.TranslateOptions(no_cache=True),
            )
            try:
                stub.Translate(request, timeout=WEDGED_DEADLINE)
                codes.append("OK")
            except grpc.RpcError as exc:
                codes.append(exc.code().name)
    return codes


def test_wedged_worker_costs_a_deadline_not_a_hang(cluster: Cluster, load: Load) -> None:
    """SIGSTOP of the only ja→en worker: every call to it ends with DEADLINE_EXCEEDED at the
    caller's deadline — also after the router's keepalive has given up on the stopped
    process (the calls in turn span that) —, while the zh→en load goes on without a failure."""
    part = cluster.parts["ja-en"]  # the only replica of its pool
    address = cluster.parts["router-a"].address
    part.signal(signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(WEDGED_CALLERS) as callers:
            outcomes = list(callers.map(_call_wedged_pool, [address] * WEDGED_CALLERS))
        load.wait_more_ok(100, "with ja→en wedged")  # the other pools are not held up
    finally:
        part.signal(signal.SIGCONT)
    codes = Counter(code for caller in outcomes for code in caller)
    assert codes == {"DEADLINE_EXCEEDED": WEDGED_CALLERS * WEDGED_ROUNDS}, codes
    wait_for(lambda: health(part.address) == "SERVING", "the resumed worker")
    with Client(address, timeout=60) as duta:  # and it answers again once resumed
        assert duta.translate("今日はいい天気ですね。", "en", source="ja", no_cache=True)[0].text
    finish(load, f"SIGSTOP of ja→en ({dict(codes)} to it)")
