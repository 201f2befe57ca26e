"""Dynamic batching: sentences of all in-flight calls share one queue and one set of batches.

A call's sentences are queued as `Pending` items, each with its own future. One loop takes
a free Translator replica (a slot), forms a batch from the queue and runs it on the thread
pool; up to `slots` batches run at once. The loop waits for a batch to fill (up to
`max_wait`) only while other batches are running: an idle worker starts at once. Items of a
caller that cancelled, or whose deadline passed, are dropped, never computed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

from duta.common.errors import DeadlineExceeded, Overloaded, ServiceUnavailable
from duta.worker import metrics
from duta.worker.engine import DecodeOptions, Encoded, Hypothesis

logger = logging.getLogger(__name__)

TranslateFn = Callable[[Sequence[Encoded], DecodeOptions], list[Hypothesis]]


class QueueFull(Overloaded):
    """The queued token budget is full; `retry_after` is a hint in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(eq=False)
class _Call:
    """The sentences of one call still to be computed."""

    remaining: int


@dataclass(eq=False)
class Pending:
    """One queued sentence."""

    encoded: Encoded
    options: DecodeOptions
    key: Hashable  # sentences with equal keys may share a batch
    future: asyncio.Future[Hypothesis]
    deadline: float | None  # time.monotonic() seconds
    call: _Call  # the call it belongs to

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


@dataclass(frozen=True)
class BatcherConfig:
    """How batches are formed."""

    slots: int  # batches that may run at once (Translator replicas)
    max_batch_tokens: int
    max_wait: float  # seconds
    max_queue_tokens: int
    batching: bool = True  # False: one call per batch, one batch at a time (the naive server)


