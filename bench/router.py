"""Router benchmark: the hit path against gRPC itself, the miss path against the worker, in one run.

Starts, as processes on this machine: one worker (a demo model, random weights), a router with
its in-process cache (L1), a router with L1 off in front of a real redis-server (L2), and a
trivial grpc.aio echo server answering Translate with the L1 router's own answers (the same
messages: the limit of any gRPC service here; `bench/router_echo.py`), and measures with the
same asyncio clients:

- hits: Translate of one cached sentence (source given: made-up Han-only sentences are not
  reliably Chinese to a detector), 32 clients (throughput) and 1 client (p50/p99);
- miss: the same call with `no_cache` through a router as configured by default against
  `Worker.Translate` called directly with the same sentence (32 clients), and through the L1
  router, which merges its worker calls (`merge_worker_calls: true`, opt-in), side by side;
- bulk: one call of 256 sentences against the worker given the same 256 in one call (median
  of `--bulk-rounds`, alternated).

The rows compared take turns, `--rounds` times (echo, L1 and L2; worker, miss and unmerged), so that
what else runs on the machine moves them alike; each ratio is the median of the rounds' ratios.

    python bench/router.py                      # tiny demo model (fast to build)
    python bench/router.py --shape opus         # the opus-mt-zh-en shape (realistic worker cost)
    python bench/router.py --profile l1.txt     # py-spy samples the L1 router under load

The last line is ``l1/echo=… l2/echo=… l1_p99_ms=… l2_p99_ms=… miss/worker=… bulk/worker=…``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc
from router_load import Call, Measured, Processes, interleaved, p99, ratio, worker_calls_made

from duta.cli.up import free_port, redis_argv
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


def hit_call(texts: list[str]) -> Call:
    async def call(channel: grpc.aio.Channel, i: int, n: int) -> object:
        stub = translator_pb2_grpc.TranslatorStub(channel)
        text = texts[(i * 7 + n) % len(texts)]
        request = pb.TranslateRequest(texts=[text], source_language="zh", target_language="en")
        return await stub.Translate(request)

    return call


def router_request(texts: list[str]) -> pb.TranslateRequest:
    """A miss: the router without its cache, greedy decoding."""
    options = pb.TranslateOptions(no_cache=True, beam_size=1)
    return pb.TranslateRequest(
        texts=texts, source_language="zh", target_language="en", options=options
    )


def worker_request(texts: list[str]) -> worker_pb2.WorkerTranslateRequest:
    """The same sentences given to the worker directly."""
    options = worker_pb2.DecodingOptions(beam_size=1)
    return worker_pb2.WorkerTranslateRequest(
        sentences=texts, source_language="zh-Hans", target_language="en", options=options
    )


def miss_calls(texts: list[str]) -> tuple[Call, Call]:
    async def router(channel: grpc.aio.Channel, i: int, n: int) -> object:
        text = texts[(i * 31 + n) % len(texts)]
        return await translator_pb2_grpc.TranslatorStub(channel).Translate(router_request([text]))

    async def worker(channel: grpc.aio.Channel, i: int, n: int) -> object:
        text = texts[(i * 31 + n) % len(texts)]
        return await worker_pb2_grpc.WorkerStub(channel).Translate(worker_request([text]))

    return router, worker


async def bulk(
    router: str, worker: str, texts: list[str], rounds: int
) -> tuple[list[float], list[float]]:
    """Seconds for the bulk sentences, per round: one router call (no_cache), one worker call."""
    r_times, w_times = [], []
    async with grpc.aio.insecure_channel(router) as rc, grpc.aio.insecure_channel(worker) as wc:
        rstub, wstub = translator_pb2_grpc.TranslatorStub(rc), worker_pb2_grpc.WorkerStub(wc)
        for _ in range(rounds):
            started = time.perf_counter()
            await wstub.Translate(worker_request(texts), timeout=600)
            w_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            await rstub.Translate(router_request(texts), timeout=600)
            r_times.append(time.perf_counter() - started)
    return r_times, w_times


def start_cluster(args: argparse.Namespace, tmp: Path, procs: Processes) -> dict[str, Any]:
    shape = DemoShape.opus_mt_base() if args.shape == "opus" else DemoShape()
    print(f"building a {args.shape} zh→en demo model…", file=sys.stderr)
    model = build_demo_model(tmp / "demo-zh-en", "zh", "en", "opus-mt", shape)
    duta = str(Path(sys.executable).with_name("duta"))
    names = ("echo", "worker", "l1", "l2", "unmerged", "redis", "l1_metrics")
    ports = {name: free_port() for name in names}
    addr = {name: f"127.0.0.1:{port}" for name, port in ports.items()}
    worker_env = {"DUTA_WORKER_DRAIN_DELAY_SECONDS": "0", "DUTA_WORKER_LOG_LEVEL": "WARNING"}
    worker = procs.start("worker", [duta, "serve", "worker", "--model", str(model), "--host",
                         "127.0.0.1", "--port", str(ports["worker"])], worker_env,
                         addr["worker"])  # fmt: skip
    redis = shutil.which("redis-server")
    if redis is None:
        raise SystemExit("redis-server is needed for the L2 rows (make system-deps)")
    redis_proc = subprocess.Popen(
        redis_argv(redis, "127.0.0.1", ports["redis"], tmp), stdout=subprocess.DEVNULL
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
    pids = {"worker": worker}
    for name, extra in (
        # The miss row's router merges its worker calls (opt-in); "unmerged" is the default.
        (
            "l1",
            {
                "DUTA_ROUTER_METRICS_PORT": str(ports["l1_metrics"]),
                "DUTA_ROUTER_MERGE_WORKER_CALLS": "true",
            },
        ),  # fmt: skip
        ("l2", {"DUTA_REDIS_URL": f"redis://{addr['redis']}/0", "DUTA_ROUTER_CACHE_ENTRIES": "0"}),
        ("unmerged", {}),
    ):
        argv = [duta, "serve", "router", "--config", str(routes), "--host", "127.0.0.1"]
        pids[name] = procs.start(name, [*argv, "--port", str(ports[name])], {**common, **extra},
                                 addr[name])  # fmt: skip
    return {"addr": addr, "pids": pids, "tmp": tmp}


async def start_echo(procs: Processes, cluster: dict[str, Any], hits: list[str]) -> None:
    """The echo server, given the L1 router's answers to the hit sentences to answer with."""
    request = pb.TranslateRequest(texts=hits, source_language="zh", target_language="en")
    async with grpc.aio.insecure_channel(cluster["addr"]["l1"]) as channel:
        response = await translator_pb2_grpc.TranslatorStub(channel).Translate(request)
    answers = cluster["tmp"] / "answers.pb"
    Path(f"{answers}.request").write_bytes(request.SerializeToString())
    answers.write_bytes(response.SerializeToString())
    port = cluster["addr"]["echo"].split(":")[1]
    argv = [sys.executable, str(Path(__file__).with_name("router_echo.py")), port]
    cluster["pids"]["echo"] = await asyncio.to_thread(
        procs.start, "echo", [*argv, str(answers)], {}, cluster["addr"]["echo"]
    )


