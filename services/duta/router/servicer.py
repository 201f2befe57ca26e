"""duta.v1.Translator: validate → pipeline/detector/routing table → response."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import grpc

from duta.common.errors import InvalidArgument, Overloaded
from duta.common.logging import user_text
from duta.langid import Detector
from duta.router.languages import languages
from duta.router.pipeline import Pipeline
from duta.router.routing import RoutingTable
from duta.router.settings import RouterSettings
from duta.router.stream import StreamSession
from duta.router.validate import MAX_TOP_K, canonical, check_sizes, validate_translate
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc

logger = logging.getLogger(__name__)


class TranslatorServicer(translator_pb2_grpc.TranslatorServicer):
    """The public API. Methods stay thin; the work is in Pipeline, Detector and RoutingTable."""

    def __init__(
        self,
        settings: RouterSettings,
        pipeline: Pipeline,
        detector: Detector,
        table: RoutingTable,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.detector = detector
        self.table = table
        self.in_progress = 0
        self.streams: set[StreamSession] = set()

    async def Translate(
        self, request: pb.TranslateRequest, context: grpc.aio.ServicerContext
    ) -> pb.TranslateResponse:
        return await self._translate(request, context)

    async def TranslateStream(
        self,
        request_iterator: AsyncIterator[pb.TranslateStreamRequest],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[pb.TranslateStreamResponse]:
        session = StreamSession(
            lambda request: self._translate(request, context, bulk=True),
            self.settings.stream_window,
        )
        self.streams.add(session)
        try:
            async for answer in session.run(request_iterator):
                yield answer
        finally:
            self.streams.discard(session)

    async def DetectLanguage(
        self, request: pb.DetectLanguageRequest, context: grpc.aio.ServicerContext
    ) -> pb.DetectLanguageResponse:
        texts = list(request.texts)
        if not texts:
            raise InvalidArgument("texts is empty: send at least one text", field="texts")
        check_sizes(texts, self.settings)
        if request.top_k > MAX_TOP_K:
            raise InvalidArgument(
                f"top_k {request.top_k} is too large; allowed: 0–{MAX_TOP_K}", field="top_k"
            )
        hints = tuple(canonical(h, "hints") for h in request.hints)
        top_k = request.top_k or 3
        detections = await asyncio.to_thread(self.detector.detect_many, texts, hints or None, top_k)
        return pb.DetectLanguageResponse(
            detections=[
                pb.Detection(
                    language=d.language,
                    confidence=d.confidence,
                    script=d.script,
                    candidates=[
                        pb.LanguageCandidate(language=c.language, confidence=c.confidence)
                        for c in d.candidates[:top_k]
                    ],
                )
                for d in detections
            ]
        )

    async def ListLanguages(
        self, request: pb.ListLanguagesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListLanguagesResponse:
        source = (
            canonical(request.source_language, "source_language") if request.source_language else ""
        )
        target = (
            canonical(request.target_language, "target_language") if request.target_language else ""
        )
        locale = (
            canonical(request.display_language, "display_language")
            if request.display_language
            else "en"
        )
        response = pb.ListLanguagesResponse(
            languages=languages(self.table, self.settings.fallback_languages, locale)
        )
        if request.include_pairs or source or target:
            for plan in self.table.servable_pairs(source, target):
                pools = [hop.pool for hop in plan.hops]
                response.pairs.add(
                    source_language=plan.source,
                    target_language=plan.target,
                    route=plan.kind.value,
                    models=plan.models,
                    tier=pools[0].info.tier if pools[0].info else "small",
                    demo=any(p.info and p.info.demo for p in pools),
                    available=all(p.available for p in pools),
                )
        for pool in self.table.pools:
            if pool.info:
                response.models.add(
                    id=pool.info.model_id,
                    revision=pool.info.revision,
                    tier=pool.info.tier,
                    source_languages=pool.info.source_languages,
                    target_languages=pool.info.target_languages,
                    demo=pool.info.demo,
                    available=pool.available,
                )
        return response

    async def _translate(
        self, request: pb.TranslateRequest, context: grpc.aio.ServicerContext, bulk: bool = False
    ) -> pb.TranslateResponse:
        limit = self.settings.max_concurrent_requests
        if self.in_progress >= limit:
            raise Overloaded(
                f"the router is at its limit of {limit} requests in progress; retry in a second"
            )
        self.in_progress += 1
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "translate %d texts to %s: %s",
                len(request.texts),
                request.target_language,
                ", ".join(user_text(t) for t in request.texts[:3]),
            )
        try:
            remaining = context.time_remaining()
            deadline = None if remaining is None else time.monotonic() + remaining
            req = validate_translate(request, self.settings, deadline, bulk)
            translations = await self.pipeline.translate(req)
        finally:
            self.in_progress -= 1
        return pb.TranslateResponse(translations=translations)
