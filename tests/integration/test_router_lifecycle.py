"""Readiness and drain that mean it: the router and the worker, in process and as processes."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from duta.cli.up import free_port, wait_serving
from duta.client import Client
from duta.router import RouterSettings, WorkerEndpoint
from duta.v1 import worker_pb2, worker_pb2_grpc
from duta.worker import WorkerSettings
from tests.conftest import running_router, start_worker, stop_worker

DUTA = str(Path(sys.executable).with_name("duta"))
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def health(address: str, service: str = "") -> int:
    with grpc.insecure_channel(address) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=10
        )
    return reply.status


def wait_health(address: str, status: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while health(address) != status:
        assert time.monotonic() < deadline, f"{address} never reported {status}"
        time.sleep(0.05)


def test_router_is_not_serving_until_its_pools_answer(loop_thread, demo_models, detector) -> None:
    port = free_port()
    settings = RouterSettings(
        host="127.0.0.1",
        port=0,
        workers=(WorkerEndpoint(address=f"127.0.0.1:{port}"),),
        ready_timeout_seconds=600,
    )
    from duta.router import build_router

    async def start():
        router = build_router(settings, detector)
        await router.start()
        return router

    router = loop_thread.run(start())
    worker = None
    try:
        address = f"127.0.0.1:{router.service.port}"
        assert health(address) == NOT_SERVING
        assert health(address, "duta.v1.Translator") == NOT_SERVING
        worker = start_worker(
            loop_thread,
            WorkerSettings(model=demo_models / "demo-zh-en", host="127.0.0.1", port=port),
        )
        wait_health(address, SERVING)
        with Client(address) as client:
            assert client.translate(["你好。"], "en", source="zh")[0].models == ("demo-zh-en",)
    finally:
        loop_thread.run(router.stop(0))
        if worker:
            stop_worker(loop_thread, *worker)


def test_router_drain_delay_is_not_serving_but_still_serving(
    loop_thread, workers, detector
) -> None:
    settings = RouterSettings(
        host="127.0.0.1",
        port=0,
        workers=(WorkerEndpoint(address=workers.address("demo-zh-en")),),
    )
    with running_router(loop_thread, settings, detector) as router:
        address = f"127.0.0.1:{router.service.port}"
        drain = asyncio.run_coroutine_threadsafe(
            router.service.shutdown(grace=30, drain_delay=600), loop_thread.loop
        )
        wait_health(address, NOT_SERVING)
        assert health(address, "duta.v1.Translator") == NOT_SERVING  # every service says so
        with Client(address, max_attempts=1) as client:  # still answered during the delay
            assert client.translate(["排空期间仍然服务。"], "en", source="zh")[0].text
        loop_thread.loop.call_soon_threadsafe(router.service.end_drain_delay)
        drain.result(60)


def test_worker_is_not_serving_while_loading_and_while_draining(loop_thread, demo_models) -> None:
    from duta.worker.server import listen, load

    settings = WorkerSettings(
        model=demo_models / "demo-zh-en", host="127.0.0.1", port=0, inter_threads=1
    )
    service, servicer = loop_thread.run(listen(settings))
    address = f"127.0.0.1:{service.port}"
    try:
        assert health(address) == NOT_SERVING  # listening, model not loaded yet
        assert health(address, "duta.v1.Worker") == NOT_SERVING
        loop_thread.run(load(service, servicer))
        assert health(address) == SERVING
        drain = asyncio.run_coroutine_threadsafe(
            service.shutdown(grace=30, drain_delay=600), loop_thread.loop
        )
        wait_health(address, NOT_SERVING)
        assert health(address, "duta.v1.Worker") == NOT_SERVING
        with grpc.insecure_channel(address) as channel:  # served during the delay
            reply = worker_pb2_grpc.WorkerStub(channel).Translate(
                worker_pb2.WorkerTranslateRequest(
                    sentences=["你好。"], source_language="zh-Hans", target_language="en"
                ),
                timeout=60,
            )
        assert len(reply.hypotheses) == 1
        loop_thread.loop.call_soon_threadsafe(service.end_drain_delay)
        drain.result(60)
    finally:
        stop_worker(loop_thread, service, servicer)


@pytest.mark.slow
def test_router_process_reloads_on_sighup_drains_on_sigterm_keeps_text_out_of_logs(
    workers, tmp_path
) -> None:
    routes = tmp_path / "routes.yaml"
    routes.write_text(f"workers:\n  - address: {workers.address('demo-zh-en')}\n")
    port = free_port()
    env = {
        **os.environ,
        "DUTA_ROUTER_DETECTOR_NGRAM": "false",
        "DUTA_ROUTER_DRAIN_DELAY_SECONDS": "600",
        "DUTA_ROUTER_LOG_LEVEL": "DEBUG",
    }
    env.pop("DUTA_LOG_TEXT", None)
    process = subprocess.Popen(
        [DUTA, "serve", "router", "--config", str(routes), "--host", "127.0.0.1"]
        + ["--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    address = f"127.0.0.1:{port}"
    marker = "秘密标记句子七七七。"
    try:
        wait_serving(address, 180, process)
        with Client(address, max_attempts=1) as client:
            assert client.translate([marker], "en", request_id="drain-test-1")[0].text
            routes.write_text(
                f"workers:\n  - address: {workers.address('demo-zh-en')}\n"
                f"  - address: {workers.address('demo-ja-en')}\n"
            )
            process.send_signal(signal.SIGHUP)  # the new pool is asked and served
            deadline = time.monotonic() + 60
            while not client.list_languages(source="ja").pairs:
                assert time.monotonic() < deadline, "SIGHUP did not add the ja→en pool"
                time.sleep(0.1)
            assert client.translate(["今日は。"], "en", source="ja")[0].models == ("demo-ja-en",)
            process.send_signal(signal.SIGTERM)
            wait_health(address, NOT_SERVING)
            assert client.translate([marker], "en", request_id="drain-test-2")[0].text
        process.send_signal(signal.SIGTERM)  # a second signal ends the delay
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    records = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(r["request_id"] == "drain-test-2" for r in records)  # DEBUG lines were written
    assert marker not in stderr and "秘密" not in stderr  # no user text without DUTA_LOG_TEXT=1


def test_duta_log_text_puts_text_in_debug_logs_only_when_asked(
    shared_router, caplog, monkeypatch
) -> None:
    caplog.set_level(logging.DEBUG, logger="duta")
    marker = "可见标记句子八八八。"
    with Client(f"127.0.0.1:{shared_router.service.port}") as client:
        client.translate([marker], "en", source="zh")
        assert marker not in caplog.text and "<10 chars>" in caplog.text
        monkeypatch.setenv("DUTA_LOG_TEXT", "1")
        client.translate([marker], "en", source="zh")
    assert marker in caplog.text
