"""Concurrent misses of different requests to one pool go out as one worker call (merging),
each request getting exactly its own results; with merging off, one worker call each. Counted
from the worker's and the router's Prometheus metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator

from prometheus_client import REGISTRY

from duta.client import Client
from duta.common.logging import RequestIdFilter, request_id
from duta.router import RouterSettings, WorkerEndpoint
from duta.router.types import Request
from tests.conftest import running_router

MODEL = "demo-ko-en"
SENTENCES = [f"{n}번째 요청의 문장입니다." for n in range(12)]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def worker_calls(code: str = "OK") -> float:
    return sample("duta_worker_requests_total", model=MODEL, code=code)


def merged_calls() -> tuple[float, float]:
    """(worker calls, requests they served), from the router's histogram."""
    count = sample("duta_router_worker_call_requests_count", model=MODEL)
    return count, sample("duta_router_worker_call_requests_sum", model=MODEL)


def request() -> Request:
    return Request(
        texts=["x"], source="ko", target="en", beam_size=0, use_cache=False, hints=(), tier=0,
        pivot=True, escalation_threshold=0.0, return_sentences=False,
    )  # fmt: skip


def router(loop, workers, detector, **overrides):
    settings = RouterSettings(
        host="127.0.0.1",
        port=0,
        workers=(WorkerEndpoint(address=workers.address(MODEL)),),
        detector_ngram=False,
        merge_max_sentence_ms=600_000,  # a loaded machine's slow calls must not turn merging off
        **{"merge_worker_calls": True, **overrides},  # opt-in
    )
    return running_router(loop, settings, detector)


def run_together(loop, router, parts: list[list[str]]) -> list[list[str]]:
    """Every part as a hop of its own request (id `req<n>`), started in one go on the router's
    event loop (the in-process worker answers on that loop too: all are queued before it)."""
    runner = router.servicer.pipeline.runner
    hop = router.table.plan("ko", "en").hops[0]

    async def one(n: int, part: list[str]):
        request_id.set(f"req{n}")
        return await runner.run_hop(hop, part, request())

    async def together():
        return await asyncio.gather(*(one(n, p) for n, p in enumerate(parts)))

    return [[r.text for r, _ in results] for results in loop.run(together())]


@contextlib.contextmanager
def worker_log_ids() -> Iterator[list[str]]:
    """The request ids on the worker's log lines (its DEBUG line per call), as logged."""
    ids: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.addFilter(RequestIdFilter())
    handler.emit = lambda record: ids.append(record.request_id)  # type: ignore[method-assign]
    log = logging.getLogger("duta.worker.servicer")
    level = log.level
    log.setLevel(logging.DEBUG)
    log.addHandler(handler)
    try:
        yield ids
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def test_concurrent_misses_go_out_as_one_call_each_request_its_own(
    loop_thread, workers, detector
) -> None:
    parts = [SENTENCES[0:1], SENTENCES[1:3], SENTENCES[3:4], SENTENCES[4:7], SENTENCES[7:8]]
    with router(loop_thread, workers, detector, worker_calls_per_replica=1) as r:
        alone = [run_together(loop_thread, r, [p])[0] for p in parts]  # one at a time
        calls, (count, served) = worker_calls(), merged_calls()
        with worker_log_ids() as ids:
            merged = run_together(loop_thread, r, parts)
    assert merged == alone  # each request exactly its own sentences' results, in order
    # the first went out at once; the other four waited for it and went out as one call
    assert worker_calls() == calls + 2
    assert merged_calls() == (count + 2, served + len(parts))
    assert sample("duta_router_worker_calls_waiting") == 0
    assert ids == ["req0", "req1+req2+req3+req4"]  # the worker's log names every request


def test_with_merging_off_each_request_makes_its_own_call(loop_thread, workers, detector) -> None:
    parts = [[s] for s in SENTENCES[:6]]
    with router(loop_thread, workers, detector, merge_worker_calls=False) as r:
        calls, before = worker_calls(), merged_calls()
        run_together(loop_thread, r, parts)
    assert worker_calls() == calls + len(parts)
    assert merged_calls() == before  # no merger at all


def test_one_bad_request_does_not_fail_the_others_merged_with_it(
    loop_thread, workers, detector
) -> None:
    too_long = "가나다라마바사아자차카타파하" * 60 + "."  # over the worker's token limit
    parts = [SENTENCES[8:9], SENTENCES[9:10], [too_long], SENTENCES[10:12]]
    with router(loop_thread, workers, detector, worker_calls_per_replica=1) as r:
        runner = r.servicer.pipeline.runner
        hop = r.table.plan("ko", "en").hops[0]
        ok, refused = worker_calls(), worker_calls("INVALID_ARGUMENT")

        async def together():
            tasks = [runner.run_hop(hop, p, request()) for p in parts]
            return await asyncio.gather(*tasks, return_exceptions=True)

        results = loop_thread.run(together())
    assert [type(r).__name__ for r in results] == ["list", "list", "TextTooLong", "list"]
    assert [len(r) for r in results if isinstance(r, list)] == [1, 1, 2]
    # the first alone; the merged call of the other three refused; then each of those alone
    assert worker_calls() == ok + 3
    assert worker_calls("INVALID_ARGUMENT") == refused + 2


def test_merged_through_the_public_api(loop_thread, workers, detector) -> None:
    """Real clients, concurrent: every caller gets an answer to its own text."""
    with (
        router(loop_thread, workers, detector, worker_calls_per_replica=1) as r,
        Client(f"127.0.0.1:{r.service.port}") as client,
    ):
        barrier = threading.Barrier(8)
        answers: dict[int, str] = {}

        def call(i: int) -> None:
            barrier.wait()
            [answer] = client.translate([SENTENCES[i]], "en", source="ko", no_cache=True)
            answers[i] = answer.text

        threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        alone = [run_together(loop_thread, r, [[s]])[0][0] for s in SENTENCES[:8]]
    assert answers == dict(enumerate(alone))
