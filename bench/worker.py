"""Worker benchmark: dynamic batching against raw CTranslate2 and a naive server, in one run.

Builds, locally, a model with the exact shape of opus-mt-zh-en (6+6 layers, d_model 512,
8 heads, ffn 2048, 65,001-token vocabulary, random weights, int8) and fixes the output length
(min = max decoding length) so random weights cannot skew the work. Then measures, on the same
machine and thread counts:

- raw CTranslate2 ``translate_batch`` at its best batch size (the limit);
- the worker over gRPC, 32 concurrent clients each sending one sentence at a time;
- the same worker with batching off (one call at a time: the naive server);
- HF transformers ``generate()`` on the same shape, when torch and transformers are installed
  (here or in the interpreter given by ``--hf-python``, so torch stays out of the serving venv).

    python bench/worker.py                    # defaults: 25 tokens in, 25 out, greedy
    python bench/worker.py --beam 4 --sentences 256
    python bench/worker.py --hf-python /tmp/hf/bin/python   # a venv with torch + transformers

The last line is ``worker/raw=… worker/naive=… idle_latency/raw=… rss_over_model_mb=…``; the
line before it compares the worker with raw CTranslate2 at the same number of sentences in
flight (and with HF when measured).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import grpc

from duta.cli.up import free_port, wait_serving
from duta.models import DemoShape, ModelBundle, build_demo_model, open_model_dir
from duta.v1 import worker_pb2, worker_pb2_grpc
from duta.worker.settings import available_cores

IDLE_GAP = 0.05  # seconds between idle-latency calls, for raw and worker alike
_CHARS = (
    "今天天气很好我们明天去北京吧你在做什么这个问题非常重要请告诉我时间地点和原因中国人民学习工作"
)


@dataclass
class Row:
    """One line of the result table."""

    name: str
    tokens_per_s: float
    latency_ms: float | None = None
    note: str = ""


def make_sentences(bundle: ModelBundle, count: int, length: int, seed: int = 0) -> list[str]:
    """Chinese sentences of exactly `length` source tokens (or as close as the pieces allow)."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        text = ""
        while bundle.count_tokens(text + "。", "zh", "en") < length:
            text += rng.choice(_CHARS)
        if bundle.count_tokens(text + "。", "zh", "en") == length:
            out.append(text + "。")
    return out


