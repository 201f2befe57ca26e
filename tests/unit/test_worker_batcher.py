"""The asyncio batcher around the schedule, driven by a fake clock and a hand-run executor.

Nothing here sleeps or reads the wall clock: a batch runs when the test runs it
(`ManualExecutor`), time moves when the test moves it (`FakeClock`), and the test waits on
the events those two raise (a batch submitted, the batcher waiting until a given time).
The hypothesis text is the sentence's first token, so every caller can check it got its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from duta.worker.batcher import Batcher, BatcherConfig, QueueFull
from duta.worker.engine import DecodeOptions, Encoded, Hypothesis

GREEDY = DecodeOptions(beam_size=1)


class FakeClock:
    """A clock the test moves; `waits` receives each time the batcher waits until."""

    def __init__(self) -> None:
        self.time = 0.0
        self.waits: asyncio.Queue[float | None] = asyncio.Queue()
        self._timers: list[tuple[float, asyncio.Event]] = []

    def now(self) -> float:
        return self.time

    async def wait(self, event: asyncio.Event, until: float | None) -> None:
        self.waits.put_nowait(until)
        timer = asyncio.Event()
        if until is not None:
            self._timers.append((until, timer))
        waiters = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(timer.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    def advance(self, seconds: float) -> None:
        self.time += seconds
        for until, timer in self._timers:
            if until <= self.time:
                timer.set()


class Job:
    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn, self.args = fn, args
        self.future: concurrent.futures.Future[Any] = concurrent.futures.Future()

    @property
    def batch(self) -> list[str]:
        return [item.encoded.tokens[0] for item in self.args[0]]

    def run(self) -> None:
        try:
            self.future.set_result(self.fn(*self.args))
        except Exception as exc:
            self.future.set_exception(exc)


class ManualExecutor(concurrent.futures.Executor):
    """Queues submitted batches; the test runs them (on the event loop's thread)."""

    def __init__(self) -> None:
        self.jobs: asyncio.Queue[Job] = asyncio.Queue()

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        job = Job(fn, args)
        self.jobs.put_nowait(job)
        return job.future


def echo(batch, options) -> list[Hypothesis]:
    return [Hypothesis(e.tokens[0], -1.0, len(e.tokens), 1) for e in batch]


def sentence(name: str, length: int = 3) -> Encoded:
    return Encoded([name] + ["x"] * (length - 1), None)


def run(
    test: Callable[..., Coroutine[Any, Any, Any]], translate=echo, release=None, **config: Any
) -> Any:
    """Runs `test(batcher, clock, executor)` with a fresh batcher; times out, never hangs."""
    settings = {"slots": 1, "max_batch_cost": 100, "max_wait": 0.02, "max_queue_tokens": 1000}
    settings.update(config)

    async def main() -> Any:
        clock, executor = FakeClock(), ManualExecutor()
        batcher = Batcher(translate, executor, BatcherConfig(**settings), "unit", clock, release)
        batcher.start()
        try:
            return await test(batcher, clock, executor)
        finally:
            await batcher.close()

    return asyncio.run(asyncio.wait_for(main(), 30))


def call(batcher: Batcher, *names: str, options=GREEDY, **kw: Any) -> asyncio.Future[Any]:
    """Queues a call at once (no turn of the loop needed); its results, in order."""
    futures = batcher.submit([sentence(n) for n in names], options, **kw)
    return asyncio.gather(*futures)


async def next_wait(clock: FakeClock) -> float:
    """The next time the batcher decides to wait until (skipping its waits for work)."""
    while (until := await clock.waits.get()) is None:
        pass
    return until


async def past_the_wait(clock: FakeClock) -> None:
    """Moves the clock to the end of the batcher's next timed wait (for a caller it just
    answered, who in these tests never calls again)."""
    clock.advance(await next_wait(clock) - clock.time)


def test_an_idle_worker_starts_a_lone_sentence_at_once() -> None:
    async def test(batcher, clock, executor):
        pending = call(batcher, "a")
        job = await executor.jobs.get()  # formed with the clock standing still
        job.run()
        return job.batch, (await pending)[0].text, clock.time

    assert run(test, slots=2) == (["a"], "a", 0.0)


def test_calls_queued_while_busy_share_one_batch_and_get_their_own_results() -> None:
    async def test(batcher, clock, executor):
        first = call(batcher, "first")
        running = await executor.jobs.get()
        later = [call(batcher, f"s{i}") for i in range(20)]
        running.run()
        await past_the_wait(clock)
        shared = await executor.jobs.get()
        shared.run()
        results = await asyncio.gather(*later)
        await first
        return shared.batch, [r[0].text for r in results]

    batch, texts = run(test, max_batch_cost=1000)
    assert sorted(batch) == sorted(f"s{i}" for i in range(20))
    assert texts == [f"s{i}" for i in range(20)]


def test_a_free_replica_waits_for_its_share_at_most_max_wait() -> None:
    async def test(batcher, clock, executor):
        first = call(batcher, *(f"a{i}" for i in range(4)))
        call(batcher, *(f"b{i}" for i in range(4)))
        one, two = await executor.jobs.get(), await executor.jobs.get()  # one call each
        one.run()
        await first  # one replica free, four sentences still running on the other
        call(batcher, "late")
        # In flight: late 3 + running 12 + the answered call 12 (expected back) = 27; share 14.
        assert await next_wait(clock) == pytest.approx(0.02)
        assert executor.jobs.empty()
        clock.advance(0.02)
        late = await executor.jobs.get()
        two.run()
        late.run()
        return one.batch, late.batch

    assert run(test, slots=2) == (["a0", "a1", "a2", "a3"], ["late"])


def test_callers_a_batch_answered_are_expected_back_before_the_next_batch_forms() -> None:
    # Both replicas end at once with a straggler queued. The answered callers must count as
    # work in flight when the freed replicas plan; planning before they are counted started
    # the straggler alone (a batch of one, then the callers in another), which is what cut
    # the 32-client runs' batches to 14 of 16 and doubled their tail.
    async def test(batcher, clock, executor):
        first = call(batcher, *(f"a{i}" for i in range(4)))
        second = call(batcher, *(f"b{i}" for i in range(4)))
        one, two = await executor.jobs.get(), await executor.jobs.get()
        call(batcher, "s")  # a straggler, queued while both replicas run
        one.run()
        two.run()
        await asyncio.gather(first, second)
        assert executor.jobs.empty()  # waiting for the answered callers, not running "s"
        call(batcher, *(f"c{i}" for i in range(4)))  # one caller's next call
        return (await executor.jobs.get()).batch

    # Nine sentences in flight (the straggler, four back, four expected): a share is five
    # sentences' cost rounded down to whole sentences, the straggler first (FIFO).
    assert run(test, slots=2, max_wait=3600.0) == ["s", "c0", "c1", "c2"]


def test_batches_respect_the_cost_budget_and_never_mix_options() -> None:
    async def test(batcher, clock, executor):
        held = call(batcher, "held")
        first = await executor.jobs.get()
        greedy = call(batcher, *(f"g{i}" for i in range(5)))  # 3 tokens each
        beamed = call(batcher, "b", options=DecodeOptions(beam_size=4))  # costs 3 × 4 = 12
        first.run()
        batches = []
        for _ in range(3):
            job = await executor.jobs.get()
            batches.append(job.batch)
            job.run()
        await asyncio.gather(held, greedy, beamed)
        return batches

    # Budget 9: three greedy sentences, then the other two; the beam-4 one alone (it costs 12,
    # more than the budget, and still runs: one sentence always fits).
    assert run(test, max_batch_cost=9) == [["g0", "g1", "g2"], ["g3", "g4"], ["b"]]


def test_queue_budget_rejects_at_once_with_a_retry_hint() -> None:
    async def test(batcher, clock, executor):
        held = call(batcher, "a")
        job = await executor.jobs.get()
        with pytest.raises(QueueFull) as info:
            await batcher.translate([sentence("b", 8)], GREEDY)
        job.run()
        await held
        after = call(batcher, "c")  # the budget is free again
        (await executor.jobs.get()).run()
        return info.value, (await after)[0].text

    error, after = run(test, max_queue_tokens=10)
    assert "queue is full" in str(error) and error.retry_after > 0
    assert after == "c"


def test_cancelled_and_expired_sentences_are_never_computed() -> None:
    async def test(batcher, clock, executor):
        held = call(batcher, "held")
        first = await executor.jobs.get()
        cancelled = call(batcher, "cancelled")
        expired = call(batcher, "expired", deadline=1.0)
        kept = call(batcher, "kept")
        cancelled.cancel()
        clock.advance(1.0)
        first.run()
        await past_the_wait(clock)
        second = await executor.jobs.get()
        second.run()
        await asyncio.gather(held, kept)
        with pytest.raises(Exception, match="deadline"):
            await expired
        return second.batch, batcher.stats.dropped_sentences

    assert run(test) == (["kept"], 2)


def test_without_batching_each_call_is_its_own_batch() -> None:
    async def test(batcher, clock, executor):
        calls = [call(batcher, f"c{i}", f"d{i}") for i in range(4)]
        batches = []
        for _ in calls:
            job = await executor.jobs.get()
            batches.append(job.batch)
            job.run()
        await asyncio.gather(*calls)
        return batches

    assert run(test, slots=2, batching=False) == [[f"c{i}", f"d{i}"] for i in range(4)]


def test_a_failing_batch_fails_its_callers_only() -> None:
    def fragile(batch, options):
        if any(e.tokens[0] == "bad" for e in batch):
            raise RuntimeError("model failure")
        return echo(batch, options)

    async def test(batcher, clock, executor):
        bad = call(batcher, "bad")
        (await executor.jobs.get()).run()
        with pytest.raises(RuntimeError):
            await bad
        good = call(batcher, "good")
        (await executor.jobs.get()).run()
        return (await good)[0].text

    assert run(test, translate=fragile) == "good"


def test_drain_refuses_new_calls_and_finishes_accepted_ones() -> None:
    async def test(batcher, clock, executor):
        accepted = call(batcher, "accepted")
        job = await executor.jobs.get()
        drained = asyncio.ensure_future(batcher.drain())  # refusing from this line on
        with pytest.raises(Exception, match="shutting down"):
            call(batcher, "late")
        assert not drained.done()
        job.run()
        await drained
        return (await accepted)[0].text

    assert run(test) == "accepted"


def test_memory_is_released_when_the_worker_goes_idle_and_not_before() -> None:
    released = threading.Event()

    async def test(batcher, clock, executor):
        first = call(batcher, "a")
        one = await executor.jobs.get()
        second = call(batcher, "b")
        one.run()  # "b" is queued: not idle yet
        await first
        await past_the_wait(clock)
        two = await executor.jobs.get()
        assert not released.is_set()
        two.run()
        await second
        await asyncio.get_running_loop().run_in_executor(None, released.wait, 30)
        return released.is_set()

    assert run(test, release=released.set)
