"""The worker as a process: `duta serve worker` — broken model dirs, SIGTERM under load."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from duta.cli.up import free_port, wait_serving
from duta.models import ModelDirError, open_model_dir
from duta.v1 import worker_pb2, worker_pb2_grpc

DUTA = str(Path(sys.executable).with_name("duta"))


def serve(model: Path, port: int, **env: str) -> subprocess.Popen[str]:
    environ = {**os.environ, **{f"DUTA_WORKER_{k.upper()}": v for k, v in env.items()}}
    return subprocess.Popen(
        [
            DUTA,
            "serve",
            "worker",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_metric(port: int, name: str, value: float, timeout: float = 60) -> None:
    """Waits until a worker gauge reaches `value` (every call accepted, nothing finished)."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        for line in body.decode().splitlines():
            if line.startswith(name + "{"):
                seen = float(line.rsplit(" ", 1)[1])
        if seen is not None and seen >= value:
            return
        time.sleep(0.02)
    pytest.fail(f"{name} reached {seen}, expected {value}: not every call was accepted")


def _wait_not_serving(channel: grpc.Channel, timeout: float = 30) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
        if reply.status == health_pb2.HealthCheckResponse.NOT_SERVING:
            return
        time.sleep(0.02)
    pytest.fail("the worker never reported NOT_SERVING after SIGTERM")


def test_a_broken_model_dir_fails_at_start_with_the_reason(demo_models, tmp_path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(demo_models / "demo-zh-en", broken)
    for spm in broken.glob("*spm*"):
        spm.unlink()
    with pytest.raises(ModelDirError) as expected:
        open_model_dir(broken)
    process = serve(broken, free_port())
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert str(expected.value) in stderr


def _zh_request(sentences: int, **options: int) -> worker_pb2.WorkerTranslateRequest:
    return worker_pb2.WorkerTranslateRequest(
        sentences=["今天天气很好。我们明天去北京吧。"] * sentences,
        source_language="zh-Hans",
        target_language="en",
        options=worker_pb2.DecodingOptions(**options),
    )


def test_sigterm_under_load_finishes_every_accepted_request(demo_models) -> None:
    port, metrics_port = free_port(), free_port()
    process = serve(
        demo_models / "demo-zh-en",
        port,
        inter_threads="1",
        grace_seconds="60",
        drain_delay_seconds="0",  # refused at once (the drain delay: test_router_lifecycle.py)
        metrics_port=str(metrics_port),
    )
    address = f"127.0.0.1:{port}"
    try:
        wait_serving(address, 60, process)
        with grpc.insecure_channel(address) as channel:
            stub = worker_pb2_grpc.WorkerStub(channel)
            request = _zh_request(32, beam_size=1, max_decoding_length=256, min_decoding_length=256)
            finished: list[float] = []
            lock = threading.Lock()

            def record(_future) -> None:
                with lock:
                    finished.append(time.monotonic())

            probe = stub.Translate(_zh_request(1, max_decoding_length=1))
            calls = [stub.Translate.future(request, timeout=120) for _ in range(24)]
            for call in calls:
                call.add_done_callback(record)
            expected = 24 * 32 * probe.hypotheses[0].input_tokens
            _wait_for_metric(metrics_port, "duta_worker_inflight_tokens", expected)
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            _wait_not_serving(channel)
            with pytest.raises(grpc.RpcError) as late:  # while draining: refused, not queued
                stub.Translate(request, timeout=30)
            replies = [call.result() for call in calls]
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert all(len(r.hypotheses) == 32 and r.hypotheses[0].output_tokens == 256 for r in replies)
    assert any(t > signalled for t in finished), (
        "the load ended before SIGTERM: test proves nothing"
    )
    assert late.value.code() == grpc.StatusCode.UNAVAILABLE
