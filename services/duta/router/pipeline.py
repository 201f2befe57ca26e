"""Translating a request, stage by stage: prepare → plan groups → run hops → escalate →
assemble. Each stage is its own module; this one only wires them together.

The servicer validates the request (the edge) and maps errors; everything between lives here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from duta.cache import Cache
from duta.common.errors import TextTooLong
from duta.langid import Detector
from duta.router import metrics
from duta.router.assemble import assemble
from duta.router.escalate import escalate
from duta.router.hops import HopRunner
from duta.router.prepare import PreparedText, Preparer
from duta.router.routing import RoutingTable
from duta.router.settings import RouterSettings
from duta.router.tokens import estimate_tokens, worst_case_tokens
from duta.router.types import Outcome, Request
from duta.v1 import translator_pb2 as pb

logger = logging.getLogger(__name__)

__all__ = ["Pipeline", "Request"]

# Requests up to this many characters, in a language the caller gave, are prepared on the event
# loop: segmenting a few sentences takes microseconds, handing them to a thread and back ≈ 100 µs
# (profiled). A request to detect goes to a thread: fastText and lingua stay off the loop.
INLINE_PREPARE_CHARS = 2000


class Pipeline:
    """Turns a validated Request into pb.Translation messages."""

    def __init__(
        self, settings: RouterSettings, detector: Detector, table: RoutingTable, cache: Cache
    ) -> None:
        self.settings = settings
        self.table = table
        self.preparer = Preparer(detector, table, settings.fallback_languages)
        self.runner = HopRunner(settings, cache)

    async def translate(self, req: Request) -> list[pb.Translation]:
        """Translates every text of the request; raises DutaError subclasses on failure."""
        started = time.perf_counter()
        try:
            translations = await self._translate(req, estimate_tokens)
        except TextTooLong:
            # A sentence had more model tokens than estimated (rare characters fall back to
            # bytes): split by the true upper bound and go again; what was done is cached.
            logger.info("a sentence was over a worker's token limit; splitting by the worst case")
            translations = await self._translate(req, worst_case_tokens)
        metrics.child(metrics.TRANSLATE_SECONDS, request_route(translations)).observe(
            time.perf_counter() - started
        )
        return translations

    async def _translate(
        self, req: Request, estimate: Callable[[str], int]
    ) -> list[pb.Translation]:
        if req.source and not req.html and sum(map(len, req.texts)) <= INLINE_PREPARE_CHARS:
            texts = self.preparer.prepare(req, estimate)  # µs: a thread hop would cost more
        else:
            texts = await asyncio.to_thread(self.preparer.prepare, req, estimate)
        by_plan: dict[int, list[PreparedText]] = {}
        for item in (unit for text in texts for unit in (text.parts or [text])):
            if item.plan is not None and item.sentences:
                by_plan.setdefault(id(item.plan), []).append(item)
        outcomes: dict[int, list[Outcome]] = {}  # by id() of the text or part
        groups = list(by_plan.values())
        if len(groups) == 1:  # no task to gather: one event-loop pass less per request
            outcomes.update(await self._run_group(groups[0], req))
        else:
            for result in await asyncio.gather(*(self._run_group(g, req) for g in groups)):
                outcomes.update(result)
        translations = [assemble(item, outcomes, req) for item in texts]
        for translation in translations:
            route = "FAILED" if translation.HasField("error") else _ROUTE_NAMES[translation.route]
            metrics.child(metrics.TEXTS, route).inc()
        return translations

    async def _run_group(self, group: list[PreparedText], req: Request) -> dict[int, list[Outcome]]:
        """The texts that share one plan: their sentences go through it together."""
        plan = group[0].plan
        assert plan is not None
        flat = [s for item in group for s in item.sentences]
        results = await self.runner.run_plan(plan, flat, req)
        threshold = req.escalation_threshold or self.settings.escalation_threshold
        await escalate(self.runner, self.table, plan, flat, results, req, threshold)
        out, start = {}, 0
        for item in group:
            out[id(item)] = results[start : start + len(item.sentences)]
            start += len(item.sentences)
        return out


# Most involved first: a request is labelled by the heaviest route any of its texts took.
_INVOLVEMENT = (pb.ROUTE_ESCALATED, pb.ROUTE_PIVOT, pb.ROUTE_DIRECT, pb.ROUTE_PASSTHROUGH)
_ROUTE_NAMES = {value: pb.Route.Name(value) for value in pb.Route.values()}


def request_route(translations: list[pb.Translation]) -> str:
    """The latency label of a request: CACHED, FAILED or its most involved route."""
    done = [t for t in translations if not t.HasField("error")]
    if not done:
        return "FAILED"
    if all(t.cached for t in done):
        return "CACHED"
    routes = {t.route for t in done}
    return _ROUTE_NAMES[next((r for r in _INVOLVEMENT if r in routes), pb.ROUTE_UNSPECIFIED)]
