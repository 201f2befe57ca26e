"""The merger's rules on its own: a send the test releases call by call stands in for the
worker's gRPC call (the real worker is in tests/integration/test_router_merge.py)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import pytest

from duta.common.errors import DeadlineExceeded, InvalidArgument
from duta.router.merge import CallMerger, Caps, merged_request_id

KEY = ("ko", "en", 0)


@dataclass
class Worker:
    """Answers `sentence → SENTENCE` once the test releases the call; refuses `bad`."""

    calls: list[tuple[list[str], float, str]] = field(default_factory=list)
    gates: list[asyncio.Event] = field(default_factory=list)
    cancelled: int = 0

    async def send(self, sentences, source, target, beam, timeout, rid):
        gate = asyncio.Event()
        self.calls.append((list(sentences), timeout, rid))
        self.gates.append(gate)
        try:
            await gate.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        if "bad" in sentences:
            raise InvalidArgument("a sentence is over the token limit")
        return [s.upper() for s in sentences]

    def release(self, n: int) -> None:
        self.gates[n].set()


def merger(worker: Worker, calls: int = 1, sentences: int = 64) -> CallMerger:
    return CallMerger(worker.send, lambda: Caps(calls, sentences, 1000), len, lambda: "demo")


async def until(condition) -> None:
    while not condition():
        await asyncio.sleep(0)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def later(seconds: float = 60) -> float:
    return time.monotonic() + seconds


def test_an_idle_pool_gets_each_call_at_once() -> None:
    async def scenario():
        worker = Worker()
        m = merger(worker, calls=2)
        a = asyncio.ensure_future(m.call(["a"], KEY, later(), "r1"))
        b = asyncio.ensure_future(m.call(["b"], KEY, later(), "r2"))
        await until(lambda: len(worker.calls) == 2)  # both sent, none waited
        worker.release(0), worker.release(1)
        return await a, await b, worker.calls

    a, b, calls = run(scenario())
    assert (a, b) == (["A"], ["B"])
    assert [(c[0], c[2]) for c in calls] == [(["a"], "r1"), (["b"], "r2")]


def test_waiting_calls_go_out_as_one_each_getting_its_own_results() -> None:
    async def scenario():
        worker = Worker()
        m = merger(worker)
        first = asyncio.ensure_future(m.call(["a"], KEY, later(), "r1"))
        await until(lambda: worker.calls)
        parts = [["b", "c"], ["d"], ["e", "f", "g"]]
        rest = [
            asyncio.ensure_future(m.call(p, KEY, later(), f"q{i}")) for i, p in enumerate(parts)
        ]
        await until(lambda: sum(len(q) for q in m.queues.values()) == 3)
        worker.release(0)
        await until(lambda: len(worker.calls) == 2)
        worker.release(1)
        return await first, [await r for r in rest], worker.calls

    first, rest, calls = run(scenario())
    assert first == ["A"] and rest == [["B", "C"], ["D"], ["E", "F", "G"]]
    assert calls[1][0] == list("bcdefg") and calls[1][2] == "q0+q1+q2"


def test_a_merged_call_stays_within_the_sentence_cap() -> None:
    async def scenario():
        worker = Worker()
        m = merger(worker, sentences=3)
        first = asyncio.ensure_future(m.call(["a"], KEY, later(), "r"))
        await until(lambda: worker.calls)
        rest = [asyncio.ensure_future(m.call([s, s], KEY, later(), "r")) for s in "bcd"]
        await until(lambda: sum(len(q) for q in m.queues.values()) == 3)
        for n in range(4):  # 1 alone, then [b b] (b+c would be 4 > 3), [c c], [d d]
            await until(lambda n=n: len(worker.calls) > n)
            worker.release(n)
        await asyncio.gather(first, *rest)
        return [c[0] for c in worker.calls]

    assert run(scenario()) == [["a"], ["b", "b"], ["c", "c"], ["d", "d"]]


def test_a_waiting_call_past_its_deadline_is_dropped_others_go_on() -> None:
    async def scenario():
        worker = Worker()
        m = merger(worker)
        first = asyncio.ensure_future(m.call(["a"], KEY, later(), "r1"))
        await until(lambda: worker.calls)
        late = asyncio.ensure_future(m.call(["b"], KEY, time.monotonic() + 0.01, "r2"))
        other = asyncio.ensure_future(m.call(["c"], KEY, later(), "r3"))
        with pytest.raises(DeadlineExceeded):
            await late
        worker.release(0)
        await until(lambda: len(worker.calls) == 2)
        worker.release(1)
        return await first, await other, worker.calls

    first, other, calls = run(scenario())
    assert (first, other) == (["A"], ["C"])
    assert calls[1][0] == ["c"]  # the late one never reached the worker
    assert 50 < calls[1][1] <= 60  # the merged call runs to the latest of its deadlines


def test_cancelling_one_request_leaves_the_merged_call_to_the_others() -> None:
    async def scenario():
        worker = Worker()
        m = merger(worker)
        first = asyncio.ensure_future(m.call(["a"], KEY, later(), "r1"))
        await until(lambda: worker.calls)
        b = asyncio.ensure_future(m.call(["b"], KEY, later(), "r2"))
        c = asyncio.ensure_future(m.call(["c"], KEY, later(), "r3"))
        await until(lambda: sum(len(q) for q in m.queues.values()) == 2)
        worker.release(0)
        await until(lambda: len(worker.calls) == 2)
        b.cancel()
        await asyncio.sleep(0)
        worker.release(1)
        result = await c
        # all who wait for a merged call gone: the call itself is cancelled
        blocker = asyncio.ensure_future(m.call(["x"], KEY, later(), "r4"))
        await until(lambda: len(worker.calls) == 3)
        d = asyncio.ensure_future(m.call(["d"], KEY, later(), "r5"))
        e = asyncio.ensure_future(m.call(["e"], KEY, later(), "r6"))
        await until(lambda: sum(len(q) for q in m.queues.values()) == 2)
        worker.release(2)
        await until(lambda: len(worker.calls) == 4)
        d.cancel(), e.cancel()
        await until(lambda: worker.cancelled == 1 and m.inflight == 0)
        return await first, b.cancelled(), result, await blocker, worker.calls[3][0]

    assert run(scenario()) == (["A"], True, ["C"], ["X"], ["d", "e"])


def test_a_refused_merged_call_is_retried_request_by_request() -> None:
    async def scenario():
        worker = Worker()
        m = merger(worker)
        first = asyncio.ensure_future(m.call(["a"], KEY, later(), "r1"))
        await until(lambda: worker.calls)
        parts = [["b"], ["bad"], ["c"]]
        rest = [asyncio.ensure_future(m.call(p, KEY, later(), "r")) for p in parts]
        await until(lambda: sum(len(q) for q in m.queues.values()) == 3)
        worker.release(0)
        await until(lambda: len(worker.calls) == 2)
        worker.release(1)  # the merged call: refused
        await until(lambda: len(worker.calls) == 5)
        for n in (2, 3, 4):
            worker.release(n)
        return await asyncio.gather(first, *rest, return_exceptions=True)

    first, b, bad, c = run(scenario())
    assert (first, b, c) == (["A"], ["B"], ["C"])
    assert isinstance(bad, InvalidArgument)


def test_merged_request_ids_stay_within_64_characters() -> None:
    assert merged_request_id(["a", "b", "a"]) == "a+b"
    ids = [f"{n:016x}" for n in range(10)]
    merged = merged_request_id(ids)
    assert (
        len(merged) <= 64 and merged.startswith(ids[0] + "+" + ids[1]) and merged.endswith("more")
    )
    shown = merged.split("+")[:-1]
    assert merged.endswith(f"+{len(ids) - len(shown)}more")
    assert len(merged_request_id(["x" * 64, "y"])) <= 64


def test_a_pools_replicas_are_counted_from_its_addresses_or_its_name() -> None:
    from duta.router.channels import replica_count
    from duta.router.settings import WorkerEndpoint

    listed = WorkerEndpoint(addresses=("10.0.0.5:50052", "10.0.0.6:50052", "10.0.0.7:50052"))
    assert run(replica_count(listed)) == 3
    assert run(replica_count(WorkerEndpoint(address="127.0.0.1:50052"))) == 1
    assert run(replica_count(WorkerEndpoint(address="dns:///127.0.0.1:50052"))) == 1
    assert run(replica_count(WorkerEndpoint(address="unix:/run/worker.sock"), known=2)) == 2
    assert run(replica_count(WorkerEndpoint(address="no-such-host.invalid:1"), known=5)) == 5


def test_a_slow_model_gets_every_call_at_once() -> None:
    async def scenario():
        worker = Worker()
        m = CallMerger(worker.send, lambda: Caps(1, 64, 1000, slow=0.05), len, lambda: "demo")
        m.sentence_seconds = 0.2  # recent calls: 0.2 s a sentence, over the 0.05 s line
        calls = [asyncio.ensure_future(m.call([s], KEY, later(), "r")) for s in "abc"]
        await until(lambda: len(worker.calls) == 3)  # none waited for another
        for n in range(3):
            worker.release(n)
        return await asyncio.gather(*calls)

    assert run(scenario()) == [["A"], ["B"], ["C"]]


def test_the_seconds_per_sentence_are_learnt_from_each_call() -> None:
    async def slow(sentences, source, target, beam, timeout, rid):
        await asyncio.sleep(0.05)  # what the call takes, not a synchronisation
        return sentences

    async def scenario():
        m = CallMerger(slow, lambda: Caps(1, 64, 1000), len, lambda: "demo")
        for _ in range(3):
            await m.call(["a"], KEY, later(), "r")
        return m.sentence_seconds

    # a moving average, from 0, of calls of at least 0.05 s: at least 0.05 × (1 - 0.8³)
    assert run(scenario()) >= 0.05 * (1 - 0.8**3)
