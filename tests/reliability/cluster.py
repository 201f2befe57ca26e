"""The cluster as production runs it, one process per part, for fault-injection tests.

Redis, two replicas of the zh→en worker pool, one ja→en worker and two routers, each a real
`duta serve …` process (or `redis-server`) on a free port, with its log in the work directory.
Tests kill, stop, terminate and restart parts while load runs against the router.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

from duta.cli.up import free_port, redis_argv, wait_serving

START_TIMEOUT = 180.0
# router-b runs without its in-process cache, so that repeats reach Redis (both levels proven)
ROUTERS = {"router-a": {}, "router-b": {"DUTA_ROUTER_CACHE_ENTRIES": "0"}}


def health(address: str, timeout: float = 2.0) -> str:
    """The server's overall health status name, or the gRPC error code name when it fails."""
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout
            )
        except grpc.RpcError as exc:
            return exc.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def metric(port: int, name: str, **labels: str) -> float:
    """The sum of a Prometheus metric's samples (matching `labels`) from a /metrics endpoint."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


@dataclass
class Part:
    """One process of the cluster: how to start it and the running process."""

    name: str
    argv: list[str]
    address: str
    log: Path
    metrics_port: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
            )
        if wait:
            wait_serving(self.address, START_TIMEOUT, self.process)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if not self.running():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _duta(*argv: str) -> list[str]:
    return [sys.executable, "-m", "duta", *argv]


@dataclass
class Cluster:
    """Redis, zh→en × 2 replicas, ja→en × 1, two routers; all processes on free ports."""

    models: Path
    workdir: Path
    redis_binary: str
    extra_router_env: dict[str, str] = field(default_factory=dict)
    parts: dict[str, Part] = field(default_factory=dict)

    def worker(self, name: str, model: str) -> Part:
        port, metrics = free_port(), free_port()
        return Part(
            name,
            _duta(
                "serve",
                "worker",
                "--model",
                str(self.models / model),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--metrics-port",
                str(metrics),
            ),
            f"127.0.0.1:{port}",
            self.workdir / f"{name}.log",
            metrics_port=metrics,
        )

    def start(self) -> None:
        """Redis and the workers, then both routers (each waited for until SERVING)."""
        port = free_port()
        self.parts["redis"] = Part(
            "redis",
            redis_argv(self.redis_binary, "127.0.0.1", port, self.workdir),
            f"127.0.0.1:{port}",
            self.workdir / "redis.log",
        )
        self.parts["redis"].start(wait=False)
        self.parts["zh-en-a"] = self.worker("zh-en-a", "demo-zh-en")
        self.parts["zh-en-b"] = self.worker("zh-en-b", "demo-zh-en")
        self.parts["ja-en"] = self.worker("ja-en", "demo-ja-en")
        self._start_all(["zh-en-a", "zh-en-b", "ja-en"])
        config = self.workdir / "routes.yaml"
        config.write_text(yaml.safe_dump(self._routes(f"redis://127.0.0.1:{port}/0")))
        for name, env in ROUTERS.items():
            port = free_port()
            argv = _duta(
                "serve",
                "router",
                "--config",
                str(config),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            )
            self.parts[name] = Part(
                name, argv, f"127.0.0.1:{port}", self.workdir / f"{name}.log", env=env
            )
        self._start_all(list(ROUTERS))

    def _start_all(self, names: list[str]) -> None:
        for name in names:
            self.parts[name].start(wait=False)
        for name in names:
            wait_serving(self.parts[name].address, START_TIMEOUT, self.parts[name].process)

    def _routes(self, redis_url: str) -> dict[str, object]:
        """One pool of two replicas (zh→en), one pool of one (ja→en), and Redis."""
        return {
            "workers": [
                {
                    "addresses": [self.parts[n].address for n in ("zh-en-a", "zh-en-b")],
                    "name": "zh-en",
                },
                {"address": self.parts["ja-en"].address, "name": "ja-en"},
            ],
            "redis_url": redis_url,
        }

    @property
    def target(self) -> str:
        """A gRPC target naming both routers (client-side round robin, as behind a Service)."""
        return "ipv4:" + ",".join(self.parts[n].address for n in ROUTERS)

    def stop(self) -> None:
        for part in reversed(list(self.parts.values())):
            part.stop()


def wait_for(condition, what: str, timeout: float = 120.0, every: float = 0.1):  # noqa: ANN001
    """Polls `condition()` until it returns a truthy value; fails with `what` on timeout.

    The timeout is a safety net for a hung test, not a performance bound: it is generous.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")
