"""Steady load against a router, from its own process, counting every request's outcome.

    python -m tests.reliability.loadgen --address 127.0.0.1:50051 --stats stats.json

Each of `--clients` callers sends Translate calls one after another (a mix of cached and
uncached texts) until SIGTERM or SIGINT, then writes the final counts and exits 0. While running,
the stats file is rewritten (atomically) every `--every` seconds, so a test can wait on
conditions such as "200 more successes since the fault" without sleeping blindly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import time
from collections import Counter
from pathlib import Path

import grpc

from duta.client import AsyncClient, DutaRpcError

CACHED_TEXTS = ["今天天气很好。", "我们明天见。", "这是一个测试。", "谢谢你的帮助。"]


class Stats:
    """Outcome counts by gRPC status code name, plus error samples."""

    def __init__(self) -> None:
        self.codes: Counter[str] = Counter()
        self.errors: list[str] = []
        self.started = time.time()
        self.max_latency = 0.0

    def record(self, code: grpc.StatusCode, latency: float, detail: str = "") -> None:
        self.codes[code.name] += 1
        self.max_latency = max(self.max_latency, latency)
        if code is not grpc.StatusCode.OK and len(self.errors) < 20:
            self.errors.append(f"{code.name}: {detail}")

    def write(self, path: Path, done: bool = False) -> None:
        data = {
            "ok": self.codes["OK"],
            "failed": sum(n for c, n in self.codes.items() if c != "OK"),
            "codes": dict(self.codes),
            "errors": self.errors,
            "max_latency_s": round(self.max_latency, 3),
            "elapsed_s": round(time.time() - self.started, 3),
            "done": done,
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)


def text_for(client: int, n: int) -> str:
    """Every third call a repeat (cache hit), the others new sentences (worker calls)."""
    if n % 3 == 0:
        return CACHED_TEXTS[(client + n) % len(CACHED_TEXTS)]
    return f"第{client}位客户的第{n}个请求。"


async def caller(
    duta: AsyncClient,
    client: int,
    stats: Stats,
    stop: asyncio.Event,
    args: argparse.Namespace,
) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        started = time.monotonic()
        try:
            reply = await duta.translate(
                text_for(client, n), args.target, source="zh", timeout=args.deadline
            )
            ok = len(reply) == 1 and reply[0].ok
            stats.record(
                grpc.StatusCode.OK if ok else grpc.StatusCode.INTERNAL,
                time.monotonic() - started,
                "" if ok else "item error",
            )
        except DutaRpcError as exc:
            stats.record(exc.code, time.monotonic() - started, str(exc))


async def run(args: argparse.Namespace) -> None:
    stats = Stats()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    path = Path(args.stats)
    async with AsyncClient(args.address) as duta:  # round robin over the routers, retries
        tasks = [
            asyncio.create_task(caller(duta, i, stats, stop, args)) for i in range(args.clients)
        ]
        while not stop.is_set():
            stats.write(path)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), args.every)
        await asyncio.gather(*tasks)
    stats.write(path, done=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--stats", required=True, help="JSON file rewritten while running")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--target", default="en")
    parser.add_argument("--deadline", type=float, default=30.0, help="per-call deadline, s")
    parser.add_argument("--every", type=float, default=0.2)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
