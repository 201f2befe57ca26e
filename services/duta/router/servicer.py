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
from duta.router.languages import list_languages
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
        def code(value: str, field: str, default: str = "") -> str:
            return canonical(value, field) if value else default

        return list_languages(
            self.table,
            self.settings.fallback_languages,
            source=code(request.source_language, "source_language"),
            target=code(request.target_language, "target_language"),
            locale=code(request.display_language, "display_language", "en"),
            include_pairs=request.include_pairs,
        )

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