def bench_raw(bundle, sentences, args, threads) -> tuple[Row, float, Row]:
    """Raw translate_batch at each batch size; returns the best row and idle latency (ms)."""
    inter, intra = threads
    translator = ctranslate2.Translator(
        str(bundle.path), device="cpu", compute_type="int8", inter_threads=inter,
        intra_threads=intra,
    )  # fmt: skip
    tokens, _ = bundle.encode(sentences, "zh", "en")
    opts = {
        "beam_size": args.beam,
        "max_decoding_length": args.out,
        "min_decoding_length": args.out,
    }
    translator.translate_batch(tokens[:8], **opts)  # warm up
    best, best_size = 0.0, 0
    for size in args.batch_sizes:
        started = time.perf_counter()
        results = translator.translate_batch(tokens, max_batch_size=size, **opts)
        seconds = time.perf_counter() - started
        rate = sum(len(r.hypotheses[0]) for r in results) / seconds
        print(f"  raw batch {size:>3}: {rate:8.0f} target tokens/s", file=sys.stderr)
        if rate > best:
            best, best_size = rate, size
    latencies = []
    for sentence in tokens[: args.idle_calls]:
        time.sleep(IDLE_GAP)  # the same idle gap as the worker's latency calls
        started = time.perf_counter()
        translator.translate_batch([sentence], **opts)
        latencies.append(time.perf_counter() - started)
    latency = statistics.median(latencies) * 1000
    # The same number of sentences in flight as the worker's clients, spread over the replicas.
    share = max(1, args.clients // inter)
    started = time.perf_counter()
    results = translator.translate_batch(tokens, max_batch_size=share, **opts)
    same = sum(len(r.hypotheses[0]) for r in results) / (time.perf_counter() - started)
    del translator
    best_row = Row("raw CTranslate2", best, latency, f"best batch {best_size} per replica")
    same_row = Row(f"raw CTranslate2, {args.clients} in flight", same, None, f"batch {share}")
    return best_row, latency, same_row


class WorkerProcess:
    """`duta serve worker` in a subprocess, on free ports."""

    def __init__(self, model: Path, threads: tuple[int, int], beam: int, batching: bool) -> None:
        self.port = free_port()
        self.metrics_port = free_port()
        env = {
            **os.environ,
            "DUTA_WORKER_INTER_THREADS": str(threads[0]),
            "DUTA_WORKER_INTRA_THREADS": str(threads[1]),
            "DUTA_WORKER_BEAM_SIZE": str(beam),
            "DUTA_WORKER_BATCHING": "true" if batching else "false",
            "DUTA_WORKER_LOG_LEVEL": "WARNING",
        }
        duta = Path(sys.executable).with_name("duta")
        cmd = [str(duta), "serve", "worker", "--model", str(model), "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--metrics-port", str(self.metrics_port)]
        self.process = subprocess.Popen(cmd, env=env)
        self.address = f"127.0.0.1:{self.port}"
        wait_serving(self.address, 120, self.process)

    def rss_mb(self) -> float:
        """Peak resident memory of the worker (VmHWM), in MB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def batch_totals(self) -> tuple[float, float]:
        """(sentences, batches) so far, from the worker's Prometheus histogram."""
        import urllib.request

        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        text = urllib.request.urlopen(url, timeout=10).read().decode()
        values = {}
        for line in text.splitlines():
            if line.startswith("duta_worker_batch_sentences_"):
                name, value = line.split("{")[0], float(line.rsplit(" ", 1)[1])
                values[name] = value
        prefix = "duta_worker_batch_sentences_"
        return values.get(prefix + "sum", 0.0), values.get(prefix + "count", 0.0)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def _request(sentence: str, args) -> worker_pb2.WorkerTranslateRequest:
    return worker_pb2.WorkerTranslateRequest(
        sentences=[sentence],
        source_language="zh-Hans",
        target_language="en",
        options=worker_pb2.DecodingOptions(
            beam_size=args.beam, max_decoding_length=args.out, min_decoding_length=args.out
        ),
    )


async def _warm(address: str, sentences: list[str], args) -> None:
    """Warms the connection and the pool, one call after another."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = worker_pb2_grpc.WorkerStub(channel)
        for sentence in sentences[: args.clients]:
            await stub.Translate(_request(sentence, args))


async def _clients(address: str, sentences: list[str], clients: int, args) -> float:
    """`clients` concurrent callers, one sentence per call; returns target tokens/s."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = worker_pb2_grpc.WorkerStub(channel)
        queue = list(reversed(sentences))
        produced = 0

        async def client() -> None:
            nonlocal produced
            while queue:
                reply = await stub.Translate(_request(queue.pop(), args))
                produced += reply.hypotheses[0].output_tokens

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return produced / (time.perf_counter() - started)


async def _idle_latency(address: str, sentences: list[str], args) -> float:
    """Median milliseconds of one sentence on an otherwise idle worker."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = worker_pb2_grpc.WorkerStub(channel)
        await stub.Translate(_request(sentences[0], args))
        latencies = []
        for sentence in sentences[: args.idle_calls]:
            await asyncio.sleep(IDLE_GAP)
            started = time.perf_counter()
            await stub.Translate(_request(sentence, args))
            latencies.append(time.perf_counter() - started)
        return statistics.median(latencies) * 1000


_HF_SCRIPT = """
import json, sys, time
import torch
from transformers import MarianConfig, MarianMTModel

a = json.loads(sys.argv[1])
torch.set_num_threads(a["threads"])
torch.manual_seed(0)
config = MarianConfig(
    vocab_size=65_001, d_model=512, encoder_layers=6, decoder_layers=6,
    encoder_attention_heads=8, decoder_attention_heads=8, encoder_ffn_dim=2048,
    decoder_ffn_dim=2048, pad_token_id=65_000, decoder_start_token_id=65_000, eos_token_id=0,
)
model = MarianMTModel(config).eval()
ids = torch.randint(1, 60_000, (a["batch"], a["length"]))
with torch.inference_mode():
    model.generate(ids[:2], num_beams=a["beam"], min_new_tokens=2, max_new_tokens=2)
    produced, started = 0, time.perf_counter()
    for _ in range(a["rounds"]):
        out = model.generate(
            ids, num_beams=a["beam"], min_new_tokens=a["out"], max_new_tokens=a["out"]
        )
        produced += a["batch"] * (out.shape[1] - 1)
print(produced / (time.perf_counter() - started))
"""


def bench_hf(args, threads: int) -> Row | None:
    """HF transformers generate() on the same shape (fp32, random weights), if installed.

    Runs in `--hf-python` (default: this interpreter), so torch can live in an environment
    of its own: the serving environment never needs it.
    """
    python = args.hf_python or sys.executable
    probe = subprocess.run([python, "-c", "import torch, transformers"], capture_output=True)
    if probe.returncode != 0:
        print(f"  no HF row: torch/transformers not importable by {python}", file=sys.stderr)
        return None
    batch = args.clients
    params = {"threads": threads, "batch": batch, "length": args.length, "out": args.out,
              "beam": args.beam, "rounds": args.hf_rounds}  # fmt: skip
    done = subprocess.run(
        [python, "-c", _HF_SCRIPT, json.dumps(params)], capture_output=True, text=True, check=True
    )
    rate = float(done.stdout.strip().splitlines()[-1])
    return Row("HF transformers generate()", rate, None, f"fp32, batch {batch}, {threads} threads")


def run_worker(model: Path, sentences, args, threads, batching: bool):
    """Throughput (32 clients), idle latency and peak RSS of one worker configuration."""
    worker = WorkerProcess(model, threads, args.beam, batching)
    try:
        count = len(sentences) if batching else args.naive_sentences
        asyncio.run(_warm(worker.address, sentences, args))
        sentences_before, batches_before = worker.batch_totals()
        rate = asyncio.run(_clients(worker.address, sentences[:count], args.clients, args))
        sentences_after, batches_after = worker.batch_totals()
        batch = (sentences_after - sentences_before) / max(1.0, batches_after - batches_before)
        latency = asyncio.run(_idle_latency(worker.address, sentences, args)) if batching else None
        return rate, latency, worker.rss_mb(), batch
    finally:
        worker.stop()


def main() -> None:
    args = _parse()
    threads = (args.inter_threads or available_cores(), args.intra_threads)
    with tempfile.TemporaryDirectory() as tmp:
        print("building the opus-mt-zh-en-shaped model (random weights, int8)…", file=sys.stderr)
        model = build_demo_model(Path(tmp) / "opus-mt-base", "zh", "en", "opus-mt",
                                 DemoShape.opus_mt_base())  # fmt: skip
        bundle = open_model_dir(model)
        model_mb = (model / "model.bin").stat().st_size / 2**20
        sentences = make_sentences(bundle, args.sentences, args.length)
        raw, raw_latency, raw_same = bench_raw(bundle, sentences, args, threads)
        rate, latency, rss, batch = run_worker(model, sentences, args, threads, batching=True)
        naive_rate, _, _, naive_batch = run_worker(model, sentences, args, threads, batching=False)
        hf = bench_hf(args, threads[0] * max(1, threads[1]))
    rows = [
        raw,
        raw_same,
        Row(
            f"worker, {args.clients} clients",
            rate,
            latency,
            f"peak RSS {rss:.0f} MB, mean batch {batch:.1f} under load",
        ),
        Row(
            f"naive server, {args.clients} clients",
            naive_rate,
            None,
            f"batching off, mean batch {naive_batch:.1f}",
        ),
    ]
    if hf is not None:
        rows.append(hf)
    _print_table(rows, args, threads, model_mb)
    extra = f" worker/hf={rate / hf.tokens_per_s:.1f}" if hf is not None else ""
    print(f"worker/raw_same_in_flight={rate / raw_same.tokens_per_s:.2f}{extra}")
    print(
        f"worker/raw={rate / raw.tokens_per_s:.2f} worker/naive={rate / naive_rate:.1f} "
        f"idle_latency/raw={latency / raw_latency:.2f} rss_over_model_mb={rss - model_mb:.0f}"
    )


def _print_table(rows: list[Row], args, threads: tuple[int, int], model_mb: float) -> None:
    print(
        f"opus-mt-zh-en shape, int8, model.bin {model_mb:.0f} MB; {args.length} tokens in, "
        f"{args.out} out; beam {args.beam}; inter_threads {threads[0]} × intra_threads "
        f"{threads[1]}; {os.cpu_count()} CPUs"
    )
    print(f"{'setup':<32} {'target tok/s':>12} {'idle latency ms':>16}  note")
    for row in rows:
        latency = f"{row.latency_ms:.0f}" if row.latency_ms is not None else "-"
        print(f"{row.name:<32} {row.tokens_per_s:>12.0f} {latency:>16}  {row.note}")


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=512, help="sentences per throughput run")
    parser.add_argument("--naive-sentences", type=int, default=96, help="for the naive server")
    parser.add_argument("--length", type=int, default=25, help="source tokens per sentence")
    parser.add_argument("--out", type=int, default=25, help="target tokens (min = max)")
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--idle-calls", type=int, default=15)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--inter-threads", type=int, default=0, help="0: one per core")
    parser.add_argument("--intra-threads", type=int, default=1)
    parser.add_argument(
        "--hf-python", default="", help="interpreter with torch + transformers (the HF row)"
    )
    parser.add_argument("--hf-rounds", type=int, default=3, help="HF generate() batches to time")
    return parser.parse_args()


if __name__ == "__main__":
    main()
