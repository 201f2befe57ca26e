"""duta.v1.Worker: validate → batcher → response. Thin on purpose."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import grpc

from duta.common.errors import DutaError, InvalidArgument, ServiceUnavailable, TextTooLong
from duta.v1 import worker_pb2, worker_pb2_grpc
from duta.worker import memory, metrics
from duta.worker.batcher import Batcher, BatcherConfig, QueueFull
from duta.worker.engine import DecodeOptions, Encoded, Engine
from duta.worker.settings import WorkerSettings

logger = logging.getLogger(__name__)

MAX_BEAM = 8
# Calls with more sentences than this are tokenised off the event loop.
_INLINE_ENCODE = 16


class WorkerServicer(worker_pb2_grpc.WorkerServicer):
    """Serves one model. CTranslate2 runs on `executor`, never on the event loop."""

    def __init__(self, settings: WorkerSettings, executor: ThreadPoolExecutor) -> None:
        self.settings = settings
        self.executor = executor
        self._engine: Engine | None = None
        self._batcher: Batcher | None = None

    @property
    def engine(self) -> Engine:
        """The loaded engine; UNAVAILABLE while the model is still loading."""
        if self._engine is None:
            raise ServiceUnavailable(
                "the model is still loading; retry shortly", reason="MODEL_LOADING"
            )
        return self._engine

    @property
    def batcher(self) -> Batcher:
        """The batcher; UNAVAILABLE while the model is still loading."""
        if self._batcher is None:
            raise ServiceUnavailable(
                "the model is still loading; retry shortly", reason="MODEL_LOADING"
            )
        return self._batcher

    def attach(self, engine: Engine) -> None:
        """Makes the loaded engine available to calls and starts batching (on the event loop)."""
        settings = self.settings
        config = BatcherConfig(
            slots=engine.replicas,
            max_batch_cost=settings.max_batch_tokens,
            max_wait=settings.max_wait_ms / 1000,
            max_queue_tokens=settings.max_queue_tokens,
            batching=settings.batching,
        )
        release = memory.release if settings.release_memory_when_idle else None
        self._batcher = Batcher(
            engine.translate_encoded, self.executor, config, engine.metadata.id, release=release
        )
        self._batcher.start()
        self._engine = engine

    async def drain(self) -> None:
        """Refuses new calls and finishes the accepted ones (the SIGTERM drain hook)."""
        if self._batcher is not None:
            await self._batcher.drain()

    async def close(self) -> None:
        """Stops the batching loop (after `drain`, or to abandon queued work)."""
        if self._batcher is not None:
            await self._batcher.close()

    async def Translate(
        self, request: worker_pb2.WorkerTranslateRequest, context: grpc.aio.ServicerContext
    ) -> worker_pb2.WorkerTranslateResponse:
        started = time.perf_counter()
        model = self._engine.metadata.id if self._engine else "loading"
        code = grpc.StatusCode.OK
        try:
            return await self._translate(request, context)
        except DutaError as exc:
            code = exc.code
            if isinstance(exc, QueueFull):
                context.set_trailing_metadata(
                    (("retry-after-ms", str(int(exc.retry_after * 1000))),)
                )
            raise
        except asyncio.CancelledError:
            code = grpc.StatusCode.CANCELLED
            raise
        finally:
            metrics.REQUESTS.labels(model, code.name).inc()
            metrics.LATENCY.labels(model).observe(time.perf_counter() - started)

    async def _translate(
        self, request: worker_pb2.WorkerTranslateRequest, context: grpc.aio.ServicerContext
    ) -> worker_pb2.WorkerTranslateResponse:
        sentences = list(request.sentences)
        source, target = request.source_language, request.target_language
        options = self._validate(sentences, source, target, request.options)
        if len(sentences) <= _INLINE_ENCODE:
            encoded = self._encode(sentences, source, target)
        else:
            encoded = await asyncio.to_thread(self._encode, sentences, source, target)
        batcher = self.batcher
        remaining = context.time_remaining()
        deadline = batcher.clock.now() + remaining if remaining is not None else None
        hyps = await batcher.translate(encoded, options, deadline)
        logger.debug("translated %d sentences %s → %s", len(hyps), source, target)
        meta = self.engine.metadata
        return worker_pb2.WorkerTranslateResponse(
            hypotheses=[
                worker_pb2.Hypothesis(
                    text=h.text,
                    score=h.score,
                    input_tokens=h.input_tokens,
                    output_tokens=h.output_tokens,
                )
                for h in hyps
            ],
            model_id=meta.id,
            revision=meta.revision,
            demo=meta.demo,
        )

    async def Info(
        self, request: worker_pb2.WorkerInfoRequest, context: grpc.aio.ServicerContext
    ) -> worker_pb2.WorkerInfoResponse:
        meta = self.engine.metadata
        return worker_pb2.WorkerInfoResponse(
            model_id=meta.id,
            revision=meta.revision,
            family=meta.family,
            source_languages=meta.source_languages,
            target_languages=meta.target_languages,
            tier=meta.tier,
            demo=meta.demo,
            device=self.engine.device,
            compute_type=self.engine.compute_type,
            limits=worker_pb2.WorkerLimits(
                max_input_tokens=self.engine.max_input_tokens,
                max_sentences_per_call=self.settings.max_sentences_per_call,
                max_batch_tokens=self.settings.max_batch_tokens,
            ),
        )

    def _validate(
        self, sentences: list[str], source: str, target: str, opts: worker_pb2.DecodingOptions
    ) -> DecodeOptions:
        meta = self.engine.metadata
        if not sentences:
            raise InvalidArgument(
                "sentences is empty: send at least one sentence", field="sentences"
            )
        if len(sentences) > self.settings.max_sentences_per_call:
            raise InvalidArgument(
                f"{len(sentences)} sentences in one call; at most "
                f"{self.settings.max_sentences_per_call} are allowed",
                field="sentences",
            )
        if not self.engine.bundle.serves(source, target):
            raise InvalidArgument(
                f"model {meta.id} does not translate {source!r} → {target!r}; it reads "
                f"{', '.join(meta.source_languages)} and writes {', '.join(meta.target_languages)}",
                reason="UNSUPPORTED_PAIR",
                field="source_language",
            )
        if opts.beam_size > MAX_BEAM:
            raise InvalidArgument(
                f"beam_size {opts.beam_size} is too large; allowed: 0–{MAX_BEAM}",
                field="options.beam_size",
            )
        if opts.length_penalty < 0:
            raise InvalidArgument(
                f"length_penalty {opts.length_penalty} is negative; allowed: ≥ 0",
                field="options.length_penalty",
            )
        max_len = min(opts.max_decoding_length, self.settings.max_decoding_length)
        return DecodeOptions(
            beam_size=opts.beam_size or self.settings.beam_size,
            max_decoding_length=max_len,
            min_decoding_length=min(opts.min_decoding_length, max_len or opts.min_decoding_length),
            length_penalty=opts.length_penalty or 1.0,
        )

    def _encode(self, sentences: list[str], source: str, target: str) -> list[Encoded]:
        """Tokenises and enforces the per-sentence token limit (INVALID_ARGUMENT beyond it)."""
        engine = self.engine
        for index, sentence in enumerate(sentences):
            if not sentence.strip():
                raise InvalidArgument(f"sentence {index} is empty", field=f"sentences[{index}]")
        encoded = engine.encode(sentences, source, target)
        limit = engine.max_input_tokens
        for index, item in enumerate(encoded):
            if len(item.tokens) > limit:
                raise TextTooLong(
                    f"sentence {index} has {len(item.tokens)} tokens; at most {limit} are "
                    "allowed (split it first)",
                    field=f"sentences[{index}]",
                )
        return encoded
