"""`duta up`: the whole cluster on one machine — Redis, one worker per model, the router.

Every part runs as its own process, exactly as in production; `duta up` only supervises them
and stops them all on Ctrl+C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

from duta.batch.manifest import atomic_write
from duta.cli.up_models import DEMO_WARNING, ensure_models, model_dirs, serves_demo
from duta.models.cli import parse_pairs


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_serving(address: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Waits until a gRPC server reports SERVING; raises RuntimeError on timeout or exit."""
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"process for {address} exited with code {process.returncode}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"{address} did not become SERVING within {timeout:.0f}s")


@dataclass
class Cluster:
    """The processes of a local cluster."""

    models: Path
    host: str = "127.0.0.1"
    port: int = 50051
    use_redis: bool = True
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="duta-up-")))
    redis: subprocess.Popen | None = None
    redis_url: str | None = None
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)
    worker_ports: dict[str, int] = field(default_factory=dict)
    router: subprocess.Popen | None = None
    metrics_base_port: int | None = None
    metrics_ports: dict[str, int] = field(default_factory=dict)
    pairs: list[tuple[str, str]] | None = None

    @property
    def address(self) -> str:
        """The router's address."""
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        """Starts Redis (when available), the workers, then the router, waiting for each."""
        self._start_redis()
        router_env = {"DUTA_ROUTER_METRICS_PORT": str(self._metrics_port("router"))}
        for model in model_dirs(self.models, self.pairs):
            port = free_port(self.host)
            metrics = self._metrics_port(model.name)
            self.workers[model.name] = self._spawn(
                "worker",
                model.name,
                "serve",
                "worker",
                "--model",
                str(model),
                "--host",
                self.host,
                "--port",
                str(port),
                "--metrics-port",
                str(metrics),
            )
            self.worker_ports[model.name] = port
        for name, port in self.worker_ports.items():
            wait_serving(f"{self.host}:{port}", timeout, self.workers[name])
        routes: dict[str, object] = {
            "workers": [
                {"address": f"{self.host}:{p}", "name": n} for n, p in self.worker_ports.items()
            ]
        }
        if self.redis_url:
            routes["redis_url"] = self.redis_url
        config = self.workdir / "routes.yaml"
        config.write_text(yaml.safe_dump(routes))
        argv = ["serve", "router", "--config", str(config), "--host", self.host]
        # As in Compose and Kubernetes, the router's metrics port is a setting (env).
        self.router = self._spawn(
            "router", "router", *argv, "--port", str(self.port), env=router_env
        )
        wait_serving(self.address, timeout, self.router)

    def state(self) -> dict[str, object]:
        """Addresses and process ids, for scripts and tests."""
        return {
            "router": {"address": self.address, "pid": self.router.pid if self.router else None},
            "redis": {"url": self.redis_url, "pid": self.redis.pid if self.redis else None},
            "workers": {
                n: {"address": f"{self.host}:{self.worker_ports[n]}", "pid": p.pid}
                for n, p in self.workers.items()
            },
            "metrics": {
                n: f"http://{self.host}:{p}/metrics" for n, p in self.metrics_ports.items()
            },
            "logs": str(self.workdir),
        }

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to the router, then workers, then Redis; SIGKILL after `grace` seconds."""
        for group in ([self.router], list(self.workers.values()), [self.redis]):
            procs = [p for p in group if p is not None and p.poll() is None]
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(grace)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def _metrics_port(self, name: str) -> int:
        """Prometheus port of one process: base, base+1, … in start order, or a free one."""
        if self.metrics_base_port is None:
            port = free_port(self.host)
        else:
            port = self.metrics_base_port + len(self.metrics_ports)
        self.metrics_ports[name] = port
        return port

    def _spawn(
        self, kind: str, name: str, *argv: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen:
        log = open(self.workdir / f"{kind}-{name}.log", "ab")  # noqa: SIM115 - owned by the child
        return subprocess.Popen(
            [sys.executable, "-m", "duta", *argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )

    def _start_redis(self) -> None:
        binary = shutil.which("redis-server") if self.use_redis else None
        if binary is None:
            if self.use_redis:
                print("redis-server not found: using the in-process cache (one router only)")
            return
        port = free_port(self.host)
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 - owned by the child
        self.redis = subprocess.Popen(
            redis_argv(binary, self.host, port, self.workdir),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_listening(self.host, port, f"redis-server; see {self.workdir}/redis.log")
        self.redis_url = f"redis://{self.host}:{port}/0"


def redis_argv(binary: str, host: str, port: int, workdir: Path) -> list[str]:
    """A throwaway redis-server: no snapshots, no append-only file, its files in `workdir`."""
    return [binary, "--port", str(port), "--bind", host, "--save", "", "--appendonly", "no",
            "--dir", str(workdir)]  # fmt: skip


def wait_listening(host: str, port: int, what: str, seconds: float = 30.0) -> None:
    """Waits until something accepts TCP connections on `host:port`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {host}:{port} within {seconds:.0f} s")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _up(args: argparse.Namespace) -> int:
    models = Path(args.models)
    ensure_models(models, args.pairs, demo=args.demo, source=args.source)
    if serves_demo(models, args.pairs):
        print(DEMO_WARNING, flush=True)
    cluster = Cluster(
        models=models,
        host=args.host,
        port=args.port or free_port(args.host),
        use_redis=not args.no_redis,
        metrics_base_port=args.metrics_base_port,
        pairs=args.pairs,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        cluster.start(timeout=args.timeout)
        if args.state_file:  # renamed into place: a reader never sees half a file
            state = json.dumps(cluster.state(), indent=2).encode()
            atomic_write(Path(args.state_file), state, owner="up")
        _print_ready(cluster)
        reported: set[str] = set()
        while cluster.router and cluster.router.poll() is None:
            for name, proc in cluster.workers.items():
                if name not in reported and proc.poll() is not None:
                    reported.add(name)
                    print(f"worker {name} exited with code {proc.returncode}", file=sys.stderr)
            time.sleep(0.5)
        print("router exited; stopping the cluster", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping …")
        return 0
    except RuntimeError as exc:
        print(f"duta up: {exc}; logs in {cluster.workdir}", file=sys.stderr)
        return 1
    finally:
        cluster.stop()


def _print_ready(cluster: Cluster) -> None:
    cache = cluster.redis_url or "in-process LRU"
    print(
        f"Duta is up: router at {cluster.address} ({len(cluster.workers)} workers, cache: {cache})"
    )
    for name, port in cluster.worker_ports.items():
        print(f"  worker {name} at {cluster.host}:{port}")
    for name, port in cluster.metrics_ports.items():
        print(f"  metrics of {name}: http://{cluster.host}:{port}/metrics")
    print(f"  logs: {cluster.workdir}")
    print("Try:")
    print(f"  duta translate '今天天气很好' --to en --address {cluster.address}")
    print(
        f'  grpcurl -plaintext -d \'{{"texts":["今天天气很好"],"target_language":"en"}}\' '
        f"{cluster.address} duta.v1.Translator/Translate"
    )
    print("Ctrl+C stops everything.", flush=True)


def register(sub: argparse._SubParsersAction) -> None:
    """Adds `duta up`."""
    parser = sub.add_parser("up", help="start Redis, one worker per model and the router")
    parser.add_argument("--models", default="models", help="directory of model directories")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=50051, help="router port (0: a free one)")
    parser.add_argument("--no-redis", action="store_true", help="use the in-process cache")
    parser.add_argument(
        "--timeout", type=float, default=180.0, help="seconds to wait for each part"
    )
    parser.add_argument("--state-file", help="write addresses and pids here as JSON once up")
    parser.add_argument(
        "--pairs",
        type=parse_pairs,
        help="serve only these pairs, e.g. zh-en,ja-en; those --models lacks are pulled when "
        "the hub answers, built as demo models otherwise (default: every model in --models, "
        "else the demo pairs)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="build demo models (random weights), never pull"
    )
    parser.add_argument(
        "--from", dest="source", metavar="DIR|URL", help="pull from a mirror URL or a folder"
    )
    parser.add_argument(
        "--metrics-base-port",
        type=int,
        help="Prometheus ports: router on this one, workers on the next (default: free ports)",
    )
    parser.set_defaults(func=_up)
