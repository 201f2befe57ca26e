"""duta.v1.Worker: validate → engine → response. Thin on purpose."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import grpc

from duta.common.errors import InvalidArgument, ServiceUnavailable, TextTooLong
from duta.v1 import worker_pb2, worker_pb2_grpc
from duta.worker.engine import DecodeOptions, Engine
from duta.worker.settings import WorkerSettings

logger = logging.getLogger(__name__)

MAX_BEAM = 8


class WorkerServicer(worker_pb2_grpc.WorkerServicer):
    """Serves one model. CTranslate2 runs on `executor`, never on the event loop."""

    def __init__(self, settings: WorkerSettings, executor: ThreadPoolExecutor) -> None:
        self.settings = settings
        self.executor = executor
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The loaded engine; UNAVAILABLE while the model is still loading."""
        if self._engine is None:
            raise ServiceUnavailable("the model is still loading; retry shortly")
        return self._engine

    def attach(self, engine: Engine) -> None:
        """Makes the loaded engine available to calls."""
        self._engine = engine

    async def Translate(
        self, request: worker_pb2.WorkerTranslateRequest, context: grpc.aio.ServicerContext
    ) -> worker_pb2.WorkerTranslateResponse:
        sentences = list(request.sentences)
        source, target = request.source_language, request.target_language
        options = self._validate(sentences, source, target, request.options)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.executor, self._check_lengths, sentences, source, target)
        hyps = await loop.run_in_executor(
            self.executor, self.engine.translate, sentences, source, target, options
        )
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
                max_input_tokens=self.settings.max_input_tokens,
                max_sentences_per_call=self.settings.max_sentences_per_call,
                max_batch_tokens=self.settings.max_batch_tokens,
            ),
        )

    def _validate(
        self, sentences: list[str], source: str, target: str, opts: worker_pb2.DecodingOptions
    ) -> DecodeOptions:
        meta = self.engine.metadata
        if not sentences:
            raise InvalidArgument("sentences is empty: send at least one sentence")
        if len(sentences) > self.settings.max_sentences_per_call:
            raise InvalidArgument(
                f"{len(sentences)} sentences in one call; at most "
                f"{self.settings.max_sentences_per_call} are allowed"
            )
        if not self.engine.bundle.serves(source, target):
            raise InvalidArgument(
                f"model {meta.id} does not translate {source!r} → {target!r}; it reads "
                f"{', '.join(meta.source_languages)} and writes {', '.join(meta.target_languages)}"
            )
        if opts.beam_size > MAX_BEAM:
            raise InvalidArgument(f"beam_size {opts.beam_size} is too large; allowed: 0–{MAX_BEAM}")
        return DecodeOptions(
            beam_size=opts.beam_size or self.settings.beam_size,
            max_decoding_length=min(opts.max_decoding_length, self.settings.max_decoding_length),
            min_decoding_length=opts.min_decoding_length,
            length_penalty=opts.length_penalty or 1.0,
        )

    def _check_lengths(self, sentences: list[str], source: str, target: str) -> None:
        limit = self.settings.max_input_tokens
        for index, sentence in enumerate(sentences):
            if not sentence.strip():
                raise InvalidArgument(f"sentence {index} is empty")
            count = self.engine.count_tokens(sentence, source, target)
            if count > limit:
                raise TextTooLong(
                    f"sentence {index} has {count} tokens; at most {limit} are allowed "
                    "(split it first)"
                )
