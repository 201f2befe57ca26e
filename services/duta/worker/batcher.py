"""Dynamic batching: the sentences of all in-flight calls share one queue and one set of batches.

A call's sentences are queued as `Pending` items, each with its own future. When a Translator
replica is free, the `Schedule` (duta.worker.schedule, where the whole rule is stated) says
which batch it runs now, or until when to wait for more; the batch runs on the thread pool.
Items of a caller that cancelled, or whose deadline passed, are dropped, never computed.

Time comes from an injected `Clock`, so tests drive the batcher with a fake one: no sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Coroutine, Hashable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol

from duta.common.errors import DeadlineExceeded, Overloaded, ServiceUnavailable
from duta.worker import metrics
from duta.worker.engine import DecodeOptions, Encoded, Hypothesis
from duta.worker.schedule import Schedule

logger = logging.getLogger(__name__)

TranslateFn = Callable[[Sequence[Encoded], DecodeOptions], list[Hypothesis]]


class QueueFull(Overloaded):
    """The queued token budget is full; `retry_after` is a hint in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Clock(Protocol):
    """Where the batcher reads the time and waits for it."""

    def now(self) -> float:
        """Seconds on a monotonic clock (any thread may call it)."""

    async def wait(self, event: asyncio.Event, until: float | None) -> None:
        """Returns once `event` is set or the clock reaches `until` (None: no time limit)."""


class MonotonicClock:
    """The real clock: time.monotonic()."""

    def now(self) -> float:
        return time.monotonic()

    async def wait(self, event: asyncio.Event, until: float | None) -> None:
        if until is None:
            await event.wait()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(0.0, until - self.now()))


@dataclass(eq=False)
class _Call:
    """One call's sentences: how many are still to be answered, and their cost."""

    remaining: int
    cost: int = 0


@dataclass(eq=False)
class Pending:
    """One queued sentence."""

    encoded: Encoded
    options: DecodeOptions
    key: Hashable  # sentences with equal keys may share a batch
    future: asyncio.Future[Hypothesis]
    deadline: float | None  # clock seconds
    enqueued: float  # clock seconds
    call: _Call
    cost: int = field(init=False)

    def __post_init__(self) -> None:
        self.cost = self.n_tokens * self.options.beam_size
        self.call.cost += self.cost

    @property
    def n_tokens(self) -> int:
        """Source tokens of the sentence."""
        return len(self.encoded.tokens)

    def dead(self, now: float) -> str | None:
        """Why the item must not be computed (`cancelled`, `deadline`), or None."""
        if self.future.done():  # cancelled by its caller (safe to read from any thread)
            return "cancelled"
        if self.deadline is not None and now >= self.deadline:
            return "deadline"
        return None


@dataclass
class BatcherStats:
    """Counters of one batcher (the Prometheus metrics aggregate; these are exact, for tests)."""

    batches: int = 0
    computed_sentences: int = 0
    dropped_sentences: int = 0
    rejected_calls: int = 0
    busy_seconds: float = 0.0  # replica time spent inside the model, all replicas together


@dataclass(frozen=True)
class BatcherConfig:
    """How batches are formed (see duta.worker.schedule)."""

    slots: int  # batches that may run at once (Translator replicas)
    max_batch_cost: int  # source tokens × beam size of one batch
    max_wait: float  # seconds
    max_queue_tokens: int
    batching: bool = True  # False: one call per batch, one batch at a time (the naive server)


