"""The worker as a process gives back the memory a burst of long inputs took (issue 12, item 3).

A burst of long sentences decoded with a big beam grows a worker's resident memory by tens of
MB even on the tiny demo model (CTranslate2's working memory, freed into glibc's arenas);
without giving it back, the worker would stay near that peak for ever. The worker trims the
heap whenever it goes idle: the test waits — on the condition, not on a fixed time — until the
resident size is back near where it was before the burst.
"""

from __future__ import annotations

import time
from pathlib import Path

import grpc

from duta.cli.up import free_port, wait_serving
from duta.v1 import worker_pb2, worker_pb2_grpc
from tests.integration.test_worker_lifecycle import serve

SENTENCE = "今天天气很好。我们明天去北京吧。"
GROWTH_MB = 40  # what the burst must add at its peak, or the test proves nothing
KEPT = 0.4  # the share of that growth the worker may keep once idle


def _status_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"/proc/{pid}/status has no {key}")


def _request(text: str, sentences: int, **options: int) -> worker_pb2.WorkerTranslateRequest:
    return worker_pb2.WorkerTranslateRequest(
        sentences=[text] * sentences,
        source_language="zh-Hans",
        target_language="en",
        options=worker_pb2.DecodingOptions(**options),
    )


def test_memory_a_burst_of_long_inputs_took_comes_back_once_idle(demo_models) -> None:
    port = free_port()
    process = serve(
        demo_models / "demo-zh-en",
        port,
        inter_threads="2",
        max_batch_tokens="65536",  # whole calls per batch: the burst's peak is large
        max_queue_tokens="200000",
    )
    address = f"127.0.0.1:{port}"
    try:
        wait_serving(address, 60, process)
        with grpc.insecure_channel(address) as channel:
            stub = worker_pb2_grpc.WorkerStub(channel)
            short = stub.Translate(_request(SENTENCE, 1, max_decoding_length=1), timeout=60)
            long_text = SENTENCE * (240 // short.hypotheses[0].input_tokens)  # ≤ 256 tokens
            before = _status_mb(process.pid, "VmRSS")
            long = dict(beam_size=8, max_decoding_length=256, min_decoding_length=256)
            calls = [
                stub.Translate.future(_request(long_text, 32, **long), timeout=300)
                for _ in range(2)
            ]
            replies = [call.result() for call in calls]
            peak = _status_mb(process.pid, "VmHWM")
            bound = before + KEPT * (peak - before)
            deadline = time.monotonic() + 60  # a guard against a hang, not the measure
            while (now := _status_mb(process.pid, "VmRSS")) > bound:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
    finally:
        process.kill()
        process.wait(30)
    assert all(h.output_tokens == 256 for r in replies for h in r.hypotheses)
    assert peak - before >= GROWTH_MB, f"the burst grew RSS by {peak - before:.0f} MB only"
    assert now <= bound, (
        f"RSS {before:.0f} MB before the burst, {peak:.0f} at its peak, still {now:.0f} once idle"
    )
