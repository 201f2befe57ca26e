"""The cache proven at both levels: Redis answers with L1 off, comes back after a restart within
one breaker window, speaks rediss:// with a password; identical misses are coalesced."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from prometheus_client import REGISTRY

from duta.cache.redis import RedisCache
from duta.cli.up import free_port
from duta.client import Client
from duta.router import RouterSettings, WorkerEndpoint
from duta.router.types import Request
from tests.conftest import RedisServer, running_router


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def worker_calls(model: str) -> float:
    return sample("duta_worker_requests_total", model=model, code="OK")


def cache_router(loop, workers, detector, redis_url, **overrides):
    settings = RouterSettings(
        host="127.0.0.1",
        port=0,
        workers=tuple(WorkerEndpoint(address=workers.address(n)) for n in workers.services),
        redis_url=redis_url,
        redis_retry_seconds=1.0,
        **overrides,
    )
    return running_router(loop, settings, detector)


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis-cache"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def l2_only(loop_thread, workers, detector, own_redis):
    with cache_router(loop_thread, workers, detector, own_redis.url, cache_entries=0) as router:
        yield router


def test_redis_answers_when_l1_is_off(l2_only, own_redis) -> None:
    before = sample("duta_cache_lookups_total", level="l2", result="hit")
    l1_before = sample("duta_cache_lookups_total", level="l1", result="hit")
    with Client(f"127.0.0.1:{l2_only.service.port}") as client:
        (first,) = client.translate(["只有第二级缓存。"], "en", source="zh")
        (second,) = client.translate(["只有第二级缓存。"], "en", source="zh")
    assert not first.cached and second.cached and first.text == second.text
    assert sample("duta_cache_lookups_total", level="l2", result="hit") == before + 1
    assert sample("duta_cache_lookups_total", level="l1", result="hit") == l1_before
    assert len(l2_only.cache.l1) == 0  # nothing kept in process: Redis answered
    keys = redis.Redis(port=own_redis.port).keys("duta:v1:*")
    assert keys


def test_hits_come_back_within_one_breaker_window_after_a_redis_restart(l2_only, own_redis) -> None:
    def together(client: Client, texts: list[str]) -> list[bool]:
        with ThreadPoolExecutor(len(texts)) as pool:
            return list(
                pool.map(lambda t: client.translate([t], "en", source="zh")[0].cached, texts)
            )

    with Client(f"127.0.0.1:{l2_only.service.port}") as client:
        together(client, [f"重启之前第{i}句。" for i in range(8)])  # several pooled connections
        own_redis.stop()
        (during,) = client.translate(["雷迪斯停了。"], "en", source="zh")
        assert during.text and not during.cached  # an outage is a miss, never a failure
        own_redis.start()
        l2 = l2_only.cache.l2
        deadline = time.monotonic() + 60
        while not l2.available:  # the breaker window (1 s) runs out
            assert time.monotonic() < deadline
            time.sleep(0.05)
        texts = [f"重启之后第{i}句。" for i in range(8)]
        misses = together(client, texts)
        hits = together(client, texts)
    assert not any(misses) and all(hits)  # stale pooled connections did not trip it again


def test_concurrent_redis_lookups_share_one_mget(own_redis, loop_thread) -> None:
    """Under load L2 lookups go together: the first is sent at once, those made while it is
    on its way as one MGET (counted by Redis itself); a sharer that is cancelled leaves the
    others their answers."""
    admin = redis.Redis(port=own_redis.port)

    def mgets() -> int:
        return int(admin.info("commandstats").get("cmdstat_mget", {}).get("calls", 0))

    async def lookups() -> tuple[int, list[object]]:
        cache = RedisCache(own_redis.url)
        await cache.set_many({f"shared-{i}": f"value {i}" for i in range(10)})
        await cache.get_many(["shared-0"])  # connected: the next ones meet at the socket
        before = mgets()
        calls = [
            asyncio.ensure_future(cache.get_many([f"shared-{i}", "absent"])) for i in range(10)
        ]
        await asyncio.sleep(0)  # all ten asked: the first is on its way, nine wait
        calls[5].cancel()
        answers = await asyncio.gather(*calls, return_exceptions=True)
        await cache.close()
        return mgets() - before, answers

    sent, answers = loop_thread.run(lookups())
    assert sent == 2
    assert isinstance(answers[5], asyncio.CancelledError)
    assert [a for i, a in enumerate(answers) if i != 5] == [
        [f"value {i}", None] for i in range(10) if i != 5
    ]


def test_shared_lookups_turn_a_redis_outage_into_misses_for_every_sharer(
    loop_thread, tmp_path
) -> None:
    server = RedisServer(tmp_path)
    server.start()
    cache = RedisCache(server.url, retry_after=0.2)

    async def lookups() -> list[object]:
        calls = [asyncio.ensure_future(cache.get_many([f"down-{i}", "x"])) for i in range(6)]
        return await asyncio.gather(*calls, return_exceptions=True)

    try:
        loop_thread.run(cache.set_many({"down-0": "before"}))
        assert loop_thread.run(lookups())[0] == ["before", None]
        server.stop()
        during = loop_thread.run(lookups())  # the first sent alone, five shared: all fail
        assert during == [[None, None]] * 6 and not cache.available
        server.start()
        deadline = time.monotonic() + 60
        while not cache.available:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        loop_thread.run(cache.set_many({"down-0": "after"}))
        assert loop_thread.run(lookups())[0] == ["after", None]
    finally:
        loop_thread.run(cache.close())
        server.stop()


def test_identical_inflight_sentences_are_coalesced_across_requests(
    shared_router, loop_thread
) -> None:
    runner = shared_router.servicer.pipeline.runner
    hop = shared_router.table.plan("ko", "en").hops[0]
    request = Request(
        texts=["x"], source="ko", target="en", beam_size=0, use_cache=True, hints=(), tier=0,
        pivot=True, escalation_threshold=0.0, return_sentences=False,
    )  # fmt: skip
    sentence = "동시에 같은 문장을 보냅니다."
    calls_before = worker_calls("demo-ko-en")
    coalesced_before = sample("duta_router_coalesced_sentences_total")

    async def two_requests():
        first = asyncio.ensure_future(runner.run_hop(hop, [sentence], request))
        while not runner._inflight:  # the first is at the worker now
            await asyncio.sleep(0.001)
        second = asyncio.ensure_future(runner.run_hop(hop, [sentence], request))
        return await first, await second

    (first,), (second,) = loop_thread.run(two_requests())
    assert first[0].text == second[0].text and not first[1] and not second[1]
    assert worker_calls("demo-ko-en") == calls_before + 1
    assert sample("duta_router_coalesced_sentences_total") == coalesced_before + 1


def test_n_identical_concurrent_requests_make_one_worker_call(shared_router) -> None:
    calls_before = worker_calls("demo-ko-en")
    barrier = threading.Barrier(8)
    answers: list[str] = []

    def call(client: Client) -> None:
        barrier.wait()
        answers.append(client.translate(["여덟 번 동시에 보냅니다."], "en", source="ko")[0].text)

    with Client(f"127.0.0.1:{shared_router.service.port}") as client:
        threads = [threading.Thread(target=call, args=(client,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert len(answers) == 8 and len(set(answers)) == 1
    assert worker_calls("demo-ko-en") == calls_before + 1


@pytest.fixture
def tls_redis(tmp_path):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    port = free_port()
    process = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", "0", "--tls-port", str(port)]
        + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)]
        + [
            "--tls-cert-file",
            str(tmp_path / "cert.pem"),
            "--tls-key-file",
            str(tmp_path / "key.pem"),
        ]
        + ["--tls-ca-cert-file", str(tmp_path / "ca.pem"), "--tls-auth-clients", "no"]
        + ["--requirepass", "s3cret-pw"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        assert time.monotonic() < deadline and process.poll() is None, "redis TLS did not start"
        time.sleep(0.05)
    yield f"rediss://:s3cret-pw@localhost:{port}/0", tmp_path / "ca.pem"
    process.terminate()
    process.wait(10)


def test_rediss_with_a_password(loop_thread, workers, detector, tls_redis) -> None:
    url, ca = tls_redis
    with (
        cache_router(
            loop_thread, workers, detector, url, cache_entries=0, redis_ca_file=ca
        ) as router,
        Client(f"127.0.0.1:{router.service.port}") as client,
    ):
        (first,) = client.translate(["加密的缓存连接。"], "en", source="zh")
        (second,) = client.translate(["加密的缓存连接。"], "en", source="zh")
        assert router.cache.l2.available
    assert not first.cached and second.cached
