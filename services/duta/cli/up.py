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

DEMO_WARNING = (
    "\n"
    "  ************************************************************************\n"
    "  *  DEMO MODELS: random weights. Their output is NOT a translation.     *\n"
    "  *  Real models: `duta models list` and `duta models pull` on a machine *\n"
    "  *  with access to the model hub, into ./models.                        *\n"
    "  ************************************************************************\n"
)


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


def model_dirs(root: Path) -> list[Path]:
    """Sub-directories of `root` that hold a CTranslate2 model."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "model.bin").is_file())


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

    @property
    def address(self) -> str:
        """The router's address."""
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        """Starts Redis (when available), the workers, then the router, waiting for each."""
        self._start_redis()
        for model in model_dirs(self.models):
            port = free_port(self.host)
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
        self.router = self._spawn(
            "router",
            "router",
            "serve",
            "router",
            "--config",
            str(config),
            "--host",
            self.host,
            "--port",
            str(self.port),
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

    def _spawn(self, kind: str, name: str, *argv: str) -> subprocess.Popen:
        log = open(self.workdir / f"{kind}-{name}.log", "ab")  # noqa: SIM115 - owned by the child
        return subprocess.Popen(
            [sys.executable, "-m", "duta", *argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
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
            [binary, "--port", str(port), "--bind", self.host, "--save", "", "--appendonly", "no"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex((self.host, port)) == 0:
                    self.redis_url = f"redis://{self.host}:{port}/0"
                    return
            time.sleep(0.1)
        raise RuntimeError(
            f"redis-server did not listen on port {port}; see {self.workdir}/redis.log"
        )


def ensure_models(root: Path) -> None:
    """Builds demo models into `root` when it holds none, and says so loudly."""
    from duta.models import DEMO_PAIRS, build_demo_models

    if model_dirs(root):
        return
    print(f"no models in {root}: building demo models (random weights) …")
    build_demo_models(root, DEMO_PAIRS)
    print(DEMO_WARNING)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _up(args: argparse.Namespace) -> int:
    models = Path(args.models)
    ensure_models(models)
    cluster = Cluster(
        models=models,
        host=args.host,
        port=args.port or free_port(args.host),
        use_redis=not args.no_redis,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        cluster.start(timeout=args.timeout)
        if args.state_file:
            Path(args.state_file).write_text(json.dumps(cluster.state(), indent=2))
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
    parser.set_defaults(func=_up)
