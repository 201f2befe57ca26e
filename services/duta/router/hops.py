"""Stage 3, run hops: the sentences of one route plan through each model, the cache in front.

Per hop: look every sentence up in the cache (L1, then Redis); wait for identical sentences
another request is already sending to the same model (coalescing, across requests); send the
rest to the pool; write what came back to the cache.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import re
import time

from duta.cache import Cache, cache_key
from duta.common.errors import DeadlineExceeded, ServiceUnavailable
from duta.router import metrics
from duta.router.pools import WorkerResult
from duta.router.routing import Hop, RoutePlan
from duta.router.settings import RouterSettings
from duta.router.types import Outcome, Request, Route
from duta.text import to_chinese_variant

logger = logging.getLogger(__name__)

_PLACEHOLDERS = re.compile(r"\[\s*\d{1,3}\s*\]")

# Recent sentences' keys and cache values, worked out once: a sentence that comes again (a hit)
# is neither hashed nor JSON-decoded again. Both are pure; full, ≈ 11 MB (60-character
# sentences, 300-character answers; L1's values are shared, not copied).
MEMO_SENTENCES = 8192
_key = functools.lru_cache(maxsize=MEMO_SENTENCES)(cache_key)


class HopRunner:
    """Runs plans hop by hop; shares in-flight worker calls between identical sentences."""

    def __init__(self, settings: RouterSettings, cache: Cache) -> None:
        self.settings = settings
        self.cache = cache
        self._inflight: dict[str, asyncio.Future[WorkerResult]] = {}

    async def run_plan(self, plan: RoutePlan, sentences: list[str], req: Request) -> list[Outcome]:
        """Runs sentences through every hop of a plan, the cache in front of each hop."""
        current = sentences
        if plan.convert_source:
            current = [to_chinese_variant(s, plan.hops[0].source) for s in current]
        outcomes = [Outcome(text="", source=s, route=Route(plan.kind)) for s in current]
        todo = []
        for i, sentence in enumerate(current):
            if has_words(sentence):
                todo.append(i)
            else:  # nothing left for a model, e.g. a sentence that is one glossary term
                outcomes[i] = Outcome(sentence, sentence, cached=False, route=Route.PASSTHROUGH)
        active = [outcomes[i] for i in todo]
        current = [current[i] for i in todo]
        for hop in plan.hops if current else ():
            results = await self.run_hop(hop, current, req)
            for outcome, (result, cached) in zip(active, results, strict=True):
                outcome.text = result.text
                outcome.confidence = min(outcome.confidence, math.exp(min(result.score, 0.0)))
                outcome.cached = outcome.cached and cached
                outcome.models.append(hop.pool.name)
                outcome.demo = outcome.demo or result.demo
            current = [o.text for o in active]
        if plan.convert_target:
            for outcome in active:
                outcome.text = to_chinese_variant(outcome.text, plan.target)
        return outcomes

    async def run_hop(
        self, hop: Hop, sentences: list[str], req: Request
    ) -> list[tuple[WorkerResult, bool]]:
        """(result, came from the cache) per sentence, in order."""
        model = hop.pool.model_ref
        keys = [_key(s, hop.source, hop.target, (model,), req.beam_size) for s in sentences]
        found: dict[str, WorkerResult] = {}
        if req.use_cache:
            for key, value in zip(keys, await self.cache.get_many(keys), strict=True):
                if value is not None:
                    found[key] = decode(value, model)
        missing = {k: s for s, k in zip(sentences, keys, strict=True) if k not in found}
        fresh = await self._fetch(hop, missing, req) if missing else {}
        hits = sum(1 for k in keys if k in found)
        for result, count in (("hit", hits), ("miss", len(keys) - hits)):
            counter = metrics.child(metrics.SENTENCES, hop.pool.name, result)  # the series exists
            if count:
                counter.inc(count)
        return [(found[k], True) if k in found else (fresh[k], False) for k in keys]

    async def _fetch(
        self, hop: Hop, missing: dict[str, str], req: Request
    ) -> dict[str, WorkerResult]:
        """Worker results for key → sentence; joins identical calls already in flight."""
        if not req.use_cache:  # neither read nor written: nothing shared either
            results = await self.send(hop, list(missing.values()), req)
            return dict(zip(missing, results, strict=True))
        joined = {k: self._inflight[k] for k in missing if k in self._inflight}
        mine = {k: s for k, s in missing.items() if k not in joined}
        loop = asyncio.get_running_loop()
        owned = {k: loop.create_future() for k in mine}
        self._inflight.update(owned)
        metrics.COALESCED.inc(len(joined))
        try:
            if mine:
                results = await self.send(hop, list(mine.values()), req)
                fresh = dict(zip(mine, results, strict=True))
                for key, result in fresh.items():
                    owned[key].set_result(result)
                await self.cache.set_many({k: encode(r) for k, r in fresh.items()})
            else:
                fresh = {}
            for key, future in joined.items():
                fresh[key] = await asyncio.shield(future)
            return fresh
        except BaseException as exc:
            shared = exc if isinstance(exc, Exception) else _abandoned()
            for future in owned.values():
                if not future.done():
                    future.set_exception(shared)
                    future.exception()  # retrieved: waiters re-raise it themselves
            raise
        finally:
            for key, future in owned.items():
                if self._inflight.get(key) is future:
                    del self._inflight[key]

    async def send(self, hop: Hop, sentences: list[str], req: Request) -> list[WorkerResult]:
        """The hop's pool translates; when it is unavailable, the next pool of the same model."""
        pools = (hop.pool, *hop.replicas)
        for attempt, pool in enumerate(pools, start=1):
            try:
                return await pool.translate(
                    sentences, hop.source, hop.target, req.beam_size, self.timeout(req)
                )
            except ServiceUnavailable:
                if attempt == len(pools):
                    raise
                logger.info("pool %s unavailable; its model's next pool takes the call", pool.name)
        raise AssertionError("unreachable")

    def timeout(self, req: Request) -> float:
        """Seconds a worker call may take: the caller's remaining deadline, capped."""
        timeout = self.settings.worker_timeout_seconds
        if req.deadline is not None:
            timeout = min(timeout, req.deadline - time.monotonic())
        if timeout <= 0:
            raise DeadlineExceeded("the call's deadline passed before the workers were asked")
        return timeout


def _abandoned() -> ServiceUnavailable:
    return ServiceUnavailable(
        "an identical sentence this call waited for was cancelled by its caller; retry",
        reason="COALESCED_CALL_CANCELLED",
    )


def has_words(sentence: str) -> bool:
    """True when a (masked) sentence still has letters for a model to translate."""
    return any(ch.isalpha() for ch in _PLACEHOLDERS.sub("", sentence))


def encode(result: WorkerResult) -> str:
    """A worker result as a cache value."""
    return json.dumps({"t": result.text, "s": result.score, "d": result.demo}, ensure_ascii=False)


@functools.lru_cache(maxsize=MEMO_SENTENCES)
def decode(value: str, model: str) -> WorkerResult:
    """A cache value as a worker result of `model`."""
    data = json.loads(value)
    return WorkerResult(text=data["t"], score=float(data["s"]), model=model, demo=bool(data["d"]))
