"""The worker's dynamic batching over real gRPC with a real tiny CTranslate2 model.

The CTranslate2 thread pool is held busy with a gate (a plain job on the servicer's executor)
where a test needs work to stay queued; nothing about the model or the server is faked.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from duta.v1 import worker_pb2, worker_pb2_grpc
from tests.conftest import running_worker

GREEDY = worker_pb2.DecodingOptions(beam_size=1)


@contextlib.contextmanager
def held(servicer) -> Iterator[threading.Event]:
    """Keeps the (one-thread) CTranslate2 pool busy until the yielded gate is set."""
    gate = threading.Event()
    servicer.executor.submit(gate.wait, 60)
    try:
        yield gate
    finally:
        gate.set()


def wait_until(predicate, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.01)


def request(sentences, **options) -> worker_pb2.WorkerTranslateRequest:
    return worker_pb2.WorkerTranslateRequest(
        sentences=sentences,
        source_language="zh-Hans",
        target_language="en",
        options=worker_pb2.DecodingOptions(beam_size=1, **options),
    )


SENTENCES = [
    ("今天天气很好" * (1 + i % 7)) + "。" + ("我们明天去北京吧" * (i % 3)) for i in range(64)
]


def test_64_concurrent_callers_each_get_their_own_result(loop_thread, demo_models) -> None:
    model = demo_models / "demo-zh-en"
    with (
        running_worker(loop_thread, model, inter_threads=2) as (addr, svc),
        grpc.insecure_channel(addr) as channel,
    ):
        stub = worker_pb2_grpc.WorkerStub(channel)
        alone = [stub.Translate(request([s])).hypotheses[0] for s in SENTENCES]
        before = svc.batcher.stats.batches
        barrier = threading.Barrier(len(SENTENCES))

        def call(sentence: str) -> worker_pb2.Hypothesis:
            barrier.wait()
            return stub.Translate(request([sentence])).hypotheses[0]

        with ThreadPoolExecutor(len(SENTENCES)) as pool:
            together = list(pool.map(call, SENTENCES))
        batches = svc.batcher.stats.batches - before
    assert len({h.input_tokens for h in alone}) > 5  # the callers' lengths differ
    for mine, reference in zip(together, alone, strict=True):
        assert (mine.text, mine.input_tokens, mine.output_tokens) == (
            reference.text,
            reference.input_tokens,
            reference.output_tokens,
        )
        assert mine.score <= 0
    assert batches < len(SENTENCES)  # calls shared batches


def test_full_queue_budget_is_resource_exhausted_with_a_retry_hint(
    loop_thread, demo_models
) -> None:
    model = demo_models / "demo-zh-en"
    with (
        running_worker(loop_thread, model, inter_threads=1, max_queue_tokens=40) as (addr, svc),
        grpc.insecure_channel(addr) as channel,
    ):
        stub = worker_pb2_grpc.WorkerStub(channel)
        with held(svc) as gate:
            accepted = stub.Translate.future(request(["今天天气很好。" * 3]))
            wait_until(lambda: svc.batcher.inflight_tokens > 0)
            with pytest.raises(grpc.RpcError) as info:
                stub.Translate(request(["我们明天去北京吧。" * 3]), timeout=10)
            gate.set()
            assert accepted.result(timeout=30).hypotheses[0].text
        later = stub.Translate(request(["我们明天去北京吧。" * 3]), timeout=30)
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "queue is full" in info.value.details() and "retry after" in info.value.details()
    trailing = dict(info.value.trailing_metadata() or ())
    assert int(trailing["retry-after-ms"]) > 0
    assert later.hypotheses[0].text


def test_cancelled_and_expired_work_is_never_computed(loop_thread, demo_models) -> None:
    with running_worker(loop_thread, demo_models / "demo-zh-en", inter_threads=1) as (addr, svc):
        stats = svc.batcher.stats
        with grpc.insecure_channel(addr) as channel:
            stub = worker_pb2_grpc.WorkerStub(channel)
            computed, dropped = stats.computed_sentences, stats.dropped_sentences
            with held(svc) as gate:
                running = stub.Translate.future(request(["你好。"]))
                wait_until(lambda: svc.batcher.inflight_sentences == 1)
                # its deadline must pass while it waits, but not before it arrives: 3 s leaves
                # a busy machine time to deliver it (0.5 s did not always)
                expiring = stub.Translate.future(request(["今天天气很好。"] * 3), timeout=3)
                cancelled = stub.Translate.future(request(["我们明天去北京吧。"] * 4))
                wait_until(lambda: svc.batcher.inflight_sentences == 8)
                cancelled.cancel()
                with pytest.raises(grpc.RpcError) as info:
                    expiring.result(timeout=30)
                wait_until(lambda: svc.batcher.inflight_sentences == 1)
                gate.set()
                assert running.result(timeout=30).hypotheses[0].text
            assert stub.Translate(request(["再见。"]), timeout=30).hypotheses[0].text
            wait_until(lambda: stats.dropped_sentences - dropped == 7)
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert stats.computed_sentences - computed == 2  # "你好。" and "再见。" only


def test_options_are_applied_and_length_is_guarded(loop_thread, demo_models) -> None:
    model = demo_models / "demo-zh-en"
    with (
        running_worker(loop_thread, model, inter_threads=1, max_decoding_length=30) as (addr, _),
        grpc.insecure_channel(addr) as channel,
    ):
        stub = worker_pb2_grpc.WorkerStub(channel)
        fixed = stub.Translate(request(["你好。"], max_decoding_length=12, min_decoding_length=12))
        capped = stub.Translate(request(["你好。"], max_decoding_length=500))
        relative = stub.Translate(request(["你好。", "今天天气很好。" * 8]))
    assert fixed.hypotheses[0].output_tokens == 12
    assert capped.hypotheses[0].output_tokens <= 30  # the worker's absolute cap wins
    short, long = relative.hypotheses
    # The demo model never ends a sentence: each stops at its own limit, ratio × input + extra.
    assert short.output_tokens == int(1.5 * short.input_tokens) + 10
    assert long.output_tokens == 30 and long.input_tokens > short.input_tokens
    assert all(h.score <= 0 for h in relative.hypotheses)
