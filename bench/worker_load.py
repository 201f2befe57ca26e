"""The worker side of bench/worker.py: a worker subprocess and the loads sent to it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from duta.cli.up import free_port, wait_serving
from duta.v1 import worker_pb2, worker_pb2_grpc

IDLE_GAP = 0.05  # seconds between idle-latency calls, for raw and worker alike


class WorkerProcess:
    """`duta serve worker` in a subprocess, on free ports."""

    def __init__(self, model: Path, threads: tuple[int, int], env: dict[str, str]) -> None:
        self.port = free_port()
        self.metrics_port = free_port()
        env = {
            **os.environ,
            "DUTA_WORKER_INTER_THREADS": str(threads[0]),
            "DUTA_WORKER_INTRA_THREADS": str(threads[1]),
            "DUTA_WORKER_LOG_LEVEL": "WARNING",
            **env,
        }
        duta = Path(sys.executable).with_name("duta")
        cmd = [str(duta), "serve", "worker", "--model", str(model), "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--metrics-port", str(self.metrics_port)]
        self.process = subprocess.Popen(cmd, env=env)
        self.address = f"127.0.0.1:{self.port}"
        wait_serving(self.address, 120, self.process)

    def _status(self, key: str) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith(key))
        return int(line.split()[1]) / 1024

    def rss_mb(self) -> float:
        """Resident memory now, in MB."""
        return self._status("VmRSS:")

    def peak_mb(self) -> float:
        """Peak resident memory since the last `reset_peak` (VmHWM), in MB."""
        return self._status("VmHWM:")

    def reset_peak(self) -> None:
        """Starts a new peak (Linux: writing 5 to clear_refs resets VmHWM)."""
        with contextlib.suppress(OSError):  # else the peak runs from the process's start
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def counters(self) -> dict[str, float]:
        """The worker's batch histogram totals and replica busy seconds (Prometheus)."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        text = urllib.request.urlopen(url, timeout=10).read().decode()
        values: dict[str, float] = {}
        for line in text.splitlines():
            name = line.split("{")[0]
            if name in (
                "duta_worker_batch_sentences_sum",
                "duta_worker_batch_sentences_count",
                "duta_worker_replica_busy_seconds_total",
            ):
                values[name] = values.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
        return values

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


@dataclass
class Phase:
    """What one load phase measured."""

    name: str
    tokens_per_s: float  # steady state (see `steady`), else the whole run's
    latencies: dict[int, list[float]] = field(default_factory=dict)  # seconds, by call size
    mean_batch: float = 0.0
    busy: float = 0.0  # share of replica time spent computing
    peak_mb: float = 0.0
    after_mb: float = 0.0
    seconds: float = 0.0
    profile: str = ""
    threads: list[float] = field(default_factory=list)  # cores each thread kept busy
    client_cores: float = 0.0  # cores the callers (this process) used
    whole_per_s: float = 0.0  # the whole run's tokens/s, start and drain included

    def tail(self, size: int | None = None) -> tuple[float, float]:
        """(p50, p99) of call latency in ms, over all calls or calls of `size` sentences."""
        values = sorted(sum(self.latencies.values(), []) if size is None else self.latencies[size])
        if not values:
            return 0.0, 0.0
        p99 = values[min(len(values) - 1, int(0.99 * len(values)))]
        return statistics.median(values) * 1000, p99 * 1000


def request(sentences: list[str], beam: int, out: int) -> worker_pb2.WorkerTranslateRequest:
    return worker_pb2.WorkerTranslateRequest(
        sentences=sentences,
        source_language="zh-Hans",
        target_language="en",
        options=worker_pb2.DecodingOptions(
            beam_size=beam, max_decoding_length=out, min_decoding_length=out
        ),
    )


