"""The one module that talks to the router: TranslateStream with retries, DetectLanguage, health.

Built on the generated stubs today; `duta.client` can replace it later behind the same three
methods. Several bidirectional streams are kept open (the router works on a bounded number of
messages per stream) and every message is answered by id. A message answered with
UNAVAILABLE or RESOURCE_EXHAUSTED, or lost with its stream, is sent again after an exponential
backoff with jitter; other errors are returned to the caller at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import random
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc

__all__ = ["RetryPolicy", "RouterTransport", "TranslateFailed", "code_name"]

_RETRYABLE = frozenset(
    {grpc.StatusCode.UNAVAILABLE.value[0], grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]}
)
_STREAM_SLOTS = 8  # messages the router works on at once per stream (its STREAM_CONCURRENCY)


class TranslateFailed(Exception):
    """A message the router refused for good (or after every retry)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter.

    Attributes:
        attempts: sends per message, the first included.
        initial_seconds: the first backoff's upper bound.
        max_seconds: the largest backoff.
        message_timeout: seconds to wait for one answer before sending the message again.
    """

    attempts: int = 8
    initial_seconds: float = 0.2
    max_seconds: float = 10.0
    message_timeout: float = 300.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        return random.uniform(0, min(self.max_seconds, self.initial_seconds * 2 ** (attempt - 1)))


class _Lost(Exception):
    """The stream carrying a message ended before its answer."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Stream:
    """One TranslateStream call, reopened when it ends; answers matched to futures by id."""

    def __init__(self, stub: translator_pb2_grpc.TranslatorStub) -> None:
        self.stub = stub
        self.call: grpc.aio.StreamStreamCall | None = None
        self.reader: asyncio.Task[None] | None = None
        self.pending: dict[str, asyncio.Future[pb.TranslateStreamResponse]] = {}
        self.lock = asyncio.Lock()

    async def send(self, message: pb.TranslateStreamRequest) -> asyncio.Future:
        future: asyncio.Future[pb.TranslateStreamResponse] = (
            asyncio.get_running_loop().create_future()
        )
        async with self.lock:
            if self.call is None:
                self.call = self.stub.TranslateStream()
                self.reader = asyncio.create_task(self._read(self.call))
            self.pending[message.id] = future
            try:
                await self.call.write(message)
            except (grpc.aio.AioRpcError, asyncio.InvalidStateError) as exc:
                self.pending.pop(message.id, None)
                self.call = None
                raise _Lost(grpc.StatusCode.UNAVAILABLE.value[0], f"stream broke: {exc}") from None
        return future

    async def _read(self, call: grpc.aio.StreamStreamCall) -> None:
        code, reason = grpc.StatusCode.UNAVAILABLE.value[0], "the stream ended"
        try:
            async for response in call:
                future = self.pending.pop(response.id, None)
                if future is not None and not future.done():
                    future.set_result(response)
        except grpc.aio.AioRpcError as exc:
            code, reason = exc.code().value[0], exc.details() or exc.code().name
        finally:
            if self.call is call:
                self.call = None
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(_Lost(code, reason))
            self.pending.clear()

    async def close(self) -> None:
        if self.call is not None:
            with contextlib.suppress(grpc.aio.AioRpcError, asyncio.InvalidStateError):
                await self.call.done_writing()
        if self.reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self.reader, 5)


class RouterTransport:
    """Translation and detection calls to one router address."""

    def __init__(
        self, address: str, max_in_flight: int = 32, retry: RetryPolicy | None = None
    ) -> None:
        self.address = address
        self.retry = retry or RetryPolicy()
        self.retries = 0  # messages sent again, for the report
        self._slots = asyncio.Semaphore(max_in_flight)
        self._ids = itertools.count()
        self._channel = grpc.aio.insecure_channel(
            address, options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)]
        )
        self._stub = translator_pb2_grpc.TranslatorStub(self._channel)
        count = max(1, math.ceil(max_in_flight / _STREAM_SLOTS))
        self._streams = [_Stream(self._stub) for _ in range(count)]

    async def close(self) -> None:
        """Ends the streams and the channel."""
        for stream in self._streams:
            await stream.close()
        await self._channel.close()

    async def ready(self, timeout: float) -> bool:
        """True when the router answers its health check with SERVING within `timeout`."""
        stub = health_pb2_grpc.HealthStub(self._channel)
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        except grpc.aio.AioRpcError:
            return False
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

    async def detect(self, text: str) -> str:
        """The language the router detects for a text (``und`` when it cannot tell)."""
        request = pb.DetectLanguageRequest(texts=[text], top_k=1)
        reply = await self._stub.DetectLanguage(request, timeout=self.retry.message_timeout)
        return str(reply.detections[0].language)

    async def translate(self, request: pb.TranslateRequest) -> pb.TranslateResponse:
        """Translates one request through a stream, retrying overload and outages."""
        async with self._slots:
            code, reason = 0, ""
            for attempt in range(1, self.retry.attempts + 1):
                if attempt > 1:
                    self.retries += 1
                    await asyncio.sleep(self.retry.delay(attempt - 1))
                answer = await self._send_once(request)
                if isinstance(answer, pb.TranslateResponse):
                    return answer
                code, reason = answer
                if code not in _RETRYABLE:
                    raise TranslateFailed(code, reason)
            raise TranslateFailed(
                code, f"{code_name(code)} after {self.retry.attempts} attempts: {reason}"
            )

    async def _send_once(
        self, request: pb.TranslateRequest
    ) -> pb.TranslateResponse | tuple[int, str]:
        message = pb.TranslateStreamRequest(id=str(next(self._ids)), request=request)
        stream = min(self._streams, key=lambda s: len(s.pending))
        try:
            future = await stream.send(message)
            response = await asyncio.wait_for(future, self.retry.message_timeout)
        except _Lost as exc:
            return exc.code, str(exc)
        except TimeoutError:
            stream.pending.pop(message.id, None)
            return grpc.StatusCode.UNAVAILABLE.value[0], "no answer in time"
        if response.error_code:
            return response.error_code, response.error_message
        return response.response


def code_name(number: int) -> str:
    """The name of a gRPC status code number (``UNAVAILABLE`` for 14)."""
    return next((s.name for s in grpc.StatusCode if s.value[0] == number), str(number))
