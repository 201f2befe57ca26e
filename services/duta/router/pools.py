"""Worker pools: the replicas of one model behind one channel, and what they serve."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import grpc

from duta.common.errors import (
    DeadlineExceeded,
    InvalidArgument,
    Overloaded,
    ServiceUnavailable,
    TextTooLong,
    status_from_trailers,
    unpack_details,
)
from duta.common.logging import request_id
from duta.router import metrics
from duta.router.channels import open_channel, replica_count
from duta.router.merge import CallMerger, Caps
from duta.router.settings import RouterSettings, WorkerEndpoint
from duta.router.tokens import estimate_tokens
from duta.v1 import worker_pb2, worker_pb2_grpc

logger = logging.getLogger(__name__)

CHUNK_SENTENCES = 128  # sentences per worker call
CHUNKS_IN_FLIGHT = 4  # calls per request and pool at a time
MAX_OVERLOAD_PAUSE = 2.0  # seconds between retries of a RESOURCE_EXHAUSTED call, at most
UNAVAILABLE_ROUNDS = 3  # rounds of gRPC's retries a call gets before UNAVAILABLE is final


@dataclass(frozen=True)
class WorkerResult:
    """One sentence's translation by one model."""

    text: str
    score: float
    model: str  # id@revision
    demo: bool


