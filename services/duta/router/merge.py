"""Merging concurrent worker calls of different requests into one call (natural batching).

Per pool: while fewer than `worker_calls_per_replica` × replicas calls are in flight, a call goes
out at once, as before (an idle router adds nothing, no timer). Beyond that, a call waits in its
queue (one per source, target and beam size); when a call to the pool returns, the oldest
queue's waiting calls go out together as one worker call, up to the worker's sentences per call
and batch token budget. Only while the pool's recent calls are quick per sentence (a cheap
model, where a call's fixed cost — gRPC on both sides, parsing, queueing — shows): a slow
model's worker batches best what reaches it at once, and a call held back in the router would
only make its batches smaller, so there every call goes out at once, as without merging.

Each request gets exactly its own sentences' results, in order. A waiting request's own
deadline bounds its wait (past it: DEADLINE_EXCEEDED, dropped from the queue); a merged call
runs until the latest of its requests' deadlines, so that none is cut short by another's.
Cancelling one request leaves the merged call to the others (the call is cancelled when none
is left waiting). A merged call refused for its input (INVALID_ARGUMENT) is retried request by
request, so one bad request cannot fail the others; other errors (UNAVAILABLE, overload) reach
every request, whose own retries and pool failover go on as for a call of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from duta.common.errors import DeadlineExceeded, InvalidArgument
from duta.common.interceptors import MAX_REQUEST_ID
from duta.common.logging import request_id
from duta.router import metrics

logger = logging.getLogger(__name__)

Key = tuple[str, str, int]  # source, target, beam size
SMOOTHING = 0.2  # weight of the latest call in the moving average of seconds per sentence
Result = list[Any]  # one pools.WorkerResult per sentence
# (sentences, source, target, beam size, timeout in seconds, request id) → results
Send = Callable[[list[str], str, str, int, float, str], Awaitable[Result]]


@dataclass(eq=False)
class Part:
    """One request's sentences waiting for (or riding in) a merged call."""

    sentences: list[str]
    deadline: float
    rid: str
    tokens: int
    future: asyncio.Future[Result]
    call: Call | None = None


@dataclass(eq=False)
class Call:
    """A merged worker call in flight: its parts and how many still wait for it."""

    parts: list[Part]
    waiting: int = 0
    task: asyncio.Task[None] | None = None


@dataclass
class Caps:
    """How many calls a pool gets at once, and how large one merged call may grow."""

    calls: int
    sentences: int
    tokens: int
    slow: float = math.inf  # seconds per sentence from which calls go out at once, unmerged