async def warm(address: str, sentences: list[str], calls: int, beam: int, out: int) -> None:
    """Warms the connection and the pool, one call after another."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = worker_pb2_grpc.WorkerStub(channel)
        for sentence in sentences[:calls]:
            await stub.Translate(request([sentence], beam, out))


async def closed_loop(
    address: str, sentences: list[str], sizes: list[int], beam: int, out: int, skip_first=True
) -> tuple[float, dict[int, list[float]], float, float]:
    """One caller per entry of `sizes` (sentences per call), each calling again as soon as
    answered, until `sentences` are used up; (steady target tokens/s, latencies by size,
    seconds, whole-run tokens/s). Each caller's first call (the start burst) is left out of
    the latencies by default; the steady rate leaves out the start and the drain (`steady`)."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = worker_pb2_grpc.WorkerStub(channel)
        queue = list(reversed(sentences))
        produced = 0
        latencies: dict[int, list[float]] = {size: [] for size in sizes}

        async def caller(size: int) -> None:
            nonlocal produced
            first = skip_first  # every caller's first call meets the others' first: a burst,
            while queue:  # not the steady state
                batch = [queue.pop() for _ in range(min(size, len(queue)))]
                started = time.perf_counter()
                reply = await stub.Translate(request(batch, beam, out))
                if len(batch) == size and not first:
                    latencies[size].append(time.perf_counter() - started)
                first = False
                produced += sum(h.output_tokens for h in reply.hypotheses)
                marks.append((time.perf_counter(), produced))

        marks: list[tuple[float, int]] = []
        started = time.perf_counter()
        await asyncio.gather(*(caller(size) for size in sizes))
        seconds = time.perf_counter() - started
        whole = produced / seconds
        return steady(marks, len(sizes)) or whole, latencies, seconds, whole


def steady(marks: list[tuple[float, int]], callers: int) -> float | None:
    """Tokens/s between the answers that completed 10 % and 90 % of the work, from
    (time, tokens produced so far) after each answer: the closed loop's steady state, without
    the start (every caller's first call at once) and the drain (fewer callers than sentences
    in flight once the sentences run out: raw CTranslate2's comparison runs have no such tail).
    None when the run is too short to have a steady state (under 4 calls per caller)."""
    if len(marks) < 4 * callers:
        return None
    total = marks[-1][1]
    low = next(m for m in marks if m[1] >= 0.1 * total)
    high = next(m for m in marks if m[1] >= 0.9 * total)
    if high[0] <= low[0]:
        return None
    return (high[1] - low[1]) / (high[0] - low[0])


async def idle_latency(
    address: str, sentences: list[str], calls: int, beam: int, out: int, raw=None
) -> tuple[float, float | None]:
    """Median milliseconds of one sentence on an otherwise idle worker, and — when `raw`
    (a blocking call of raw CTranslate2 on sentence i) is given — of the same sentence in raw
    CTranslate2, in turns with the worker's calls: the ratio is then measured at the same
    moments of a machine others share, not minutes apart."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = worker_pb2_grpc.WorkerStub(channel)
        await stub.Translate(request(sentences[:1], beam, out))
        latencies: list[float] = []
        raw_latencies: list[float] = []
        for i, sentence in enumerate(sentences[:calls]):
            await asyncio.sleep(IDLE_GAP)
            started = time.perf_counter()
            await stub.Translate(request([sentence], beam, out))
            latencies.append(time.perf_counter() - started)
            if raw is not None:
                await asyncio.sleep(IDLE_GAP)
                started = time.perf_counter()
                raw(i)
                raw_latencies.append(time.perf_counter() - started)
        raw_ms = statistics.median(raw_latencies) * 1000 if raw_latencies else None
        return statistics.median(latencies) * 1000, raw_ms


def run_phase(worker: WorkerProcess, name: str, load, replicas: int, profile: Path | None):
    """Runs `load()` (a closed_loop coroutine factory) and reads the worker around it."""
    from worker_profile import Profiler, busiest, describe, summarise, thread_cpu

    worker.reset_peak()
    before = worker.counters()
    threads, mine = thread_cpu(worker.process.pid), thread_cpu(os.getpid())
    profiler = Profiler(worker.process.pid, profile) if profile is not None else None
    try:
        rate, latencies, seconds, whole = asyncio.run(load())
    finally:
        if profiler is not None:
            profiler.stop()
    cores = busiest(threads, thread_cpu(worker.process.pid), seconds)
    clients = sum(busiest(mine, thread_cpu(os.getpid()), seconds))
    after = worker.counters()
    delta = {key: after.get(key, 0.0) - before.get(key, 0.0) for key in after}
    batches = max(1.0, delta.get("duta_worker_batch_sentences_count", 0.0))
    return Phase(
        name,
        rate,
        latencies,
        whole_per_s=whole,
        mean_batch=delta.get("duta_worker_batch_sentences_sum", 0.0) / batches,
        busy=delta.get("duta_worker_replica_busy_seconds_total", 0.0) / (replicas * seconds),
        peak_mb=worker.peak_mb(),
        after_mb=worker.rss_mb(),
        seconds=seconds,
        profile=describe(summarise(profile, seconds)) if profile is not None else "",
        threads=cores,
        client_cores=clients,
    )