class WorkerPool:
    """The replicas of one model: one channel (round robin over healthy replicas, retries)."""

    def __init__(
        self, endpoint: WorkerEndpoint, channel: grpc.aio.Channel, settings: RouterSettings
    ) -> None:
        self.endpoint = endpoint
        self.channel = channel
        self.stub = worker_pb2_grpc.WorkerStub(channel)
        self.info: worker_pb2.WorkerInfoResponse | None = None
        self.available = False
        self.asked = False  # Info was asked at least once (answered or not)
        self.replicas = len(endpoint.addresses) or 1  # a name's: learnt with each Info poll
        self.calls_per_replica = settings.worker_calls_per_replica
        self.slow_sentence = settings.merge_max_sentence_ms / 1000
        self.merger: CallMerger | None = None
        if settings.merge_worker_calls:
            self.merger = CallMerger(self._call, self.caps, estimate_tokens, lambda: self.name)

    @classmethod
    def connect(cls, endpoint: WorkerEndpoint, settings: RouterSettings) -> WorkerPool:
        """Opens the pool's channel (it connects lazily)."""
        return cls(endpoint, open_channel(endpoint, settings), settings)

    def caps(self) -> Caps:
        """Calls in flight before calls are merged, and the size of one merged call."""
        limits = self.info.limits if self.info else None
        return Caps(
            calls=self.replicas * self.calls_per_replica,
            sentences=self.sentences_per_call(),
            tokens=(limits.max_batch_tokens if limits else 0) or 2048,
            slow=self.slow_sentence,
        )

    def sentences_per_call(self) -> int:
        """The most sentences one worker call carries (the worker's limit, within ours)."""
        return min(CHUNK_SENTENCES, self.info.limits.max_sentences_per_call if self.info else 64)

    @property
    def name(self) -> str:
        """The model id when known, else the configured name or address."""
        if self.info is not None:
            return self.info.model_id
        return self.endpoint.label

    @property
    def model_ref(self) -> str:
        """`id@revision`, the model's identity in cache keys."""
        info = self.info
        return f"{info.model_id}@{info.revision}" if info else self.name

    async def refresh(self, timeout: float = 2.0) -> bool:
        """Asks a replica what the pool serves; marks the pool unavailable when none answers."""
        try:
            self.info = await self.stub.Info(worker_pb2.WorkerInfoRequest(), timeout=timeout)
            if not self.available:
                logger.info("worker pool %s serves %s", self.endpoint.label, self.model_ref)
            self.available = True
        except grpc.aio.AioRpcError as exc:
            if self.available or not self.asked:
                logger.warning(
                    "worker pool %s unavailable: %s", self.endpoint.label, exc.code().name
                )
            self.available = False
        self.asked = True
        if self.available and self.merger is not None:  # only merging needs the count
            self.replicas = await replica_count(self.endpoint, self.replicas)
        return self.available

    async def translate(
        self,
        sentences: list[str],
        source: str,
        target: str,
        beam_size: int,
        timeout: float,
    ) -> list[WorkerResult]:
        """Translates sentences in chunks the worker accepts; maps worker errors to ours.

        A few chunks at a time, so that one large request stays within the worker's queue
        budget; a chunk refused for overload is retried, after the delay the worker asks for,
        until the deadline.
        """
        limit = self.sentences_per_call()
        chunks = [sentences[i : i + limit] for i in range(0, len(sentences), limit)]
        deadline = time.monotonic() + timeout
        if len(chunks) == 1:
            return await self._call_with_retry(chunks[0], source, target, beam_size, deadline)
        slots = asyncio.Semaphore(CHUNKS_IN_FLIGHT)

        async def one(chunk: list[str]) -> list[WorkerResult]:
            async with slots:
                return await self._call_with_retry(chunk, source, target, beam_size, deadline)

        replies = await asyncio.gather(*(one(chunk) for chunk in chunks))
        return [r for reply in replies for r in reply]

    async def _call_with_retry(
        self, sentences: list[str], source: str, target: str, beam_size: int, deadline: float
    ) -> list[WorkerResult]:
        attempt = unavailable = 0
        while True:
            attempt += 1
            try:
                return await self._request(sentences, source, target, beam_size, deadline)
            except Overloaded as exc:
                error: Overloaded | ServiceUnavailable = exc
                pause = max(min(0.1 * 2 ** (attempt - 1), MAX_OVERLOAD_PAUSE), exc.retry_after)
            except ServiceUnavailable as exc:
                # gRPC's own retries (other replicas, per-attempt timeouts) were all used up,
                # e.g. a stalled replica not yet dropped by keepalive while the others were
                # slow: a few more rounds, within the deadline, before the caller sees it.
                error = exc
                unavailable += 1
                if unavailable > UNAVAILABLE_ROUNDS:
                    raise
                pause = 0.2 * 2 ** (unavailable - 1)
            if time.monotonic() + pause >= deadline:
                raise error
            await asyncio.sleep(pause)

    async def _request(
        self, sentences: list[str], source: str, target: str, beam_size: int, deadline: float
    ) -> list[WorkerResult]:
        """One worker call of these sentences, or a share of one merged with other requests'."""
        if self.merger is None:
            timeout = deadline - time.monotonic()
            return await self._call(sentences, source, target, beam_size, timeout, request_id.get())
        return await self.merger.call(
            sentences, (source, target, beam_size), deadline, request_id.get()
        )

    async def _call(
        self,
        sentences: list[str],
        source: str,
        target: str,
        beam_size: int,
        timeout: float,
        rid: str,
    ) -> list[WorkerResult]:
        request = worker_pb2.WorkerTranslateRequest(
            sentences=sentences,
            source_language=source,
            target_language=target,
            options=worker_pb2.DecodingOptions(beam_size=beam_size),
        )
        try:
            reply = await self.stub.Translate(
                request, timeout=timeout, metadata=(("x-request-id", rid),)
            )
        except grpc.aio.AioRpcError as exc:
            metrics.WORKER_ERRORS.labels(self.name, exc.code().name).inc()
            raise _map_worker_error(self.name, exc) from exc
        model = f"{reply.model_id}@{reply.revision}"
        return [WorkerResult(h.text, h.score, model, reply.demo) for h in reply.hypotheses]

    async def close(self) -> None:
        """Closes the channel."""
        await self.channel.close()


def _map_worker_error(name: str, exc: grpc.aio.AioRpcError) -> Exception:
    """A worker's failure as our error, recognised by its ErrorInfo reason (not its text)."""
    code = exc.code()
    status = status_from_trailers(exc.trailing_metadata())
    reason, _, retry = unpack_details(status) if status else ("", [], 0.0)
    meta = {"model": name}
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return Overloaded(
            f"worker {name} is overloaded: {exc.details()}", retry_after=retry, metadata=meta
        )
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        kind = TextTooLong if reason == TextTooLong.reason else InvalidArgument
        return kind(f"worker {name} refused the input: {exc.details()}", metadata=meta)
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return DeadlineExceeded(f"worker {name} did not answer within the deadline", metadata=meta)
    return ServiceUnavailable(
        f"worker {name} failed ({code.name}): {exc.details()}",
        reason="WORKER_UNAVAILABLE",
        retry_after=retry or 1.0,
        metadata=meta,
    )
