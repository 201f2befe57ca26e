"""Router benchmark: the hit path against gRPC itself, the miss path against the worker, in one run.

Starts, as processes on this machine: a trivial grpc.aio echo server answering Translate with
the same messages (the limit of any gRPC service here), one worker (a demo model, random
weights), a router with its in-process cache (L1), a router with L1 off in front of a real
redis-server (L2), and measures with the same asyncio clients:

- hits: Translate of one cached sentence (source given: made-up Han-only sentences are not
  reliably Chinese to a detector), 32 clients (throughput) and 1 client (p50/p99);
- miss: the same call with `no_cache` against `Worker.Translate` called directly with the
  same sentence (32 clients);
- bulk: one call of 256 sentences against the worker given the same 256 in one call.

    python bench/router.py                      # tiny demo model (fast to build)
    python bench/router.py --shape opus         # the opus-mt-zh-en shape (realistic worker cost)
    python bench/router.py --profile l1.txt     # py-spy samples the L1 router under load

The last line is ``l1/echo=… l2/echo=… l1_p99_ms=… l2_p99_ms=… miss/worker=… bulk/worker=…``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc

from duta.cli.up import free_port, wait_serving
from duta.models import DemoShape, build_demo_model
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc, worker_pb2, worker_pb2_grpc

_CHARS = "今天天气很好我们明天去北京吧你在做什么这个问题非常重要请告诉我时间地点和原因中国人民学习"


def sentences(n: int, seed: int) -> list[str]:
    """Distinct Chinese sentences of 12–20 characters."""
    out = []
    for i in range(n):
        k = 12 + (i * 7 + seed) % 9
        out.append("".join(_CHARS[(i * 13 + j * 5 + seed) % len(_CHARS)] for j in range(k)) + "。")
    return list(dict.fromkeys(out))


def echo_answer(text: str) -> pb.TranslateResponse:
    """What the router answers for a cached sentence (same fields, same sizes)."""
    return pb.TranslateResponse(
        translations=[
            pb.Translation(
                text="the weather is nice today, let us go to Beijing " + text[:4],
                source_language="zh",
                models=["demo-zh-en"],
                route=pb.ROUTE_DIRECT,
                route_languages=["zh-Hans", "en"],
                cached=True,
                sentence_count=1,
                cached_sentence_count=1,
                confidence=0.5,
                demo_output=True,
            )
        ]
    )


class Echo(translator_pb2_grpc.TranslatorServicer):
    async def Translate(self, request, context):  # noqa: ANN001, ANN201, N802
        return echo_answer(request.texts[0])


async def serve_echo(port: int) -> None:
    server = grpc.aio.server()
    translator_pb2_grpc.add_TranslatorServicer_to_server(Echo(), server)
    from grpc_health.v1 import health_pb2_grpc
    from grpc_health.v1.health import aio as health_aio

    health_pb2_grpc.add_HealthServicer_to_server(health_aio.HealthServicer(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


class Processes:
    """The processes of one run; all stopped at the end."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str], address: str) -> int:
        proc = subprocess.Popen(
            argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.procs[name] = proc
        wait_serving(address, 300, proc)
        return proc.pid

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


async def throughput(
    address: str, call: Callable[..., Awaitable[object]], clients: int, seconds: float
) -> float:
    """Calls per second with `clients` callers in a loop for `seconds` (one channel each)."""
    channels = [grpc.aio.insecure_channel(address) for _ in range(clients)]
    stop = time.perf_counter() + seconds
    counts = [0] * clients

    async def caller(i: int) -> None:
        n = 0
        while time.perf_counter() < stop:
            await call(channels[i], i, n)
            n += 1
        counts[i] = n

    started = time.perf_counter()
    await asyncio.gather(*(caller(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    for channel in channels:
        await channel.close()
    return sum(counts) / elapsed


async def latencies(address: str, call: Callable[..., Awaitable[object]], n: int) -> list[float]:
    """Milliseconds of `n` calls one after another (after 20 warm-up calls)."""
    async with grpc.aio.insecure_channel(address) as channel:
        for i in range(20):
            await call(channel, 0, i)
        out = []
        for i in range(n):
            started = time.perf_counter()
            await call(channel, 0, i)
            out.append((time.perf_counter() - started) * 1000)
    return out


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def hit_call(texts: list[str]) -> Callable[..., Awaitable[object]]:
    async def call(channel: grpc.aio.Channel, i: int, n: int) -> object:
        stub = translator_pb2_grpc.TranslatorStub(channel)
        text = texts[(i * 7 + n) % len(texts)]
        request = pb.TranslateRequest(texts=[text], source_language="zh", target_language="en")
        return await stub.Translate(request)

    return call


def miss_calls(texts: list[str]) -> tuple[Callable[..., Awaitable[object]], ...]:
    async def router(channel: grpc.aio.Channel, i: int, n: int) -> object:
        stub = translator_pb2_grpc.TranslatorStub(channel)
        request = pb.TranslateRequest(
            texts=[texts[(i * 31 + n) % len(texts)]],
            source_language="zh",
            target_language="en",
            options=pb.TranslateOptions(no_cache=True, beam_size=1),
        )
        return await stub.Translate(request)

    async def worker(channel: grpc.aio.Channel, i: int, n: int) -> object:
        stub = worker_pb2_grpc.WorkerStub(channel)
        request = worker_pb2.WorkerTranslateRequest(
            sentences=[texts[(i * 31 + n) % len(texts)]],
            source_language="zh-Hans",
            target_language="en",
            options=worker_pb2.DecodingOptions(beam_size=1),
        )
        return await stub.Translate(request)

    return router, worker


async def bulk(router: str, worker: str, texts: list[str], rounds: int) -> tuple[float, float]:
    """Seconds for 256 sentences: one router call (no_cache) vs one worker call, alternated."""
    r_times, w_times = [], []
    async with grpc.aio.insecure_channel(router) as rc, grpc.aio.insecure_channel(worker) as wc:
        rstub, wstub = translator_pb2_grpc.TranslatorStub(rc), worker_pb2_grpc.WorkerStub(wc)
        for _ in range(rounds):
            started = time.perf_counter()
            await wstub.Translate(
                worker_pb2.WorkerTranslateRequest(
                    sentences=texts,
                    source_language="zh-Hans",
                    target_language="en",
                    options=worker_pb2.DecodingOptions(beam_size=1),
                ),
                timeout=600,
            )
            w_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            await rstub.Translate(
                pb.TranslateRequest(
                    texts=texts,
                    source_language="zh",
                    target_language="en",
                    options=pb.TranslateOptions(no_cache=True, beam_size=1),
                ),
                timeout=600,
            )
            r_times.append(time.perf_counter() - started)
    return statistics.median(r_times), statistics.median(w_times)


def start_cluster(args: argparse.Namespace, tmp: Path, procs: Processes) -> dict[str, object]:
    shape = DemoShape.opus_mt_base() if args.shape == "opus" else DemoShape()
    print(f"building a {args.shape} zh→en demo model…", file=sys.stderr)
    model = build_demo_model(tmp / "demo-zh-en", "zh", "en", "opus-mt", shape)
    duta = str(Path(sys.executable).with_name("duta"))
    ports = {name: free_port() for name in ("echo", "worker", "l1", "l2", "redis")}
    addr = {name: f"127.0.0.1:{port}" for name, port in ports.items()}
    procs.start("echo", [sys.executable, __file__, "--serve-echo", str(ports["echo"])], {},
                addr["echo"])  # fmt: skip
    worker_env = {"DUTA_WORKER_DRAIN_DELAY_SECONDS": "0", "DUTA_WORKER_LOG_LEVEL": "WARNING"}
    procs.start("worker", [duta, "serve", "worker", "--model", str(model), "--host", "127.0.0.1",
                           "--port", str(ports["worker"])], worker_env, addr["worker"])  # fmt: skip
    redis = shutil.which("redis-server")
    if redis is None:
        raise SystemExit("redis-server is needed for the L2 rows (make system-deps)")
    redis_proc = subprocess.Popen(
        [redis, "--port", str(ports["redis"]), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp)],  # fmt: skip
        stdout=subprocess.DEVNULL,
    )
    procs.procs["redis"] = redis_proc
    routes = tmp / "routes.yaml"
    routes.write_text(f"workers:\n  - address: {addr['worker']}\n")
    common = {
        "DUTA_ROUTER_WORKER_TIMEOUT_SECONDS": "900",  # bulk on a slow shape: not the limit here
        "DUTA_ROUTER_DETECTOR_NGRAM": "false",
        "DUTA_ROUTER_DRAIN_DELAY_SECONDS": "0",
        "DUTA_ROUTER_LOG_LEVEL": "WARNING",
    }
    pids = {}
    for name, extra in (
        ("l1", {}),
        ("l2", {"DUTA_REDIS_URL": f"redis://{addr['redis']}/0", "DUTA_ROUTER_CACHE_ENTRIES": "0"}),
    ):
        argv = [duta, "serve", "router", "--config", str(routes), "--host", "127.0.0.1"]
        pids[name] = procs.start(name, [*argv, "--port", str(ports[name])], {**common, **extra},
                                 addr[name])  # fmt: skip
    return {"addr": addr, "pids": pids}


async def measure(args: argparse.Namespace, addr: dict[str, str], pids: dict[str, int]) -> None:
    hits = sentences(64, 1)
    call = hit_call(hits)
    for name in ("l1", "l2"):  # fill the caches
        async with grpc.aio.insecure_channel(addr[name]) as channel:
            for i in range(len(hits)):
                await call(channel, 0, i)
    rows: dict[str, float] = {}
    lat: dict[str, list[float]] = {}
    profiler = None
    for name in ("echo", "l1", "l2"):
        if name == "l1" and args.profile:
            spy = str(Path(sys.executable).with_name("py-spy"))
            profiler = subprocess.Popen(
                [spy, "record", "--pid", str(pids["l1"]), "--duration", str(int(args.seconds)),
                 "--format", "raw", "--output", args.profile, "--nonblocking"],  # fmt: skip
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        rows[name] = await throughput(addr[name], call, args.clients, args.seconds)
        print(f"{name}: {rows[name]:.0f} calls/s", file=sys.stderr)
        if profiler is not None:
            profiler.wait(60)
            profiler = None
        lat[name] = await latencies(addr[name], call, args.latency_calls)
    misses = sentences(4096, 2)
    router_call, worker_call = miss_calls(misses)
    rows["worker"] = await throughput(addr["worker"], worker_call, args.clients, args.seconds)
    rows["miss"] = await throughput(addr["l1"], router_call, args.clients, args.seconds)
    print(f"worker {rows['worker']:.0f}, miss {rows['miss']:.0f} calls/s", file=sys.stderr)
    bulk_texts = sentences(256, 3)
    bulk_router, bulk_worker = await bulk(addr["l1"], addr["worker"], bulk_texts, args.bulk_rounds)
    report(args, rows, lat, bulk_router, bulk_worker)


def report(
    args: argparse.Namespace,
    rows: dict[str, float],
    lat: dict[str, list[float]],
    bulk_router: float,
    bulk_worker: float,
) -> None:
    print(f"{'what':<44} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    names = {
        "echo": "echo server (grpc.aio, same messages)",
        "l1": "router, hit from L1 (in-process)",
        "l2": "router, hit from L2 (Redis, L1 off)",
        "worker": "worker called directly (1 sentence)",
        "miss": "router, miss path (no_cache)",
    }
    for key, label in names.items():
        p50 = f"{statistics.median(lat[key]):8.2f}" if key in lat else f"{'':>8}"
        p99s = f"{p99(lat[key]):8.2f}" if key in lat else f"{'':>8}"
        print(f"{label:<44} {rows[key]:9.0f} {p50} {p99s}")
    print(f"bulk, 256 sentences: router {bulk_router:.2f} s, worker {bulk_worker:.2f} s")
    print(f"({args.clients} clients for calls/s, {args.seconds:.0f} s each; 1 client for latency)")
    print(
        f"l1/echo={rows['l1'] / rows['echo']:.2f} l2/echo={rows['l2'] / rows['echo']:.2f} "
        f"l1_p99_ms={p99(lat['l1']):.2f} l2_p99_ms={p99(lat['l2']):.2f} "
        f"miss/worker={rows['miss'] / rows['worker']:.2f} "
        f"bulk/worker={bulk_worker / bulk_router:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput row")
    parser.add_argument("--latency-calls", type=int, default=500)
    parser.add_argument("--bulk-rounds", type=int, default=3)
    parser.add_argument("--shape", choices=("tiny", "opus"), default="tiny")
    parser.add_argument("--profile", help="write py-spy raw samples of the L1 router here")
    parser.add_argument("--serve-echo", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_echo:
        asyncio.run(serve_echo(args.serve_echo))
        return
    procs = Processes()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cluster = start_cluster(args, Path(tmp), procs)
            asyncio.run(measure(args, cluster["addr"], cluster["pids"]))  # type: ignore[arg-type]
    finally:
        procs.stop()


if __name__ == "__main__":
    main()