def start_profiler(args: argparse.Namespace, pid: int) -> subprocess.Popen[bytes] | None:
    """py-spy sampling the L1 router until stopped (SIGINT) after its last row."""
    if not args.profile:
        return None
    spy = str(Path(sys.executable).with_name("py-spy"))
    argv = [spy, "record", "--pid", str(pid), "--format", "raw", "--output", args.profile]
    return subprocess.Popen(
        [*argv, "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def measure(args: argparse.Namespace, procs: Processes, cluster: dict[str, Any]) -> None:
    addr = cluster["addr"]
    hits = sentences(64, 1)
    call = hit_call(hits)
    for name in ("l1", "l2"):  # fill the caches
        async with grpc.aio.insecure_channel(addr[name]) as channel:
            for i in range(len(hits)):
                await call(channel, 0, i)
    await start_echo(procs, cluster, hits)
    gc.collect()
    gc.freeze()  # the clients' own start-up objects: no long collections in the timed calls
    pids = cluster["pids"]
    profiler = start_profiler(args, pids["l1"])
    rows = {name: (addr[name], call, pids[name]) for name in ("echo", "l1", "l2")}
    hits_measured = await interleaved(rows, args, latency=True)
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)
        profiler.wait(60)
    router_call, worker_call = miss_calls(sentences(4096, 2))
    misses = {
        "worker": (addr["worker"], worker_call, pids["worker"]),
        "miss": (addr["l1"], router_call, pids["l1"]),
        "unmerged": (addr["unmerged"], router_call, pids["unmerged"]),
    }
    calls_before = await asyncio.to_thread(worker_calls_made, addr["l1_metrics"])
    miss_measured = await interleaved(misses, args, latency=False, worker_pid=pids["worker"])
    calls_after = await asyncio.to_thread(worker_calls_made, addr["l1_metrics"])
    for part in ("rates", "cpu", "lat", "worker_cpu"):
        getattr(hits_measured, part).update(getattr(miss_measured, part))
    bulk_texts = sentences(args.bulk_sentences, 3)
    bulk_router, bulk_worker = await bulk(addr["l1"], addr["worker"], bulk_texts, args.bulk_rounds)
    calls, served = calls_after[0] - calls_before[0], calls_after[1] - calls_before[1]
    merging = (
        f"miss path: {served / max(calls, 1):.1f} requests per worker call ({served:.0f} "
        f"requests, {calls:.0f} worker calls); worker CPU µs per request "
        f"{statistics.median(miss_measured.worker_cpu['miss']):.0f} through the router, "
        f"{statistics.median(miss_measured.worker_cpu['worker']):.0f} called directly, "
        f"{statistics.median(miss_measured.worker_cpu['unmerged']):.0f} not merged; "
        f"merged/worker={ratio(miss_measured.rates, 'miss', 'worker'):.2f}; worker calls "
        f"took {calls_after[2] * 1000:.1f} ms per sentence in flight (moving average; merging "
        f"below {os.environ.get('DUTA_ROUTER_MERGE_MAX_SENTENCE_MS', '20')})"
    )
    report(args, hits_measured, bulk_router, bulk_worker, merging)


def report(
    args: argparse.Namespace,
    measured: Measured,
    bulk_router: list[float],
    bulk_worker: list[float],
    merging: str,
) -> None:
    rates, lat = measured.rates, measured.lat
    print(
        f"{'what':<40} {'calls/s':>8} {'CPU µs':>7} {'p50 ms':>7} {'p99 ms':>7}  calls/s per round"
    )
    names = {
        "echo": "echo server (grpc.aio, same messages)",
        "l1": "router, hit from L1 (in-process)",
        "l2": "router, hit from L2 (Redis, L1 off)",
        "worker": "worker called directly (1 sentence)",
        "miss": "router, miss path, calls merged (opt-in)",
        "unmerged": "router, miss path (no_cache; default)",
    }
    for key, label in names.items():
        p50 = f"{statistics.median(lat[key]):7.2f}" if lat.get(key) else f"{'':>7}"
        p99s = f"{p99(lat[key]):7.2f}" if lat.get(key) else f"{'':>7}"
        each = " ".join(f"{r:.0f}" for r in rates[key])
        cpu = statistics.median(measured.cpu[key])
        print(f"{label:<40} {statistics.median(rates[key]):8.0f} {cpu:7.0f} {p50} {p99s}  {each}")
    print(
        f"bulk, {args.bulk_sentences} sentences: router {statistics.median(bulk_router):.2f} s, "
        f"worker {statistics.median(bulk_worker):.2f} s (medians of {len(bulk_router)}, alternated)"
    )
    print(
        f"({args.clients} clients for calls/s, {args.rounds} rounds of {args.seconds:.1f} s per "
        f"row, rows taking turns; ratios: median of the rounds' ratios; CPU: the answering "
        f"server's, per call (the miss row: the router's); latency: 1 client, "
        f"{args.latency_calls} calls per row over the rounds)"
    )
    print(merging)
    bulk_ratio = statistics.median(w / r for w, r in zip(bulk_worker, bulk_router, strict=True))
    print(
        f"l1/echo={ratio(rates, 'l1', 'echo'):.2f} l2/echo={ratio(rates, 'l2', 'echo'):.2f} "
        f"l1_p99_ms={p99(lat['l1']):.2f} l2_p99_ms={p99(lat['l2']):.2f} "
        f"miss/worker={ratio(rates, 'unmerged', 'worker'):.2f} "
        f"bulk/worker={bulk_ratio:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5, help="turns each row takes")
    parser.add_argument("--seconds", type=float, default=2.0, help="per row and round")
    parser.add_argument("--latency-calls", type=int, default=500)
    parser.add_argument("--bulk-rounds", type=int, default=5)
    parser.add_argument(
        "--bulk-sentences", type=int, default=256, help="sentences of the bulk call (fewer: opus)"
    )
    parser.add_argument("--shape", choices=("tiny", "opus"), default="tiny")
    parser.add_argument("--profile", help="write py-spy raw samples of the L1 router here")
    args = parser.parse_args()
    procs = Processes()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(measure(args, procs, start_cluster(args, Path(tmp), procs)))
    finally:
        procs.stop()


if __name__ == "__main__":
    main()
