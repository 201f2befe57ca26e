"""Worker benchmark: dynamic batching against raw CTranslate2 and a naive server, in one run.

Builds, locally, a model with the exact shape of opus-mt-zh-en (6+6 layers, d_model 512,
8 heads, ffn 2048, 65,001-token vocabulary, random weights, int8) and fixes the output length
(min = max decoding length) so random weights cannot skew the work. Then measures, on the same
machine and thread counts:

- raw CTranslate2 ``translate_batch`` at its best batch size (the limit), and with as many
  sentences in flight as the worker's clients; its own peak RSS at its best batch;
- the worker over gRPC, phase by phase: `--clients` callers sending one sentence per call;
  router-shaped callers (`--call-sentences`, mixed sizes); a burst of long sentences; idle
  latency. Each phase prints tokens/s in its steady state (10–90 % of the work done: no start
  burst, no drain, as in raw's runs) and over the whole run, p50/p99 call latency, the mean
  batch, how busy the replicas were, and peak and after-phase RSS over the model's size;
- the same worker with batching off (one call at a time: the naive server);
- HF transformers ``generate()`` on the same shape, when torch and transformers are installed
  (here or in the interpreter given by ``--hf-python``, so torch stays out of the serving venv).

    python bench/worker.py                    # defaults: 25 tokens in, 25 out, greedy
    python bench/worker.py --clients 128 --sentences 1024
    python bench/worker.py --beam 4
    python bench/worker.py --profile /tmp/prof   # py-spy --native: where the CPU goes

Last line: ``worker/raw=… worker/raw_same_in_flight=… worker/naive=… idle_latency/raw=…
rss_over_model_mb=… p99/p50=…`` (RSS, p99/p50: the one-sentence phase; the table: every phase).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import worker_load as load
from worker_profile import Profiler, available, busiest, describe, summarise, thread_cpu

from duta.models import DemoShape, ModelBundle, build_demo_model, open_model_dir
from duta.worker.settings import available_cores

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
    per_core: float = 0.0  # target tokens per CPU-second of the process


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


def _peak_mb(reset: bool = False) -> float:
    """This process's peak RSS (VmHWM) in MB; `reset` starts a new peak first."""
    if reset:
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")
    status = Path("/proc/self/status").read_text()
    return int(next(x for x in status.splitlines() if x.startswith("VmHWM:")).split()[1]) / 1024


