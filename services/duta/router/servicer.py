"""duta.v1.Translator: validate → pipeline/detector/routing table → response."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence

import grpc

from duta.common.errors import (
    DutaError,
    InvalidArgument,
    InvalidLanguage,
    Overloaded,
    TextTooLong,
)
from duta.common.logging import user_text
from duta.langid import Detector
from duta.langid.codes import InvalidLanguageCode, canonicalize
from duta.router.pipeline import Pipeline, Request
from duta.router.routing import RoutingTable
from duta.router.settings import RouterSettings
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc

logger = logging.getLogger(__name__)

MAX_BEAM = 8
MAX_TOP_K = 10
STREAM_CONCURRENCY = 8
MAX_TERMS = 200
MAX_TERM_CHARS = 200


def canonical(code: str, field: str) -> str:
    """Canonicalises a BCP-47 code, naming the offending field on error."""
    try:
        return canonicalize(code)
    except InvalidLanguageCode as exc:
        raise InvalidLanguage(f"{field}: {exc}", field=field) from exc


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

    async def Translate(
        self, request: pb.TranslateRequest, context: grpc.aio.ServicerContext
    ) -> pb.TranslateResponse:
        return await self._translate(request, context)

    async def TranslateStream(
        self,
        request_iterator: AsyncIterator[pb.TranslateStreamRequest],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[pb.TranslateStreamResponse]:
        done = object()
        queue: asyncio.Queue[object] = asyncio.Queue()
        slots = asyncio.Semaphore(STREAM_CONCURRENCY)

        async def handle(message: pb.TranslateStreamRequest) -> None:
            try:
                response = await self._translate(message.request, context)
                await queue.put(pb.TranslateStreamResponse(id=message.id, response=response))
            except DutaError as exc:
                await queue.put(
                    pb.TranslateStreamResponse(
                        id=message.id,
                        error_code=exc.code.value[0],
                        error_message=str(exc),
                        error=exc.to_status(),
                    )
                )
            finally:
                slots.release()

        async def read() -> None:
            tasks = []
            try:
                async for message in request_iterator:
                    await slots.acquire()
                    tasks.append(asyncio.create_task(handle(message)))
                await asyncio.gather(*tasks)
            finally:
                await queue.put(done)

        reader = asyncio.create_task(read())
        try:
            while (item := await queue.get()) is not done:
                yield item  # type: ignore[misc]
            await reader
        finally:
            reader.cancel()

    async def DetectLanguage(
        self, request: pb.DetectLanguageRequest, context: grpc.aio.ServicerContext
    ) -> pb.DetectLanguageResponse:
        texts = list(request.texts)
        if not texts:
            raise InvalidArgument("texts is empty: send at least one text", field="texts")
        self._check_sizes(texts)
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
        response = pb.ListLanguagesResponse()
        for plan in self.table.servable_pairs():
            if (source and plan.source != source) or (target and plan.target != target):
                continue
            pools = [hop.pool for hop in plan.hops]
            response.pairs.add(
                source_language=plan.source,
                target_language=plan.target,
                route=plan.kind,
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
        self, request: pb.TranslateRequest, context: grpc.aio.ServicerContext
    ) -> pb.TranslateResponse:
        limit = self.settings.max_concurrent_requests
        if self.in_progress >= limit:
            raise Overloaded(
                f"the router is at its limit of {limit} requests in progress; retry in a second"
            )
        self.in_progress += 1
        logger.debug(
            "translate %d texts to %s: %s",
            len(request.texts),
            request.target_language,
            ", ".join(user_text(t) for t in request.texts[:3]),
        )
        try:
            remaining = context.time_remaining()
            deadline = None if remaining is None else time.monotonic() + remaining
            translations = await self.pipeline.translate(self._validate(request, deadline))
        finally:
            self.in_progress -= 1
        return pb.TranslateResponse(translations=translations)

    def _validate(self, request: pb.TranslateRequest, deadline: float | None = None) -> Request:
        texts = list(request.texts)
        if not texts:
            raise InvalidArgument("texts is empty: send at least one text", field="texts")
        self._check_sizes(texts)
        if not request.target_language.strip():
            raise InvalidLanguage(
                "target_language is empty: give a BCP-47 code such as 'en', 'zh-Hans', 'ja'",
                field="target_language",
            )
        target = canonical(request.target_language, "target_language")
        source = (
            canonical(request.source_language, "source_language") if request.source_language else ""
        )
        opts = request.options
        if opts.beam_size > MAX_BEAM:
            raise InvalidArgument(
                f"options.beam_size {opts.beam_size} is too large; allowed: 0–{MAX_BEAM}",
                field="options.beam_size",
            )
        if not 0.0 <= opts.escalation_threshold <= 1.0:
            raise InvalidArgument(
                "options.escalation_threshold must be between 0 and 1",
                field="options.escalation_threshold",
            )
        return Request(
            texts=texts,
            source=source,
            target=target,
            beam_size=opts.beam_size,
            use_cache=not opts.no_cache,
            hints=tuple(canonical(h, "options.source_hints") for h in opts.source_hints),
            tier=opts.tier,
            pivot=not opts.disable_pivot,
            escalation_threshold=opts.escalation_threshold,
            return_sentences=opts.return_sentences,
            html=request.format == pb.TEXT_FORMAT_HTML,
            terms=_terms(opts),
            deadline=deadline,
        )

    def _check_sizes(self, texts: Sequence[str]) -> None:
        limits = self.settings
        if len(texts) > limits.max_texts:
            raise InvalidArgument(
                f"{len(texts)} texts in one call; at most {limits.max_texts} are allowed",
                field="texts",
            )
        total = 0
        for index, text in enumerate(texts):
            total += len(text)
            if len(text) > limits.max_text_chars:
                raise TextTooLong(
                    f"text {index} has {len(text)} characters; at most {limits.max_text_chars} "
                    "are allowed per text (split the document, or use TranslateStream)",
                    field=f"texts[{index}]",
                )
        if total > limits.max_request_chars:
            raise TextTooLong(
                f"the request has {total} characters; at most {limits.max_request_chars} are "
                "allowed per call",
                field="texts",
            )


def _terms(opts: pb.TranslateOptions) -> tuple[tuple[str, str], ...]:
    """Glossary and do-not-translate terms as (source, required output), validated."""
    count = len(opts.glossary) + len(opts.do_not_translate)
    if count > MAX_TERMS:
        raise InvalidArgument(
            f"{count} glossary and do-not-translate terms; at most {MAX_TERMS} are allowed",
            field="options.glossary",
        )
    pairs = [(e.source, e.target) for e in opts.glossary]
    pairs += [(term, term) for term in opts.do_not_translate]
    for source, target in pairs:
        if not source.strip() or len(source) > MAX_TERM_CHARS or len(target) > MAX_TERM_CHARS:
            raise InvalidArgument(
                "glossary and do-not-translate terms must be non-blank and at most "
                f"{MAX_TERM_CHARS} characters",
                field="options.glossary",
            )
    return tuple(pairs)
