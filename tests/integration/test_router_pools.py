"""A pool of two worker processes under steady load: SIGKILL, SIGSTOP and SIGTERM of a
replica fail no call, both replicas carry load, a replica that comes back takes load again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from duta.cli.up import free_port, wait_serving
from duta.client import Client, DutaRpcError
from duta.router import RouterSettings, WorkerEndpoint
from tests.conftest import running_router

DUTA = str(Path(sys.executable).with_name("duta"))


class Replica:
    """`duta serve worker` as a process, with its metrics port."""

    def __init__(self, model: Path, port: int, metrics_port: int) -> None:
        self.port, self.metrics_port = port, metrics_port
        env = {
            **os.environ,
            "DUTA_WORKER_INTER_THREADS": "1",
            "DUTA_WORKER_DRAIN_DELAY_SECONDS": "1",
            "DUTA_WORKER_GRACE_SECONDS": "20",
            "DUTA_WORKER_METRICS_PORT": str(metrics_port),
        }
        self.process = subprocess.Popen(
            [DUTA, "serve", "worker", "--model", str(model), "--host", "127.0.0.1"]
            + ["--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_serving(f"127.0.0.1:{port}", 120, self.process)

    def answered(self) -> float:
        """Translate calls this replica answered OK (its own metrics)."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        body = urllib.request.urlopen(url, timeout=10).read().decode()
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in body.splitlines()
            if line.startswith("duta_worker_requests_total{") and 'code="OK"' in line
        )

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
        self.process.wait(30)


class Load:
    """Steady callers through `duta.client` (no retries of its own), every outcome kept."""

    def __init__(self, client: Client, callers: int = 4) -> None:
        self.client = client
        self.ok = 0
        self.failures: list[DutaRpcError] = []
        self.lock = threading.Lock()
        self.running = True
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(callers)]
        for thread in self.threads:
            thread.start()

    def _run(self, caller: int) -> None:
        n = 0
        while self.running:
            n += 1
            try:
                self.client.translate(
                    [f"第{caller}位第{n}句话。"], "en", source="zh", no_cache=True
                )
                with self.lock:
                    self.ok += 1
            except DutaRpcError as exc:
                with self.lock:
                    self.failures.append(exc)

    def wait_for(self, more: int, timeout: float = 180) -> None:
        """Waits until `more` further calls succeeded."""
        target = self.ok + more
        deadline = time.monotonic() + timeout
        while self.ok < target and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.ok >= target, f"load stalled at {self.ok} calls ({self.failures[:3]})"

    def stop(self) -> None:
        self.running = False
        for thread in self.threads:
            thread.join(120)


def wait_until(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_pool_survives_kill_stall_and_drain(demo_models, loop_thread, detector) -> None:
    model = demo_models / "demo-zh-en"
    ports = [free_port() for _ in range(4)]
    a, b = Replica(model, ports[0], ports[1]), Replica(model, ports[2], ports[3])
    replicas = [a, b]
    settings = RouterSettings(
        host="127.0.0.1",
        port=0,
        workers=(WorkerEndpoint(addresses=(f"127.0.0.1:{ports[0]}", f"127.0.0.1:{ports[2]}")),),
        per_try_timeout_seconds=5,
        detector_ngram=False,
    )
    try:
        with (
            running_router(loop_thread, settings, detector) as router,
            Client(f"127.0.0.1:{router.service.port}", max_attempts=1, timeout=120) as client,
        ):
            load = Load(client)
            try:
                load.wait_for(40)
                assert a.answered() > 0 and b.answered() > 0  # round robin, not a cold standby
                a.signal(signal.SIGKILL)
                a.process.wait(30)
                load.wait_for(30)
                a = Replica(model, ports[0], ports[1])  # comes back on the same address
                replicas.append(a)
                wait_until(lambda: a.answered() > 0)  # and takes load again by itself
                b.signal(signal.SIGSTOP)  # stalled: routed around after a bounded wait
                load.wait_for(30)
                b.signal(signal.SIGCONT)
                a.signal(signal.SIGTERM)  # drains: NOT_SERVING, then refuses, then exits
                load.wait_for(30)
                assert a.process.wait(60) == 0
            finally:
                load.stop()
    finally:
        for replica in replicas:
            replica.close()
    assert load.failures == []


def test_separate_entries_of_one_model_share_load_and_fail_over(
    demo_models, loop_thread, detector
) -> None:
    """Two `workers:` entries that turn out to serve the same model are replicas as well."""
    from duta.worker import WorkerSettings
    from tests.conftest import start_worker, stop_worker

    model = demo_models / "demo-zh-en"
    started = [
        start_worker(
            loop_thread, WorkerSettings(model=model, host="127.0.0.1", port=0, inter_threads=1)
        )
        for _ in range(2)
    ]
    (a_service, a), (b_service, b) = started
    settings = RouterSettings(
        host="127.0.0.1",
        port=0,
        workers=tuple(WorkerEndpoint(address=f"127.0.0.1:{s.port}") for s, _ in started),
        worker_refresh_seconds=3600,  # the Info poll must not be what notices the death
    )
    try:
        with (
            running_router(loop_thread, settings, detector) as router,
            Client(f"127.0.0.1:{router.service.port}", max_attempts=1) as client,
        ):
            for i in range(8):
                client.translate([f"两个条目第{i}句。"], "en", source="zh", no_cache=True)
            assert a.batcher.stats.computed_sentences > 0 and b.batcher.stats.computed_sentences > 0
            loop_thread.run(a_service.server.stop(0))  # gone, and the router was not told
            before = b.batcher.stats.computed_sentences
            for i in range(8):
                assert client.translate([f"一个停了第{i}句。"], "en", source="zh", no_cache=True)
            assert b.batcher.stats.computed_sentences == before + 8
    finally:
        for service, servicer in started:
            stop_worker(loop_thread, service, servicer)


def test_a_stalled_attempt_is_retried_after_the_per_try_timeout(loop_thread) -> None:
    """The pools' channel retries an attempt with no answer by `per_try_timeout_seconds`
    (gRPC's C core honours perAttemptRecvTimeout only with the hedging switch the pools set)."""
    import asyncio

    import grpc

    from duta.router.channels import open_channel
    from duta.v1 import worker_pb2, worker_pb2_grpc

    attempts: list[int] = []

    class FirstAttemptStalls(worker_pb2_grpc.WorkerServicer):
        async def Info(self, request, context):  # noqa: N802
            attempts.append(len(attempts))
            if len(attempts) == 1:
                await asyncio.sleep(120)  # a stalled replica: never answers in time
            return worker_pb2.WorkerInfoResponse(model_id="answered")

    async def scenario() -> str:
        server = grpc.aio.server()
        worker_pb2_grpc.add_WorkerServicer_to_server(FirstAttemptStalls(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        settings = RouterSettings(per_try_timeout_seconds=1)
        channel = open_channel(WorkerEndpoint(address=f"127.0.0.1:{port}"), settings)
        try:
            stub = worker_pb2_grpc.WorkerStub(channel)
            reply = await stub.Info(worker_pb2.WorkerInfoRequest(), timeout=60)
            return reply.model_id
        finally:
            await channel.close()
            await server.stop(0)

    assert loop_thread.run(scenario()) == "answered"
    assert len(attempts) >= 2  # the first stalled; a later one (a busy machine: 3rd) answered
