"""Router throughput and latency percentiles against the number of concurrent clients.

Starts the local cluster as `duta up` does (Redis, one worker per demo model, the router, each
its own process), then, for each client count, runs closed-loop callers for `--seconds`:

- ``hit``:  one repeated sentence per caller (answered from the cache);
- ``miss``: a new sentence every call, `no_cache` (every call reaches a worker).

    python bench/load_curve.py                       # clients 1,2,4,8,16,32,64
    python bench/load_curve.py --clients 1,8 --seconds 3 --json out.json

Prints one table row per (mode, clients) and writes the rows as JSON with ``--json`` (used by
``bench/report.py`` for its plots). Last line: ``hit_peak_rps=… miss_peak_rps=… hit_p99_ms_1=…``.
Demo models: the workers' output is random text, but their compute is the real architecture's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import grpc

from duta.cli.up import Cluster, free_port
from duta.models import build_demo_models
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def measure(address: str, mode: str, clients: int, seconds: float) -> dict[str, float]:
    """Closed-loop callers for `seconds`; returns calls/s and latency percentiles in ms."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + seconds

    async def caller(stub: translator_pb2_grpc.TranslatorStub, client: int) -> None:
        nonlocal errors
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            text = (
                f"客户{client}说今天天气很好。" if mode == "hit" else f"第{client}位的第{n}句话。"
            )
            request = pb.TranslateRequest(
                texts=[text],
                source_language="zh",
                target_language="en",
                options=pb.TranslateOptions(no_cache=mode == "miss"),
            )
            started = time.perf_counter()
            try:
                await stub.Translate(request, timeout=60)
                latencies.append(time.perf_counter() - started)
            except grpc.aio.AioRpcError:
                errors += 1

    async with grpc.aio.insecure_channel(address) as channel:
        stub = translator_pb2_grpc.TranslatorStub(channel)
        if mode == "hit":  # fill the cache first
            await asyncio.gather(*(caller_warm(stub, c) for c in range(clients)))
        started = time.monotonic()
        await asyncio.gather(*(caller(stub, c) for c in range(clients)))
        elapsed = time.monotonic() - started
    ms = [x * 1000 for x in latencies]
    return {
        "mode": mode,
        "clients": clients,
        "calls_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "errors": errors,
    }


async def caller_warm(stub: translator_pb2_grpc.TranslatorStub, client: int) -> None:
    await stub.Translate(
        pb.TranslateRequest(
            texts=[f"客户{client}说今天天气很好。"], source_language="zh", target_language="en"
        ),
        timeout=60,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,2,4,8,16,32,64")
    parser.add_argument("--seconds", type=float, default=5.0, help="per point")
    parser.add_argument("--modes", default="hit,miss")
    parser.add_argument("--json", help="write the rows here")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    models = Path(tempfile.mkdtemp(prefix="duta-bench-models-"))
    build_demo_models(models, [("zh", "en")])
    cluster = Cluster(models=models, port=free_port())
    rows = []
    try:
        cluster.start()
        print(f"{'mode':6}{'clients':>8}{'calls/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
        for mode in args.modes.split(","):
            for clients in counts:
                row = asyncio.run(measure(cluster.address, mode, clients, args.seconds))
                rows.append(row)
                print(
                    f"{mode:6}{clients:>8}{row['calls_per_s']:>10.0f}{row['p50_ms']:>9.1f}"
                    f"{row['p95_ms']:>9.1f}{row['p99_ms']:>9.1f}"
                    + (f"  errors={row['errors']}" if row["errors"] else ""),
                    flush=True,
                )
    finally:
        cluster.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    peak = {
        m: max((r["calls_per_s"] for r in rows if r["mode"] == m), default=0)
        for m in ("hit", "miss")
    }
    one = [r for r in rows if r["mode"] == "hit" and r["clients"] == 1]
    print(
        f"hit_peak_rps={peak['hit']:.0f} miss_peak_rps={peak['miss']:.0f} "
        f"hit_p99_ms_1={one[0]['p99_ms'] if one else 0:.2f}"
    )


if __name__ == "__main__":
    main()
