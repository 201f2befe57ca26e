"""Soak: mixed traffic against the local cluster for minutes; memory and tail must stay flat.

    python bench/soak.py                 # 10 minutes
    python bench/soak.py --minutes 1 --json soak.json

The cluster is started as `duta up` does (Redis, a worker per demo model, the router, each its
own process). `--clients` callers loop over a fixed mix: Translate of 1–50 texts (repeats and new
sentences: cache hits and misses), TranslateStream of 1–5 messages, DetectLanguage,
ListLanguages, and 5 % bad requests (which must get INVALID_ARGUMENT). Every few seconds the
resident memory of the router and of each worker is sampled; after the warm-up (the first fifth
of the run, long enough for the router's L1 cache of `--cache-entries` sentences to fill) it
must stay flat. Every answer is checked: a call, a stream message and each text of an answered
call must succeed, a bad request must get INVALID_ARGUMENT; anything else is an unexpected error.
Last line:
``soak_minutes=… calls=… unexpected_errors=… router_rss_growth_pct=… worker_rss_growth_pct=…
p99_first_ms=… p99_last_ms=… p99_ratio=… passed=…``; the exit status is 1 when it did not pass:
an unexpected error, RSS growth of 5 % or more after the warm-up, or a late p99 over 1.5 × the
early one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import grpc

from duta.cli.up import Cluster, free_port
from duta.models import build_demo_models
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc

MAX_RSS_GROWTH_PCT = 5.0  # after the warm-up, router and every worker
MAX_P99_RATIO = 1.5  # "p99 stable": the last fifth's p99 against the first after the warm-up
REPEATED = [f"这是第{i}个常见的句子。" for i in range(200)] + [
    f"これは{i}番目のよくある文です。" for i in range(100)
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] if values else 0
    )


def texts(rng: random.Random, count: int, serial: list[int]) -> list[str]:
    out = []
    for _ in range(count):
        if rng.random() < 0.6:
            out.append(rng.choice(REPEATED))
        else:
            serial[0] += 1
            out.append(f"今天的第{serial[0]}条新消息到了。")
    return out


def expected(kind: str, code: str) -> bool:
    """A bad request must get INVALID_ARGUMENT; every other call must succeed."""
    return code == ("INVALID_ARGUMENT" if kind == "bad" else "OK")


CODE_NAMES = {code.value[0]: code.name for code in grpc.StatusCode}


def text_errors(reply: pb.TranslateResponse) -> str:
    """ "TEXT_<code>" of the first text of an answered call that failed alone, else ""."""
    for item in reply.translations:
        if item.error.code:
            return f"TEXT_{CODE_NAMES.get(item.error.code, item.error.code)}"
    return ""


BAD_REQUESTS = (  # the mix's 5 % of bad requests: each must be INVALID_ARGUMENT
    pb.TranslateRequest(texts=[], target_language="en"),
    pb.TranslateRequest(texts=["hi"], target_language="xx-nope-123"),
    pb.TranslateRequest(
        texts=["hi"], target_language="en", options=pb.TranslateOptions(beam_size=999)
    ),
)


def stream_messages(rng: random.Random, serial: list[int]) -> list[pb.TranslateStreamRequest]:
    """1–5 stream messages of 1–5 texts each."""
    return [
        pb.TranslateStreamRequest(
            id=str(i),
            request=pb.TranslateRequest(
                texts=texts(rng, rng.randint(1, 5), serial), target_language="en"
            ),
        )
        for i in range(rng.randint(1, 5))
    ]


async def one_call(stub, rng: random.Random, serial: list[int]) -> tuple[str, float, str]:  # noqa: ANN001
    """Sends one call of the mix; returns (kind, seconds, outcome code name)."""
    roll = rng.random()
    started = time.perf_counter()
    kind = "translate"
    try:
        if roll < 0.05:
            kind = "bad"
            await stub.Translate(rng.choice(BAD_REQUESTS), timeout=30)
        elif roll < 0.55:
            request = pb.TranslateRequest(
                texts=texts(rng, rng.randint(1, 50), serial), target_language="en"
            )
            reply = await stub.Translate(request, timeout=120)
            if failed := text_errors(reply):
                return kind, time.perf_counter() - started, failed
        elif roll < 0.70:
            kind = "stream"
            messages = stream_messages(rng, serial)
            async for reply in stub.TranslateStream(iter(messages), timeout=120):
                if reply.error_code:
                    return kind, time.perf_counter() - started, f"STREAM_{reply.error_code}"
                if failed := text_errors(reply.response):
                    return kind, time.perf_counter() - started, failed
        elif roll < 0.95:
            kind = "detect"
            await stub.DetectLanguage(
                pb.DetectLanguageRequest(texts=texts(rng, rng.randint(1, 20), serial)), timeout=30
            )
        else:
            kind = "list"
            await stub.ListLanguages(pb.ListLanguagesRequest(), timeout=30)
    except grpc.aio.AioRpcError as exc:
        return kind, time.perf_counter() - started, exc.code().name
    return kind, time.perf_counter() - started, "OK"


async def soak(cluster: Cluster, args: argparse.Namespace) -> dict:
    pids = {"router": cluster.router.pid, **{n: p.pid for n, p in cluster.workers.items()}}
    end = time.monotonic() + args.minutes * 60
    outcomes: Counter[str] = Counter()
    unexpected: list[str] = []
    latencies: list[tuple[float, float]] = []  # (time since start, seconds) of Translate calls
    memory: list[dict[str, float]] = []
    start = time.monotonic()

    async def caller(seed: int) -> None:
        rng, serial = random.Random(seed), [seed * 10_000_000]
        async with grpc.aio.insecure_channel(cluster.address) as channel:
            stub = translator_pb2_grpc.TranslatorStub(channel)
            while time.monotonic() < end:
                kind, seconds, code = await one_call(stub, rng, serial)
                outcomes[f"{kind}:{code}"] += 1
                if not expected(kind, code) and len(unexpected) < 50:
                    unexpected.append(f"{kind}:{code}")
                if kind == "translate" and code == "OK":
                    latencies.append((time.monotonic() - start, seconds))

    async def sampler() -> None:
        while time.monotonic() < end:
            memory.append(
                {"t": time.monotonic() - start, **{n: rss_mb(p) for n, p in pids.items()}}
            )
            await asyncio.sleep(args.sample_seconds)

    await asyncio.gather(sampler(), *(caller(i) for i in range(args.clients)))
    return {
        "outcomes": dict(outcomes),
        "unexpected": unexpected,
        "latencies": latencies,
        "memory": memory,
    }


def summarise(result: dict, minutes: float) -> dict:
    memory, warm = result["memory"], minutes * 60 / 5
    after = [m for m in memory if m["t"] >= warm] or memory
    names = [k for k in memory[0] if k != "t"]

    fifth = max(1, len(after) // 5)

    def growth(name: str) -> float:  # median of the last fifth against the first, after warm-up
        early = statistics.median(m[name] for m in after[:fifth])
        late = statistics.median(m[name] for m in after[-fifth:])
        return 100 * (late - early) / early

    worker_growth = max(growth(n) for n in names if n != "router")
    lat = result["latencies"]
    span = minutes * 60
    first = [s * 1000 for t, s in lat if warm <= t < warm + span / 5]
    last = [s * 1000 for t, s in lat if t >= span - span / 5]
    p99_first, p99_last = percentile(first, 99), percentile(last, 99)
    summary = {
        "soak_minutes": minutes,
        "calls": sum(result["outcomes"].values()),
        "unexpected_errors": sum(
            n for k, n in result["outcomes"].items() if not expected(*k.split(":", 1))
        ),
        "router_rss_growth_pct": round(growth("router"), 1),
        "worker_rss_growth_pct": round(worker_growth, 1),
        "p99_first_ms": round(p99_first, 1),
        "p99_last_ms": round(p99_last, 1),
        "p99_ratio": round(p99_last / p99_first, 2) if p99_first else 0.0,
    }
    return {**summary, "passed": not failures(summary)}


def failures(summary: dict) -> list[str]:
    """What the soak must hold and did not (empty when it passed)."""
    out = []
    if summary["unexpected_errors"]:
        out.append(f"{summary['unexpected_errors']} unexpected errors")
    for part in ("router", "worker"):
        if summary[f"{part}_rss_growth_pct"] >= MAX_RSS_GROWTH_PCT:
            out.append(f"{part} RSS grew {summary[f'{part}_rss_growth_pct']} % after the warm-up")
    if not 0 < summary["p99_ratio"] <= MAX_P99_RATIO:
        out.append(f"p99 not stable: {summary['p99_first_ms']} -> {summary['p99_last_ms']} ms")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--sample-seconds", type=float, default=5.0)
    parser.add_argument("--cache-entries", type=int, default=20_000, help="router L1 size")
    parser.add_argument("--json", help="write outcomes, memory samples and the summary here")
    args = parser.parse_args()
    # The router's L1 holds --cache-entries sentences: it fills during the warm-up, so memory
    # that still grows afterwards is a leak, not the cache doing its job (100,000 by default).
    os.environ["DUTA_ROUTER_CACHE_ENTRIES"] = str(args.cache_entries)
    models = Path(tempfile.mkdtemp(prefix="duta-soak-models-"))
    build_demo_models(models, [("zh", "en"), ("ja", "en")])
    cluster = Cluster(models=models, port=free_port())
    try:
        cluster.start()
        result = asyncio.run(soak(cluster, args))
    finally:
        cluster.stop()
    summary = summarise(result, args.minutes)
    print("outcomes:", json.dumps(result["outcomes"], sort_keys=True))
    if result["unexpected"]:
        print("unexpected:", result["unexpected"][:10])
    for m in result["memory"][:: max(1, len(result["memory"]) // 10)]:
        print("rss MB at", f"{m['t']:.0f}s:", {k: round(v) for k, v in m.items() if k != "t"})
    if args.json:
        kept = {k: v for k, v in result.items() if k != "latencies"}  # one per call: too many
        Path(args.json).write_text(json.dumps({**kept, "summary": summary}))
    for failure in failures(summary):
        print("FAILED:", failure)
    print(" ".join(f"{k}={v}" for k, v in summary.items()))
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
