"""Shared fixtures: a real redis-server, tiny real CTranslate2 models, servers on free ports."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from duta.cli.up import free_port, redis_argv, wait_listening

T = TypeVar("T")


class RedisServer:
    """A real redis-server on a free port, stoppable and restartable mid-test."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: `make test` installs it (apt-get)")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = redis_argv(self.binary, "127.0.0.1", self.port, self.workdir)
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening("127.0.0.1", self.port, "redis-server")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def demo_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny demo models (real architecture, random weights) for the default pairs."""
    from duta.models import DEMO_PAIRS, build_demo_models

    root = tmp_path_factory.mktemp("models")
    build_demo_models(root, DEMO_PAIRS)
    return root


class LoopThread:
    """An asyncio event loop in a background thread, hosting grpc.aio servers for sync tests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="session")
def loop_thread() -> Iterator[LoopThread]:
    loop = LoopThread()
    yield loop
    loop.close()


def start_worker(loop: LoopThread, settings: Any) -> tuple[Any, Any]:
    """Starts an in-process worker (real gRPC, real CT2) and waits until it is SERVING."""
    from duta.worker.server import build_server, load

    async def start() -> tuple[Any, Any]:  # grpc.aio servers bind to the running loop
        service, servicer = build_server(settings)
        await service.server.start()
        await load(service, servicer)
        return service, servicer

    return loop.run(start())


def stop_worker(loop: LoopThread, service: Any, servicer: Any) -> None:
    """Stops a worker started by `start_worker`, its batcher task and its thread pool."""
    loop.run(service.server.stop(0))
    loop.run(servicer.close())
    servicer.executor.shutdown(wait=False)


@contextlib.contextmanager
def running_worker(loop: LoopThread, model: Path, **overrides: Any) -> Iterator[tuple[str, Any]]:
    """An in-process worker with settings `overrides`; yields (address, servicer)."""
    from duta.worker import WorkerSettings

    settings = WorkerSettings(model=model, host="127.0.0.1", port=0, **overrides)
    service, servicer = start_worker(loop, settings)
    try:
        yield f"127.0.0.1:{service.port}", servicer
    finally:
        stop_worker(loop, service, servicer)


_DETECTOR: list[Any] = []


def shared_detector() -> Any:
    """One language detector for every in-process router (loading one takes seconds)."""
    if not _DETECTOR:
        from duta.langid import Detector

        _DETECTOR.append(Detector())
    return _DETECTOR[0]


@pytest.fixture(scope="session")
def detector() -> Any:
    return shared_detector()


@contextlib.contextmanager
def running_router(loop: LoopThread, settings: Any, detector: Any = None) -> Iterator[Any]:
    """An in-process router (built, started, worker pools polled); yields the Router."""
    from duta.router import build_router

    async def start() -> Any:
        router = build_router(settings, detector or shared_detector())
        await router.start()
        await router.ready.wait()
        return router

    router = loop.run(start())
    try:
        yield router
    finally:
        loop.run(router.stop(0))


class WorkerCluster:
    """In-process worker servers, one per demo model, on free ports (real gRPC, real CT2)."""

    def __init__(self, loop: LoopThread, models: Path) -> None:
        from duta.worker import WorkerSettings

        self.loop = loop
        self.services = {}
        self.servicers = {}
        for model in sorted(p for p in models.iterdir() if (p / "model.bin").exists()):
            settings = WorkerSettings(model=model, host="127.0.0.1", port=0, inter_threads=1)
            service, servicer = start_worker(loop, settings)
            self.services[model.name] = service
            self.servicers[model.name] = servicer

    def address(self, name: str) -> str:
        return f"127.0.0.1:{self.services[name].port}"

    def stop(self) -> None:
        for name, service in self.services.items():
            stop_worker(self.loop, service, self.servicers[name])


@pytest.fixture(scope="session")
def workers(loop_thread: LoopThread, demo_models: Path) -> Iterator[WorkerCluster]:
    cluster = WorkerCluster(loop_thread, demo_models)
    yield cluster
    cluster.stop()