@dataclass(eq=False)
class CallMerger:
    """One pool's merging: its calls in flight and the calls waiting for the next one."""

    send: Send
    caps: Callable[[], Caps]
    tokens: Callable[[str], int]
    pool: Callable[[], str]
    inflight: int = 0
    queues: dict[Key, list[Part]] = field(default_factory=dict)
    inflight_sentences: int = 0
    sentence_seconds: float = 0.0  # the pool's recent seconds per sentence (moving average)

    async def call(self, sentences: list[str], key: Key, deadline: float, rid: str) -> Result:
        """The worker's results for `sentences`, alone or merged with other requests'."""
        caps = self.caps()
        if (self._room(caps) and not self.queues) or self._slow(caps):
            self.inflight += 1
            try:
                metrics.child(metrics.CALL_REQUESTS, self.pool()).observe(1)
                return await self._send(sentences, key, deadline, rid)
            finally:
                self._finished()
        loop = asyncio.get_running_loop()
        tokens = sum(self.tokens(s) for s in sentences)
        part = Part(sentences, deadline, rid, tokens, loop.create_future())
        self.queues.setdefault(key, []).append(part)
        metrics.MERGE_WAITING.inc()
        try:
            return await self._wait(part, key)
        finally:
            self._forget(part, key)

    async def _wait(self, part: Part, key: Key) -> Result:
        try:
            return await asyncio.wait_for(
                asyncio.shield(part.future), part.deadline - time.monotonic()
            )
        except TimeoutError:
            raise DeadlineExceeded(
                "the call's deadline passed while it waited for a worker call"
            ) from None
        except InvalidArgument:
            if part.call is None or len(part.call.parts) == 1:
                raise
        # One request's input failed the merged call: this request's part goes alone.
        metrics.child(metrics.CALL_REQUESTS, self.pool()).observe(1)
        return await self._send(part.sentences, key, part.deadline, part.rid)

    async def _send(self, sentences: list[str], key: Key, deadline: float, rid: str) -> Result:
        """One worker call, timed. Seconds per sentence: its time over the sentences in flight
        to the pool when it went out (its own included), so that a busy worker's queue counts as
        the work it is, not as slowness; the moving average learns from each call."""
        self.inflight_sentences += len(sentences)
        ahead = self.inflight_sentences
        started = time.monotonic()
        try:
            results = await self.send(sentences, *key, deadline - started, rid)
        finally:
            self.inflight_sentences -= len(sentences)
        took = (time.monotonic() - started) / ahead
        self.sentence_seconds += SMOOTHING * (took - self.sentence_seconds)
        metrics.child(metrics.SENTENCE_SECONDS, self.pool()).set(self.sentence_seconds)
        return results

    def _room(self, caps: Caps) -> bool:
        return self.inflight < caps.calls

    def _slow(self, caps: Caps) -> bool:
        """A slow model's worker batches best what reaches it at once: no call waits."""
        return self.sentence_seconds >= caps.slow

    def _forget(self, part: Part, key: Key) -> None:
        """Out of the queue if still there; the merged call cancelled if nobody waits for it."""
        call = part.call
        if call is None:
            queue = self.queues.get(key, [])
            if part in queue:
                queue.remove(part)
                metrics.MERGE_WAITING.dec()
                if not queue:
                    del self.queues[key]
            return
        call.waiting -= 1
        if call.waiting == 0 and call.task is not None and not call.task.done():
            call.task.cancel()

    def _finished(self) -> None:
        self.inflight -= 1
        self._dispatch()

    def _dispatch(self) -> None:
        """Sends waiting calls, merged per key, oldest queue first, while there is room."""
        while self.queues:
            caps = self.caps()
            if not (self._room(caps) or self._slow(caps)):
                return
            key = next(iter(self.queues))
            call = Call(self._take(key, caps))
            call.waiting = len(call.parts)
            for part in call.parts:
                part.call = call
            self.inflight += 1
            call.task = asyncio.create_task(self._run(call, key))

    def _take(self, key: Key, caps: Caps) -> list[Part]:
        """The oldest waiting parts of `key` that fit in one call (at least one)."""
        queue = self.queues.pop(key)
        taken: list[Part] = []
        sentences = tokens = 0
        while queue:
            part = queue[0]
            fits = sentences + len(part.sentences) <= caps.sentences
            if taken and not (fits and tokens + part.tokens <= caps.tokens):
                break
            taken.append(queue.pop(0))
            sentences += len(part.sentences)
            tokens += part.tokens
        if queue:
            self.queues[key] = queue  # to the back: the other keys' turn first
        metrics.MERGE_WAITING.dec(len(taken))
        return taken

    async def _run(self, call: Call, key: Key) -> None:
        parts = call.parts
        try:
            metrics.child(metrics.CALL_REQUESTS, self.pool()).observe(len(parts))
            rid = merged_request_id([p.rid for p in parts])
            request_id.set(rid)  # this task's own context: its log lines name its requests
            if len(parts) > 1:
                logger.debug("one worker call for requests %s", " ".join(p.rid for p in parts))
            deadline = max(p.deadline for p in parts)
            results = await self._send([s for p in parts for s in p.sentences], key, deadline, rid)
            start = 0
            for part in parts:
                _settle(part.future, result=results[start : start + len(part.sentences)])
                start += len(part.sentences)
        except Exception as exc:
            for part in parts:
                _settle(part.future, error=exc)
        except asyncio.CancelledError:  # nobody waits any more
            for part in parts:
                part.future.cancel()
            raise
        finally:
            self._finished()


def _settle(
    future: asyncio.Future[Result], result: Result | None = None, error: Exception | None = None
) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(result or [])
    else:
        future.set_exception(error)
        with contextlib.suppress(BaseException):
            future.exception()  # retrieved: a waiter that left does not log it as lost


def merged_request_id(ids: list[str]) -> str:
    """The request ids a call serves, for the worker's log: `a+b+c`, or `a+b+5more` when they
    do not fit in the 64 characters a request id may have (each id is already sanitised)."""
    unique = list(dict.fromkeys(ids))
    joined = "+".join(unique)
    if len(joined) <= MAX_REQUEST_ID:
        return joined
    head, shown = unique[0], 1
    tail = f"+{len(unique) - 1}more"
    head = head[: MAX_REQUEST_ID - len(tail)]
    for rid in unique[1:]:
        longer, more = f"{head}+{rid}", f"+{len(unique) - shown - 1}more"
        if len(longer) + len(more) > MAX_REQUEST_ID:
            break
        head, tail, shown = longer, more, shown + 1
    return head + tail
