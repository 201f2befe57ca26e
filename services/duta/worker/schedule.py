"""The batching schedule, as a pure object: the queue, the work in flight and the next batch.

The whole schedule in two sentences:

1. A free replica takes the oldest queued sentences that share the oldest one's decoding
   options, first come first served, up to its *share*: the work in flight — sentences queued
   or running, and those answered less than `wait` ago whose callers have not sent their
   next call yet — divided by the replicas, capped at `max_batch_cost`.
2. It starts that batch as soon as the queue holds a full share — at once on an idle worker,
   where the share is at most what is queued — or once it has waited `wait` for one, where
   `wait` is `max_wait`, stretched to a tenth of the last batch's compute time when batches
   are slow (up to ten times `max_wait`).

The stretch keeps the schedule the same on a machine ten times slower (callers then come back
ten times later too) while costing a lone sentence at most a tenth of a batch. Counting the
callers just answered is what keeps callers that send one call after another in
as many groups as there are replicas (two groups of 16 for 32 callers on two replicas) instead
of three groups of 11 taking turns. A sentence's cost is its source tokens times its beam size:
what a batch holds in memory and computes grows with both, so one setting bounds a batch's
memory whatever the beam. Time is passed in (`now`), never read: the object is driven the same
way by the asyncio batcher and by the tests' simulated clock.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class Item(Protocol):
    """What the schedule needs to know of a queued sentence."""

    @property
    def cost(self) -> int:
        """Source tokens × beam size."""

    @property
    def key(self) -> Hashable:
        """Sentences with equal keys may share a batch (same decoding options)."""

    @property
    def enqueued(self) -> float:
        """When it was queued (the clock's seconds)."""

    def dead(self, now: float) -> str | None:
        """Why it must not be computed (`cancelled`, `deadline`), or None."""


T = TypeVar("T", bound=Item)


@dataclass(frozen=True)
class Plan(Generic[T]):
    """What to do now: run `batch` (when not empty); `dropped` items are never computed.

    `wake` is when to plan again if nothing else happens first (None: only when work arrives
    or a batch ends).
    """

    batch: list[T]
    dropped: list[tuple[T, str]]
    wake: float | None


class Schedule(Generic[T]):
    """The queue of one worker and its accounting; `plan` forms the next batch."""

    def __init__(self, slots: int, max_batch_cost: float, max_wait: float) -> None:
        self.slots = slots
        self.max_batch_cost = max_batch_cost
        self.max_wait = max_wait
        self.wait = max_wait  # max_wait, stretched while batches are slow
        self._queue: deque[T] = deque()
        self.queued_cost = 0
        self.running_cost = 0  # cost of the batches running now
        self.running = 0  # batches running now
        self.returning_cost = 0  # answered calls whose callers have not called again
        self.returning_until = -math.inf  # ... counted until then
        self._waiting_since: float | None = None  # a free replica waits for its share since

    def __len__(self) -> int:
        return len(self._queue)

    def inflight_cost(self, now: float) -> int:
        """The cost of the sentences queued, running, or answered and expected back."""
        returning = self.returning_cost if now < self.returning_until else 0
        return self.queued_cost + self.running_cost + returning

    def push(self, items: Sequence[T]) -> None:
        """Queues one call's sentences (their `enqueued` already set)."""
        cost = sum(item.cost for item in items)
        self._queue.extend(items)
        self.queued_cost += cost
        self.returning_cost = max(0, self.returning_cost - cost)  # perhaps a caller back

    def answered(self, cost: int, now: float) -> None:
        """A call of `cost` was answered: its caller may well send its next call at once."""
        if now >= self.returning_until:
            self.returning_cost = 0
        self.returning_cost += cost
        self.returning_until = now + self.wait

    def share(self, now: float) -> float:
        """The cost one batch may take now: the work in flight over the replicas, capped."""
        return min(self.max_batch_cost, math.ceil(self.inflight_cost(now) / self.slots))

    def plan(self, now: float) -> Plan[T]:
        """The next batch for a free replica, or when to ask again.

        A batch returned here counts as running until `finished` is called with it.
        """
        dropped = self._drop_dead_head(now)
        if not self._queue:
            return Plan([], dropped, None)
        share = self.share(now)
        if self.queued_cost < share:
            if self._waiting_since is None:
                self._waiting_since = now
            due = self._waiting_since + self.wait
            if now < due:
                return Plan([], dropped, due)
        self._waiting_since = None
        batch = self._take(share, now, dropped)
        self.running += 1
        self.running_cost += sum(item.cost for item in batch)
        return Plan(batch, dropped, None)

    def finished(self, batch: list[T], seconds: float = 0.0) -> None:
        """A batch from `plan` ended (answered or failed) after `seconds` of compute."""
        self.running -= 1
        self.running_cost -= sum(item.cost for item in batch)
        if seconds > 0:
            self.wait = min(10 * self.max_wait, max(self.max_wait, seconds / 10))

    def clear(self) -> list[T]:
        """Empties the queue (shutdown); returns what was queued."""
        items = list(self._queue)
        self._queue.clear()
        self.queued_cost = 0
        return items

    def _drop_dead_head(self, now: float) -> list[tuple[T, str]]:
        dropped: list[tuple[T, str]] = []
        while self._queue and (reason := self._queue[0].dead(now)) is not None:
            item = self._queue.popleft()
            self.queued_cost -= item.cost
            dropped.append((item, reason))
        return dropped

    def _take(self, share: float, now: float, dropped: list[tuple[T, str]]) -> list[T]:
        """Pops the oldest key's items, FIFO, while they fit in `share` (at least one)."""
        key = self._queue[0].key
        batch: list[T] = []
        keep: deque[T] = deque()
        cost = 0
        while self._queue:
            item = self._queue[0]
            if item.key == key and batch and cost + item.cost > share:
                break  # the rest of this key waits, in order, for the next batch
            self._queue.popleft()
            if item.key != key:
                keep.append(item)
                continue
            self.queued_cost -= item.cost
            reason = item.dead(now)
            if reason is not None:
                dropped.append((item, reason))
                continue
            batch.append(item)
            cost += item.cost
        keep.extend(self._queue)
        self._queue = keep
        return batch