class Batcher:
    """Queues sentences from concurrent calls and runs them in shared batches."""

    def __init__(
        self, translate: TranslateFn, executor: Executor, config: BatcherConfig, model_id: str
    ) -> None:
        self._translate = translate
        self._executor = executor
        self.config = config
        self.slots = config.slots if config.batching else 1
        self.model_id = model_id
        self.stats = BatcherStats()
        self._queue: deque[Pending] = deque()
        self._queued_tokens = 0
        self._inflight_tokens = 0
        self._inflight_sentences = 0
        self._running = 0
        self._rate = 0.0  # source tokens/s of one replica, smoothed; for the retry hint
        # Calls just answered whose callers have not sent their next call yet, and until when
        # they are expected back: callers answered by one batch come back together, so a free
        # replica waits for them instead of starting a fragment of their next batch (which
        # would then stay fragmented).
        self._awaited = 0
        self._awaited_until = -math.inf
        self._split = False  # the last batch left the rest of the queue to another free replica
        self._closing = False
        self._work = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._free = asyncio.Semaphore(self.slots)
        self._loop_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """Starts the batching loop on the running event loop."""
        self._loop_task = asyncio.get_running_loop().create_task(self._run(), name="batcher")

    async def translate(
        self, encoded: Sequence[Encoded], options: DecodeOptions, deadline: float | None = None
    ) -> list[Hypothesis]:
        """Queues one call's sentences and waits for their hypotheses, in order.

        Raises:
            QueueFull: the queued token budget is full (RESOURCE_EXHAUSTED).
            ServiceUnavailable: the worker is shutting down.
            DeadlineExceeded: the deadline passed before the sentences were computed.
        """
        tokens = sum(len(e.tokens) for e in encoded)
        self._admit(tokens)
        loop = asyncio.get_running_loop()
        key: Hashable = options if self.config.batching else object()
        futures = []
        call = _Call(len(encoded))
        for item in encoded:
            future: asyncio.Future[Hypothesis] = loop.create_future()
            pending = Pending(item, options, key, future, deadline, call)
            future.add_done_callback(functools.partial(self._on_done, pending.n_tokens))
            self._queue.append(pending)
            futures.append(future)
        self._queued_tokens += tokens
        self._inflight_tokens += tokens
        self._awaited = max(0, self._awaited - 1)
        self._inflight_sentences += len(futures)
        metrics.INFLIGHT_TOKENS.labels(self.model_id).set(self._inflight_tokens)
        self._idle.clear()
        self._work.set()
        try:
            return list(await asyncio.gather(*futures))
        except BaseException:
            for future in futures:  # a failed or cancelled call leaves nothing to compute
                future.cancel()
            raise

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

    def retry_after(self) -> float:
        """Seconds until the queued work is likely done (a hint for rejected callers)."""
        rate = self._rate * self.slots
        seconds = self._inflight_tokens / rate if rate > 0 else 1.0
        return min(30.0, max(0.05, seconds))

    def _on_done(self, n_tokens: int, _future: asyncio.Future[Hypothesis]) -> None:
        self._finished(n_tokens)

    def _finished(self, n_tokens: int) -> None:
        self._inflight_tokens -= n_tokens
        self._inflight_sentences -= 1
        metrics.INFLIGHT_TOKENS.labels(self.model_id).set(self._inflight_tokens)
        if self._inflight_sentences == 0:
            self._idle.set()

    async def drain(self) -> None:
        """Refuses new calls and waits until every accepted sentence is finished."""
        self._closing = True
        await self._idle.wait()

    async def close(self) -> None:
        """Stops the loop; queued futures are cancelled."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        for item in self._queue:
            item.future.cancel()
        self._queue.clear()

    async def _run(self) -> None:
        while True:
            await self._free.acquire()
            try:
                batch = await self._next_batch()
            except BaseException:
                self._free.release()
                raise
            self._running += 1
            task = asyncio.get_running_loop().create_task(self._execute(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _next_batch(self) -> list[Pending]:
        while True:
            while not self._queue:
                self._work.clear()
                await self._work.wait()
            await self._fill()
            batch = self._take()
            metrics.QUEUE_SENTENCES.labels(self.model_id).set(len(self._queue))
            if batch:
                return batch

    async def _fill(self) -> None:
        """Waits for more sentences when more are likely to come soon.

        More are likely while other batches run (their callers, and new ones, keep arriving):
        then it waits up to `max_wait`. Right after calls were answered their callers are likely
        to send their next calls: then it waits until as many calls have arrived, for at most
        `max_wait` or a tenth of the last batch's compute time, whichever is longer. An idle
        worker starts at once: a lone request never waits for the window.
        """
        wait = self.config.max_wait
        if wait <= 0 or not self.config.batching or self._split:
            self._split = False
            return
        now = time.monotonic()
        returning = self._awaited > 0 and now < self._awaited_until
        deadline = self._awaited_until if returning else now + wait
        while self._queued_tokens < self.config.max_batch_tokens:
            if (self._awaited == 0) if returning else not self._running:
                return  # the answered callers are back, or nothing runs that others wait on
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._work.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._work.wait(), remaining)

    def _target_tokens(self) -> float:
        if not self.config.batching:
            return math.inf  # the whole call, as the naive server would run it
        # Spread what is queued over the free replicas so none idles while another works, and
        # no batch takes more than its replica's share of all the work in flight: callers that
        # come back in step (one sentence per call) then even out over the replicas instead of
        # keeping one big and one small batch forever.
        free = max(1, self.slots - self._running)
        share = math.ceil(self._queued_tokens / free)
        fair = math.ceil(self._inflight_tokens / self.slots)
        return min(self.config.max_batch_tokens, share, fair)

    def _take(self) -> list[Pending]:
        """Pops the next batch: the oldest live item's key, FIFO, up to the token target."""
        now = time.monotonic()
        target = self._target_tokens()
        batch: list[Pending] = []
        keep: deque[Pending] = deque()
        tokens = 0
        while self._queue:
            item = self._queue.popleft()
            self._queued_tokens -= item.n_tokens
            reason = item.dead(now)
            if reason is not None:
                self._drop(item, reason)
                continue
            fits = not batch or tokens + item.n_tokens <= target
            if fits and (not batch or item.key == batch[0].key):
                batch.append(item)
                tokens += item.n_tokens
                continue
            keep.append(item)
            self._queued_tokens += item.n_tokens
            if tokens >= target:
                break
        keep.extend(self._queue)
        self._split = bool(keep) and self._running + 1 < self.slots  # for another free replica
        self._queue = keep
        return batch

    def _drop(self, item: Pending, reason: str) -> None:
        self.stats.dropped_sentences += 1
        metrics.DROPPED.labels(self.model_id, reason).inc()
        if not item.future.done():
            item.future.set_exception(
                DeadlineExceeded("the deadline passed before the sentence was translated")
            )

    def _compute(self, batch: list[Pending]) -> tuple[list[Pending], list[Hypothesis], float]:
        """Runs on a worker thread: last liveness check, then one CTranslate2 call."""
        now = time.monotonic()
        alive = [item for item in batch if item.dead(now) is None]
        if not alive:
            return alive, [], 0.0
        alive.sort(key=lambda item: item.n_tokens)  # neighbours of similar length: less padding
        started = time.perf_counter()
        hyps = self._translate([item.encoded for item in alive], alive[0].options)
        return alive, hyps, time.perf_counter() - started

    async def _execute(self, batch: list[Pending]) -> None:
        loop = asyncio.get_running_loop()
        try:
            alive, hyps, seconds = await loop.run_in_executor(self._executor, self._compute, batch)
        except Exception as exc:  # a CTranslate2 failure fails this batch's callers only
            logger.exception("batch of %d sentences failed", len(batch))
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        finally:
            self._running -= 1
            self._free.release()
            self._work.set()  # a batch waiting to fill while this one ran need wait no longer
        computed = {id(item) for item in alive}
        for item in batch:
            if id(item) not in computed:
                self._drop(item, "cancelled" if item.future.done() else "deadline")
        answered = 0
        for item, hyp in zip(alive, hyps, strict=True):
            if not item.future.done():
                item.future.set_result(hyp)
                item.call.remaining -= 1
                answered += item.call.remaining == 0
        if alive:
            self._expect_returns(answered, seconds)
            self._record(alive, hyps, seconds)

    def _expect_returns(self, calls: int, seconds: float) -> None:
        """`calls` were just answered: their callers may well send their next calls at once.

        Counted here, before any other task runs, so that the next batch formed sees them.
        """
        now = time.monotonic()
        self._awaited = (self._awaited if now < self._awaited_until else 0) + calls
        self._awaited_until = now + max(self.config.max_wait, seconds / 10)

    def _record(self, alive: list[Pending], hyps: list[Hypothesis], seconds: float) -> None:
        lengths = [item.n_tokens for item in alive]
        tokens_in = sum(lengths)
        self.stats.batches += 1
        self.stats.computed_sentences += len(alive)
        if seconds > 0:
            rate = tokens_in / seconds
            self._rate = rate if self._rate == 0 else 0.8 * self._rate + 0.2 * rate
        model = self.model_id
        metrics.SENTENCES.labels(model).inc(len(alive))
        metrics.TOKENS_IN.labels(model).inc(tokens_in)
        metrics.TOKENS_OUT.labels(model).inc(sum(h.output_tokens for h in hyps))
        metrics.BATCH_SENTENCES.labels(model).observe(len(alive))
        metrics.BATCH_PADDING.labels(model).observe(1 - tokens_in / (max(lengths) * len(lengths)))
