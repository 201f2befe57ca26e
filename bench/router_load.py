"""The router benchmark's measuring parts: its processes, clients taking turns, CPU per call.

Used by `bench/router.py` (run as a script from this directory).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from duta.cli.up import wait_serving


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


Call = Callable[[grpc.aio.Channel, int, int], Awaitable[object]]


async def open_channels(address: str, call: Call, clients: int) -> list[grpc.aio.Channel]:
    """One channel per client, connected (one call each) before anything is timed."""
    channels = [grpc.aio.insecure_channel(address) for _ in range(clients)]
    await asyncio.gather(*(call(channel, i, 0) for i, channel in enumerate(channels)))
    return channels


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 where unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def throughput(
    channels: list[grpc.aio.Channel], call: Call, seconds: float
) -> tuple[int, float]:
    """(calls, seconds) with one caller per channel in a loop for `seconds`."""
    stop = time.perf_counter() + seconds
    counts = [0] * len(channels)

    async def caller(i: int) -> None:
        n = 0
        while time.perf_counter() < stop:
            await call(channels[i], i, n)
            n += 1
        counts[i] = n

    started = time.perf_counter()
    await asyncio.gather(*(caller(i) for i in range(len(channels))))
    return sum(counts), time.perf_counter() - started


async def latencies(channel: grpc.aio.Channel, call: Call, n: int) -> list[float]:
    """Milliseconds of `n` calls one after another (after 20 warm-up calls)."""
    for i in range(20):
        await call(channel, 0, i)
    out = []
    for i in range(n):
        started = time.perf_counter()
        await call(channel, 0, i)
        out.append((time.perf_counter() - started) * 1000)
    return out


@dataclass
class Measured:
    """Per row: calls/s and the answering server's CPU µs per call, per round; latencies (ms)."""

    rates: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    lat: dict[str, list[float]] = field(default_factory=dict)
    worker_cpu: dict[str, list[float]] = field(default_factory=dict)  # the worker's, per call


async def interleaved(
    rows: dict[str, tuple[str, Call, int]],
    args: argparse.Namespace,
    latency: bool,
    worker_pid: int = 0,
) -> Measured:
    """Each row (address, call, pid of the server answering it) measured round by round, the
    rows taking turns in a rotated order, so the machine's own load moves them together (with
    `worker_pid`, the worker's CPU per call too)."""
    channels = {
        name: await open_channels(row[0], row[1], args.clients) for name, row in rows.items()
    }
    empty: list[dict[str, list[float]]] = [{n: [] for n in rows} for _ in range(4)]
    out = Measured(*empty)
    names = list(rows)
    for r in range(args.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            _, call, pid = rows[name]
            before, worker_before = cpu_seconds(pid), cpu_seconds(worker_pid)
            calls, seconds = await throughput(channels[name], call, args.seconds)
            out.cpu[name].append((cpu_seconds(pid) - before) / calls * 1e6)
            out.worker_cpu[name].append((cpu_seconds(worker_pid) - worker_before) / calls * 1e6)
            out.rates[name].append(calls / seconds)
            if latency:
                count = -(-args.latency_calls // args.rounds)
                out.lat[name] += await latencies(channels[name][0], call, count)
        print(" ".join(f"{n}: {out.rates[n][-1]:.0f}/s" for n in names), file=sys.stderr)
    for group in channels.values():
        for channel in group:
            await channel.close()
    return out


def worker_calls_made(metrics_address: str) -> tuple[float, float, float]:
    """(worker calls, requests they served, recent seconds per sentence) so far, from the
    router's Prometheus metrics."""
    body = urllib.request.urlopen(f"http://{metrics_address}/metrics", timeout=30).read()
    found = dict.fromkeys(("_count", "_sum", "sentence"), 0.0)
    for line in body.decode().splitlines():
        name = line.split("{", 1)[0]
        for suffix in ("_count", "_sum"):
            if name == f"duta_router_worker_call_requests{suffix}":
                found[suffix] += float(line.rsplit(" ", 1)[1])
        if name == "duta_router_worker_sentence_seconds":
            found["sentence"] = float(line.rsplit(" ", 1)[1])
    return found["_count"], found["_sum"], found["sentence"]


def ratio(rates: dict[str, list[float]], name: str, base: str) -> float:
    """The median over rounds of name/base, each round's pair measured side by side."""
    return statistics.median(a / b for a, b in zip(rates[name], rates[base], strict=True))


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]
