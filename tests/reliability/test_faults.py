"""Faults under steady load: every request's outcome is counted, and none may fail.

The cluster runs as in production (two router replicas, two replicas of the zh→en pool, Redis),
the load comes from another process, and each test injects one fault while it runs.
"""

from __future__ import annotations

import signal
import time

import grpc
import pytest
import redis

from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc
from tests.reliability.cluster import Cluster, health, metric, wait_for
from tests.reliability.conftest import Load

pytestmark = pytest.mark.reliability

OK_CALLS = "duta_worker_requests_total"


def served(cluster: Cluster, name: str) -> float:
    port = cluster.parts[name].metrics_port
    assert port is not None
    return metric(port, OK_CALLS, code="OK")


def assert_no_failures(stats: dict) -> None:
    assert stats["failed"] == 0, f"{stats['failed']} failed calls: {stats['errors'][:5]}"
    assert stats["ok"] > 0


def test_both_replicas_carry_load(cluster: Cluster, load: Load) -> None:
    before = {n: served(cluster, n) for n in ("zh-en-a", "zh-en-b")}
    wait_for(
        lambda: all(served(cluster, n) > before[n] + 20 for n in before),
        "both zh→en replicas to answer calls",
    )
    assert_no_failures(load.stop())


def test_replica_killed_then_restarted(cluster: Cluster, load: Load) -> None:
    victim = cluster.parts["zh-en-a"]
    victim.signal(signal.SIGKILL)
    victim.process.wait(30)
    load.wait_more_ok(300, "with one replica killed")
    victim.start()  # same port: the router's channel reconnects by itself
    before = served(cluster, "zh-en-a")
    wait_for(lambda: served(cluster, "zh-en-a") > before + 20, "the restarted replica to take load")
    assert_no_failures(load.stop())


def test_redis_stopped_and_restarted(cluster: Cluster, load: Load) -> None:
    store = cluster.parts["redis"]
    store.stop()
    load.wait_more_ok(300, "with Redis down")
    store.start(wait=False)
    client = redis.Redis.from_url(f"redis://{store.address}/0")
    wait_for(lambda: _ping(client), "Redis to answer again")
    # hits come back: the loadgen repeats a few texts, so Redis is read and answers
    wait_for(lambda: int(client.info("stats")["keyspace_hits"]) > 50, "cache hits from Redis")
    assert_no_failures(load.stop())


def _ping(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def _watch_drain(address: str) -> list[str]:
    """Health statuses seen from SIGTERM until the port closes, in order, without repeats."""
    seen: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = health(address, timeout=1.0)
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
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
    assert_no_failures(load.stop())


def test_wedged_worker_costs_a_deadline_not_a_hang(cluster: Cluster) -> None:
    part = cluster.parts["ja-en"]  # the only replica of its pool
    part.signal(signal.SIGSTOP)
    try:
        with grpc.insecure_channel(cluster.parts["router-a"].address) as channel:
            stub = translator_pb2_grpc.TranslatorStub(channel)
            request = pb.TranslateRequest(
                texts=["今日はいい天気ですね。"],
                source_language="ja",
                target_language="en",
                options=pb.TranslateOptions(no_cache=True),
            )
            with pytest.raises(grpc.RpcError) as caught:
                stub.Translate(request, timeout=3.0)
            assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
            # the other pools are not held up by the wedged one
            other = stub.Translate(
                pb.TranslateRequest(
                    texts=["今天天气很好。"],
                    source_language="zh",
                    target_language="en",
                    options=pb.TranslateOptions(no_cache=True),
                ),
                timeout=60,
            )
            assert other.translations[0].text
    finally:
        part.signal(signal.SIGCONT)
    wait_for(lambda: health(part.address) == "SERVING", "the resumed worker")