def bench_raw(bundle, sentences, args, threads, profile: Path | None):
    """Raw translate_batch at each batch size: (best row, same-in-flight row, peak MB)."""
    inter, intra = threads
    translator = ctranslate2.Translator(
        str(bundle.path), device="cpu", compute_type="int8", inter_threads=inter,
        intra_threads=intra,
    )  # fmt: skip
    tokens, _ = bundle.encode(sentences, "zh", "en")
    opts = {"beam_size": args.beam, "max_decoding_length": args.out,
            "min_decoding_length": args.out}  # fmt: skip
    translator.translate_batch(tokens[:8], **opts)  # warm up
    best, best_size, best_peak = 0.0, 0, 0.0
    for size in args.batch_sizes:
        _peak_mb(reset=True)
        started = time.perf_counter()
        results = translator.translate_batch(tokens, max_batch_size=size, **opts)
        seconds = time.perf_counter() - started
        rate = sum(len(r.hypotheses[0]) for r in results) / seconds
        print(f"  raw batch {size:>3}: {rate:8.0f} target tokens/s", file=sys.stderr)
        if rate > best:
            best, best_size, best_peak = rate, size, _peak_mb()
    # The same number of sentences in flight as the worker's clients, spread over the replicas.
    share = max(1, args.clients // inter)
    profiler = Profiler(os.getpid(), profile / "raw.txt") if profile else None
    threads = thread_cpu(os.getpid())
    started = time.perf_counter()
    results = translator.translate_batch(tokens, max_batch_size=share, **opts)
    seconds = time.perf_counter() - started
    cores = busiest(threads, thread_cpu(os.getpid()), seconds)
    print(f"  raw, {args.clients} in flight: threads busy {_cores(cores)}", file=sys.stderr)
    same_per_core = sum(len(r.hypotheses[0]) for r in results) / (sum(cores) * seconds)
    if profiler is not None:
        profiler.stop()
        print(f"  raw profile: {describe(summarise(profile / 'raw.txt', seconds))}")
    same = sum(len(r.hypotheses[0]) for r in results) / seconds
    del translator
    note = f"best batch {best_size} per replica, peak RSS {best_peak:.0f} MB"
    best_row = Row("raw CTranslate2", best, None, note)  # idle latency: `raw_idle_call`
    same_row = Row(f"raw CTranslate2, {args.clients} in flight", same, None, f"batch {share}")
    same_row.per_core = same_per_core
    return best_row, same_row, best_peak


def raw_idle_call(model: Path, sentences: list[str], args, threads):
    """One raw translate_batch of sentence i, for idle latency measured in turns with the
    worker's (`worker_load.idle_latency`): the same moments of a shared machine for both."""
    bundle = open_model_dir(model)
    translator = ctranslate2.Translator(
        str(model), device="cpu", compute_type="int8", inter_threads=threads[0],
        intra_threads=threads[1],
    )  # fmt: skip
    tokens, _ = bundle.encode(sentences, "zh", "en")
    opts = {"beam_size": args.beam, "max_decoding_length": args.out,
            "min_decoding_length": args.out}  # fmt: skip
    translator.translate_batch(tokens[:1], **opts)  # warm up
    return lambda i: translator.translate_batch([tokens[i]], **opts)


def _cores(cores: list[float]) -> str:
    return " ".join(f"{c:.2f}" for c in cores[:6]) + " cores"


def router_callers(sizes: list[int], clients: int) -> list[int]:
    """Callers per call size: each size gets about an equal part of `clients` sentences in
    flight, at least one caller (1,8,64 with 32 clients: ten of 1, one of 8, one of 64)."""
    part = clients / len(sizes)
    return [size for size in sizes for _ in range(max(1, int(part // size)))]


def run_batching(model: Path, sentences, long_sentences, args, threads):
    """The batching worker, phase by phase: (phases, (worker, raw) idle latency ms, RSS
    after load)."""
    env = {"DUTA_WORKER_BEAM_SIZE": str(args.beam), "DUTA_WORKER_BATCHING": "true"}
    env |= dict(item.split("=", 1) for item in args.worker_env)
    worker = load.WorkerProcess(model, threads, env)
    beam, out, profile = args.beam, args.out, args.profile
    address, replicas = worker.address, threads[0]
    try:
        asyncio.run(load.warm(address, sentences, args.clients, beam, out))
        loaded = worker.rss_mb()
        one = load.run_phase(
            worker,
            f"{args.clients} one-sentence clients",
            lambda: load.closed_loop(address, sentences, [1] * args.clients, beam, out),
            replicas,
            profile / "worker.txt" if profile else None,
        )
        sizes = router_callers(args.call_sentences, args.clients)
        mixed = load.run_phase(
            worker,
            f"router-shaped ({len(sizes)} callers)",
            lambda: load.closed_loop(address, sentences, sizes, beam, out),
            replicas,
            None,
        )
        burst = load.run_phase(
            worker,
            f"long burst ({args.long_length} tokens)",
            lambda: load.closed_loop(
                address, long_sentences, [16] * 4, beam, args.long_out, skip_first=False
            ),
            replicas,
            None,
        )
        burst.after_mb = settled_rss(worker)
        raw = raw_idle_call(model, sentences, args, threads)
        latency = asyncio.run(
            load.idle_latency(address, sentences, args.idle_calls, beam, out, raw)
        )
        return [one, mixed, burst], latency, loaded
    finally:
        worker.stop()


def settled_rss(worker: load.WorkerProcess, limit_s: float = 5.0) -> float:
    """The worker's RSS once it has given its freed memory back (it trims off the event loop
    when it goes idle): read until 0.3 s of reads agree within 1 MB, at most limit_s."""
    reads, deadline = [worker.rss_mb()], time.monotonic() + limit_s
    while time.monotonic() < deadline:
        time.sleep(0.1)
        reads.append(worker.rss_mb())
        if len(reads) >= 4 and max(reads[-4:]) - min(reads[-4:]) < 1:
            break
    return reads[-1]


def run_naive(model: Path, sentences, args, threads) -> load.Phase:
    env = {"DUTA_WORKER_BEAM_SIZE": str(args.beam), "DUTA_WORKER_BATCHING": "false"}
    worker = load.WorkerProcess(model, threads, env)
    try:
        asyncio.run(load.warm(worker.address, sentences, 4, args.beam, args.out))
        return load.run_phase(
            worker,
            f"naive server, {args.clients} clients",
            lambda: load.closed_loop(
                worker.address,
                sentences[: args.naive_sentences],
                [1] * args.clients,
                args.beam,
                args.out,
            ),  # fmt: skip
            threads[0],
            None,
        )
    finally:
        worker.stop()


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
    """HF transformers generate() on the same shape (fp32, random weights), if installed."""
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


def main() -> None:
    args = _parse()
    threads = (args.inter_threads or available_cores(), args.intra_threads)
    if args.profile:
        if not available():
            raise SystemExit("--profile needs py-spy: pip install py-spy")
        args.profile.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        print("building the opus-mt-zh-en-shaped model (random weights, int8)…", file=sys.stderr)
        model = build_demo_model(Path(tmp) / "opus-mt-base", "zh", "en", "opus-mt",
                                 DemoShape.opus_mt_base())  # fmt: skip
        bundle = open_model_dir(model)
        model_mb = (model / "model.bin").stat().st_size / 2**20
        sentences = make_sentences(bundle, args.sentences, args.length)
        long_sentences = make_sentences(bundle, 64, args.long_length, seed=1)
        raw, raw_same, raw_peak = bench_raw(bundle, sentences, args, threads, args.profile)
        phases, (latency, raw.latency_ms), loaded = run_batching(
            model, sentences, long_sentences, args, threads
        )
        naive = run_naive(model, sentences, args, threads)
        hf = bench_hf(args, threads[0] * max(1, threads[1]))
    _report(args, threads, model_mb, raw, raw_same, raw_peak, phases, latency,
            loaded, naive, hf)  # fmt: skip


def _print_phases(args, model_mb: float, phases, naive: load.Phase) -> None:
    """The per-phase table: rates, latency percentiles, batches, busy share, RSS."""
    one, mixed, burst = phases
    print(f"{'phase':<36} {'tok/s':>6} {'whole':>6} {'p50 ms':>7} {'p99 ms':>7} {'p99/p50':>7} "
          f"{'batch':>6} {'busy':>5} {'peak MB':>7} {'after MB':>8}")  # fmt: skip
    for phase in (one, mixed, burst, naive):
        p50, p99 = phase.tail()
        print(f"{phase.name:<36} {phase.tokens_per_s:>6.0f} {phase.whole_per_s:>6.0f} "
              f"{p50:>7.0f} {p99:>7.0f} "
              f"{p99 / max(p50, 1e-9):>7.2f} {phase.mean_batch:>6.1f} {phase.busy:>5.2f} "
              f"{phase.peak_mb - model_mb:>7.0f} {phase.after_mb - model_mb:>8.0f}")  # fmt: skip
    for size in args.call_sentences:
        p50, p99 = mixed.tail(size)
        print(f"  router-shaped calls of {size:>3}: p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    for phase in (one, mixed):
        print(
            f"  {phase.name}: worker threads busy {_cores(phase.threads)}; "
            f"the callers {phase.client_cores:.2f} cores"
        )
    if one.profile:
        print(f"  worker profile ({one.name}): {one.profile}")


def _report(args, threads, model_mb, raw, raw_same, raw_peak, phases, latency,
            loaded, naive, hf) -> None:  # fmt: skip
    one, mixed, burst = phases
    rows = [raw, raw_same, Row(f"worker, {args.clients} clients", one.tokens_per_s, latency),
            Row(f"worker, {mixed.name}", mixed.tokens_per_s),
            Row(naive.name, naive.tokens_per_s, None, "batching off")]  # fmt: skip
    if hf is not None:
        rows.append(hf)
    print(
        f"opus-mt-zh-en shape, int8, model.bin {model_mb:.0f} MB; {args.length} tokens in, "
        f"{args.out} out; beam {args.beam}; inter_threads {threads[0]} × intra_threads "
        f"{threads[1]}; {os.cpu_count()} CPUs"
    )
    print(f"{'setup':<36} {'target tok/s':>12} {'idle latency ms':>16}  note")
    for row in rows:
        cell = f"{row.latency_ms:.0f}" if row.latency_ms is not None else "-"
        print(f"{row.name:<36} {row.tokens_per_s:>12.0f} {cell:>16}  {row.note}")
    print(f"worker RSS over the model: {loaded - model_mb:.0f} MB loaded; per phase:")
    _print_phases(args, model_mb, phases, naive)
    print(f"raw CTranslate2's own peak RSS at its best batch: {raw_peak - model_mb:.0f} MB "
          "over the model (this process, which also imports grpc)")  # fmt: skip
    extra = f" worker/hf={one.tokens_per_s / hf.tokens_per_s:.1f}" if hf is not None else ""
    same = one.tokens_per_s / raw_same.tokens_per_s
    # Target tokens per CPU-second (all the worker's threads; raw's): what the wall-clock
    # ratio becomes when the two got different shares of a machine others share too.
    per_core = one.whole_per_s / max(sum(one.threads), 1e-9) / max(raw_same.per_core, 1e-9)
    # No server beats raw CTranslate2's best batch: raw/naive is what worker/naive can reach.
    print(f"worker/raw_same_in_flight={same:.2f} router_shaped/raw="
          f"{mixed.tokens_per_s / raw.tokens_per_s:.2f} "
          f"worker/raw_same_in_flight_per_cpu_second={per_core:.2f}{extra} "
          f"raw/naive={raw.tokens_per_s / naive.tokens_per_s:.1f}")  # fmt: skip
    p50, p99 = one.tail()
    rss = one.peak_mb - model_mb
    print(
        f"worker/raw={one.tokens_per_s / raw.tokens_per_s:.2f} "
        f"worker/raw_same_in_flight={same:.2f} "
        f"worker/naive={one.tokens_per_s / naive.tokens_per_s:.1f} "
        f"idle_latency/raw={latency / raw.latency_ms:.2f} rss_over_model_mb={rss:.0f} "
        f"p99/p50={p99 / max(p50, 1e-9):.2f}"
    )


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=512, help="sentences per throughput run")
    parser.add_argument("--naive-sentences", type=int, default=96, help="for the naive server")
    parser.add_argument("--length", type=int, default=25, help="source tokens per sentence")
    parser.add_argument("--out", type=int, default=25, help="target tokens (min = max)")
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--call-sentences", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 64],
        help="router-shaped phase: sentences per call, mixed (default 1,8,64)",
    )  # fmt: skip
    parser.add_argument("--long-length", type=int, default=250, help="long burst: tokens in")
    parser.add_argument("--long-out", type=int, default=40, help="long burst: tokens out")
    parser.add_argument("--idle-calls", type=int, default=15)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--inter-threads", type=int, default=0, help="0: one per core")
    parser.add_argument("--intra-threads", type=int, default=1)
    parser.add_argument(
        "--worker-env", nargs="*", default=[], metavar="NAME=VALUE",
        help="extra DUTA_WORKER_* settings for the batching worker",
    )  # fmt: skip
    parser.add_argument("--profile", type=Path, default=None, help="py-spy output folder")
    parser.add_argument(
        "--hf-python", default="", help="interpreter with torch + transformers (the HF row)"
    )
    parser.add_argument("--hf-rounds", type=int, default=3, help="HF generate() batches to time")
    return parser.parse_args()


if __name__ == "__main__":
    main()