class Batcher:
    """Queues sentences from concurrent calls and runs them in shared batches."""

    def __init__(
        self,
        translate: TranslateFn,
        executor: Executor,
        config: BatcherConfig,
        model_id: str,
        clock: Clock | None = None,
        release: Callable[[], object] | None = None,
    ) -> None:
        self._translate = translate
        self._executor = executor
        self.config = config
        self.slots = config.slots if config.batching else 1
        self.model_id = model_id
        self.clock: Clock = clock or MonotonicClock()
        self._release = release  # gives freed memory back; run whenever the worker idles
        self._releasing = False
        self.stats = BatcherStats()
        if config.batching:
            self._schedule: Schedule[Pending] = Schedule(
                self.slots, config.max_batch_cost, config.max_wait
            )
        else:  # the naive server: each call whole, at once, one after another
            self._schedule = Schedule(1, 2**62, 0.0)
        self._inflight_tokens = 0
        self._inflight_sentences = 0
        self._rate = 0.0  # source tokens/s of one replica, smoothed; for the retry hint
        self._closing = False
        self._work = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._loop_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """Starts the batching loop on the running event loop."""
        self._loop_task = asyncio.get_running_loop().create_task(self._run(), name="batcher")

    async def translate(
        self, encoded: Sequence[Encoded], options: DecodeOptions, deadline: float | None = None
    ) -> list[Hypothesis]:
        """Queues one call's sentences and waits for their hypotheses, in order.

        `deadline` is on the batcher's clock.

        Raises:
            QueueFull: the queued token budget is full (RESOURCE_EXHAUSTED).
            ServiceUnavailable: the worker is shutting down.
            DeadlineExceeded: the deadline passed before the sentences were computed.
        """
        futures = self.submit(encoded, options, deadline)
        try:
            return list(await asyncio.gather(*futures))
        except BaseException:
            for future in futures:  # a failed or cancelled call leaves nothing to compute
                future.cancel()
            raise

    def submit(
        self, encoded: Sequence[Encoded], options: DecodeOptions, deadline: float | None = None
    ) -> list[asyncio.Future[Hypothesis]]:
        """Queues one call's sentences now; one future per sentence (`translate` awaits them).

        Raises:
            QueueFull: the queued token budget is full.
            ServiceUnavailable: the worker is shutting down.
        """
        tokens = sum(len(e.tokens) for e in encoded)
        self._admit(tokens)
        loop = asyncio.get_running_loop()
        key: Hashable = options if self.config.batching else object()
        now = self.clock.now()
        call = _Call(len(encoded))
        items = []
        for sentence in encoded:
            future: asyncio.Future[Hypothesis] = loop.create_future()
            item = Pending(sentence, options, key, future, deadline, now, call)
            future.add_done_callback(functools.partial(self._on_done, item))
            items.append(item)
        self._schedule.push(items)
        self._inflight_tokens += tokens
        self._inflight_sentences += len(items)
        metrics.INFLIGHT_TOKENS.labels(self.model_id).set(self._inflight_tokens)
        self._idle.clear()
        self._work.set()
        return [item.future for item in items]

    def _admit(self, tokens: int) -> None:
        if self._closing:
            self.stats.rejected_calls += 1
            metrics.REJECTIONS.labels(self.model_id, "shutting_down").inc()
            raise ServiceUnavailable(
                "the worker is shutting down; retry on another worker", reason="SHUTTING_DOWN"
            )
        budget = self.config.max_queue_tokens
        if self._inflight_tokens and self._inflight_tokens + tokens > budget:
            self.stats.rejected_calls += 1
            metrics.REJECTIONS.labels(self.model_id, "queue_full").inc()
            retry = self.retry_after()
            raise QueueFull(
                f"the worker's queue is full ({self._inflight_tokens} of {budget} source tokens "
                f"in flight, this call needs {tokens}); retry after {retry:.2f}s",
                retry,
            )

    @property
    def inflight_tokens(self) -> int:
        """Source tokens accepted and not yet finished (what the queue budget counts)."""
        return self._inflight_tokens

    @property
    def inflight_sentences(self) -> int:
        """Sentences accepted and not yet finished."""
        return self._inflight_sentences

    @property
    def running(self) -> int:
        """Batches running now."""
        return self._schedule.running

    def retry_after(self) -> float:
        """Seconds until the queued work is likely done (a hint for rejected callers)."""
        rate = self._rate * self.slots
        seconds = self._inflight_tokens / rate if rate > 0 else 1.0
        return min(30.0, max(0.05, seconds))

    def _on_done(self, item: Pending, future: asyncio.Future[Hypothesis]) -> None:
        self._inflight_tokens -= item.n_tokens
        self._inflight_sentences -= 1
        metrics.INFLIGHT_TOKENS.labels(self.model_id).set(self._inflight_tokens)
        if self._inflight_sentences == 0:
            self._idle.set()

    def drain(self) -> Coroutine[Any, Any, bool]:
        """Refuses new calls from now on; await the result until every accepted one is finished."""
        self._closing = True
        return self._idle.wait()

    async def close(self) -> None:
        """Stops the loop; queued futures are cancelled."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        for item in self._schedule.clear():
            item.future.cancel()

    async def _run(self) -> None:
        schedule = self._schedule
        while True:
            wake = None
            while schedule.running < self.slots:
                plan = schedule.plan(self.clock.now())
                for item, reason in plan.dropped:
                    self._drop(item, reason)
                if not plan.batch:
                    wake = plan.wake
                    break
                self._start(plan.batch)
            metrics.QUEUE_SENTENCES.labels(self.model_id).set(len(schedule))
            self._work.clear()
            await self.clock.wait(self._work, wake)

    def _start(self, batch: list[Pending]) -> None:
        task = asyncio.get_running_loop().create_task(self._execute(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _release_if_idle(self) -> None:
        """Nothing runs or waits: a good moment to give memory back (off the event loop)."""
        if self._release is None or self._releasing or self._schedule.running or self._schedule:
            return
        self._releasing = True
        task = asyncio.get_running_loop().run_in_executor(None, self._release)
        task.add_done_callback(self._released)

    def _released(self, _future: asyncio.Future[object]) -> None:
        self._releasing = False

    def _drop(self, item: Pending, reason: str) -> None:
        self.stats.dropped_sentences += 1
        metrics.DROPPED.labels(self.model_id, reason).inc()
        if not item.future.done():
            item.future.set_exception(
                DeadlineExceeded("the deadline passed before the sentence was translated")
            )

    def _compute(self, batch: list[Pending]) -> tuple[list[Pending], list[Hypothesis], float]:
        """Runs on a worker thread: last liveness check, then one CTranslate2 call."""
        now = self.clock.now()
        alive = [item for item in batch if item.dead(now) is None]
        if not alive:
            return alive, [], 0.0
        alive.sort(key=lambda item: item.n_tokens)  # neighbours of similar length: less padding
        started = time.perf_counter()
        hyps = self._translate([item.encoded for item in alive], alive[0].options)
        return alive, hyps, time.perf_counter() - started

    async def _execute(self, batch: list[Pending]) -> None:
        loop = asyncio.get_running_loop()
        seconds = 0.0
        try:
            alive, hyps, seconds = await loop.run_in_executor(self._executor, self._compute, batch)
        except Exception as exc:  # a CTranslate2 failure fails this batch's callers only
            logger.exception("batch of %d sentences failed", len(batch))
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(exc)
            alive, hyps = [], []
        else:
            self._settle(batch, alive, hyps)
        finally:
            # The calls just answered are counted (in `_settle`, not in a future's callback)
            # before the replica counts as free: a batcher loop that plans in between would
            # see neither these sentences running nor their callers expected back, and start
            # a straggler on its own.
            self._schedule.finished(batch, seconds)
            self._work.set()
            self._release_if_idle()
        if alive:
            self._record(alive, hyps, seconds)

    def _settle(self, batch: list[Pending], alive: list[Pending], hyps: list[Hypothesis]) -> None:
        """Answers a computed batch's callers; its items not computed are dropped."""
        computed = {id(item) for item in alive}
        for item in batch:
            if id(item) not in computed:
                self._drop(item, "cancelled" if item.future.done() else "deadline")
        now = self.clock.now()
        for item, hyp in zip(alive, hyps, strict=True):
            if item.future.done():  # cancelled meanwhile
                continue
            item.future.set_result(hyp)
            item.call.remaining -= 1
            if item.call.remaining == 0:  # answered: its caller may well call again at once
                self._schedule.answered(item.call.cost, now)

    def _record(self, alive: list[Pending], hyps: list[Hypothesis], seconds: float) -> None:
        lengths = [item.n_tokens for item in alive]
        tokens_in = sum(lengths)
        self.stats.batches += 1
        self.stats.computed_sentences += len(alive)
        self.stats.busy_seconds += seconds
        if seconds > 0:
            rate = tokens_in / seconds
            self._rate = rate if self._rate == 0 else 0.8 * self._rate + 0.2 * rate
        model = self.model_id
        metrics.SENTENCES.labels(model).inc(len(alive))
        metrics.TOKENS_IN.labels(model).inc(tokens_in)
        metrics.TOKENS_OUT.labels(model).inc(sum(h.output_tokens for h in hyps))
        metrics.BATCH_SENTENCES.labels(model).observe(len(alive))
        metrics.BATCH_PADDING.labels(model).observe(1 - tokens_in / (max(lengths) * len(lengths)))
        metrics.BUSY_SECONDS.labels(model).inc(seconds)
