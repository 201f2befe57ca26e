"""Worker pools: one gRPC channel per configured worker address, and what each serves."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import grpc

from duta.common.errors import (
    DeadlineExceeded,
    InvalidArgument,
    Overloaded,
    ServiceUnavailable,
    TextTooLong,
)
from duta.router import metrics
from duta.router.settings import WorkerEndpoint
from duta.v1 import worker_pb2, worker_pb2_grpc

logger = logging.getLogger(__name__)

CHUNK_SENTENCES = 128  # sentences per worker call
CHUNKS_IN_FLIGHT = 4  # calls per request and pool at a time
OVERLOAD_BACKOFF = (0.1, 0.3, 0.9)  # pauses between retries of a refused chunk; the last repeats


@dataclass(frozen=True)
class WorkerResult:
    """One sentence's translation by one model."""

    text: str
    score: float
    model: str  # id@revision
    demo: bool


@dataclass
class WorkerPool:
    """The replicas behind one address (gRPC round-robins across a headless Service's IPs)."""

    endpoint: WorkerEndpoint
    channel: grpc.aio.Channel
    stub: worker_pb2_grpc.WorkerStub
    info: worker_pb2.WorkerInfoResponse | None = None
    available: bool = False
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def connect(cls, endpoint: WorkerEndpoint) -> WorkerPool:
        """Opens a channel (lazily connecting, round-robin over resolved addresses)."""
        channel = grpc.aio.insecure_channel(
            endpoint.address,
            options=[
                ("grpc.lb_policy_name", "round_robin"),
                ("grpc.max_receive_message_length", 64 * 1024 * 1024),
                ("grpc.max_send_message_length", 64 * 1024 * 1024),
            ],
        )
        return cls(endpoint, channel, worker_pb2_grpc.WorkerStub(channel))

    @property
    def name(self) -> str:
        """The model id when known, else the configured name or address."""
        if self.info is not None:
            return self.info.model_id
        return self.endpoint.name or self.endpoint.address

    @property
    def model_ref(self) -> str:
        """`id@revision`, the model's identity in cache keys."""
        info = self.info
        return f"{info.model_id}@{info.revision}" if info else self.name

    async def refresh(self, timeout: float = 2.0) -> bool:
        """Asks the worker what it serves; marks the pool unavailable when it does not answer."""
        try:
            self.info = await self.stub.Info(worker_pb2.WorkerInfoRequest(), timeout=timeout)
            self.available = True
        except grpc.aio.AioRpcError as exc:
            if self.available:
                logger.warning("worker %s unavailable: %s", self.endpoint.address, exc.code().name)
            self.available = False
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
        budget; a chunk refused for overload is retried with backoff before the deadline.
        """
        limit = min(CHUNK_SENTENCES, self.info.limits.max_sentences_per_call if self.info else 64)
        chunks = [sentences[i : i + limit] for i in range(0, len(sentences), limit)]
        deadline = time.monotonic() + timeout
        slots = asyncio.Semaphore(CHUNKS_IN_FLIGHT)

        async def one(chunk: list[str]) -> list[WorkerResult]:
            async with slots:
                return await self._call_with_retry(chunk, source, target, beam_size, deadline)

        replies = await asyncio.gather(*(one(chunk) for chunk in chunks))
        return [r for reply in replies for r in reply]

    async def _call_with_retry(
        self, sentences: list[str], source: str, target: str, beam_size: int, deadline: float
    ) -> list[WorkerResult]:
        """Retries a chunk refused for overload until the deadline, with capped backoff.

        A refusal means the worker is busy with work that will finish, so a fixed number of
        tries would fail large requests on a slow (or busy) machine: only the deadline ends it.
        """
        attempt = 0
        while True:
            try:
                return await self._call(
                    sentences, source, target, beam_size, deadline - time.monotonic()
                )
            except Overloaded as exc:
                delay = OVERLOAD_BACKOFF[min(attempt, len(OVERLOAD_BACKOFF) - 1)]
                pause = max(delay, exc.retry_after)
                if time.monotonic() + pause >= deadline:
                    raise
                attempt += 1
                await asyncio.sleep(pause)

    async def _call(
        self, sentences: list[str], source: str, target: str, beam_size: int, timeout: float
    ) -> list[WorkerResult]:
        request = worker_pb2.WorkerTranslateRequest(
            sentences=sentences,
            source_language=source,
            target_language=target,
            options=worker_pb2.DecodingOptions(beam_size=beam_size),
        )
        try:
            reply = await self.stub.Translate(request, timeout=timeout)
        except grpc.aio.AioRpcError as exc:
            metrics.WORKER_ERRORS.labels(self.name, exc.code().name).inc()
            raise _map_worker_error(self.name, exc) from exc
        model = f"{reply.model_id}@{reply.revision}"
        return [WorkerResult(h.text, h.score, model, reply.demo) for h in reply.hypotheses]

    async def close(self) -> None:
        """Closes the channel."""
        await self.channel.close()


def _retry_after(exc: grpc.aio.AioRpcError) -> float:
    """The worker's retry hint (trailer `retry-after-ms`) in seconds, 0 when absent."""
    for key, value in exc.trailing_metadata() or ():
        if key == "retry-after-ms":
            try:
                return int(value) / 1000
            except ValueError:
                return 0.0
    return 0.0


def _map_worker_error(name: str, exc: grpc.aio.AioRpcError) -> Exception:
    code = exc.code()
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        overloaded = Overloaded(f"worker {name} is overloaded: {exc.details()}")
        overloaded.retry_after = _retry_after(exc)
        return overloaded
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        details = exc.details() or ""
        kind = TextTooLong if "tokens; at most" in details else InvalidArgument
        return kind(f"worker {name} refused the input: {details}")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return DeadlineExceeded(f"worker {name} did not answer within the deadline")
    return ServiceUnavailable(f"worker {name} failed ({code.name}): {exc.details()}")
