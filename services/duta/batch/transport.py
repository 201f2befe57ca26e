"""The one module that talks to the router: TranslateStream with retries, DetectLanguage, health.

The channel, the API key (``DUTA_API_KEY``), TLS and the error model come from `duta.client`
(`ClientOptions`, `DutaRpcError`); what the client's one-shot `translate_stream` cannot do —
keep streams open while files come and go, and send a refused message again — is here.
Several bidirectional streams stay open (the router works on a bounded number of messages per
stream) and every message is answered by id. A message answered UNAVAILABLE or
RESOURCE_EXHAUSTED, or lost with its stream, is sent again after an exponential backoff with
jitter (at least the delay the router asks for in RetryInfo); other errors go to the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from duta.client import ClientOptions, DutaRpcError
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc

__all__ = ["RetryPolicy", "RouterTransport", "TranslateFailed", "code_name"]

T = TypeVar("T")
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

    def delay(self, attempt: int, asked: float = 0.0) -> float:
        """Seconds to wait before retry number `attempt` (1-based); at least `asked`."""
        ceiling = min(self.max_seconds, self.initial_seconds * 2 ** (attempt - 1))
        return max(asked, random.uniform(0, ceiling))


def _unavailable(message: str) -> DutaRpcError:
    return DutaRpcError(grpc.StatusCode.UNAVAILABLE, message)


class _Lost(Exception):
    """The stream carrying a message ended before its answer."""

    def __init__(self, error: DutaRpcError) -> None:
        super().__init__(str(error))
        self.error = error


class _Stream:
    """One TranslateStream call, reopened when it ends; answers matched to futures by id."""

    def __init__(self, stub: translator_pb2_grpc.TranslatorStub, metadata: tuple) -> None:
        self.stub = stub
        self.metadata = metadata
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
                self.call = self.stub.TranslateStream(metadata=self.metadata)
                self.reader = asyncio.create_task(self._read(self.call))
            self.pending[message.id] = future
            try:
                await self.call.write(message)
            except (grpc.aio.AioRpcError, asyncio.InvalidStateError) as exc:
                self.pending.pop(message.id, None)
                self.call = None
                raise _Lost(_unavailable(f"the stream broke ({type(exc).__name__})")) from None
        return future

    async def _read(self, call: grpc.aio.StreamStreamCall) -> None:
        error = _unavailable("the stream ended")
        try:
            async for response in call:
                future = self.pending.pop(response.id, None)
                if future is not None and not future.done():
                    future.set_result(response)
        except grpc.aio.AioRpcError as exc:
            error = DutaRpcError.from_rpc_error(exc)
        finally:
            if self.call is call:
                self.call = None
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(_Lost(error))
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
        options = ClientOptions(address=address)  # API key and TLS from the environment
        self._metadata = options.call_metadata()
        channel_options = options.channel_options()
        self._channel = (
            grpc.aio.secure_channel(address, options.credentials(), channel_options)
            if options.secure
            else grpc.aio.insecure_channel(address, channel_options)
        )
        self._stub = translator_pb2_grpc.TranslatorStub(self._channel)
        count = max(1, math.ceil(max_in_flight / _STREAM_SLOTS))
        self._streams = [_Stream(self._stub, self._metadata) for _ in range(count)]

    async def close(self) -> None:
        """Ends the streams and the channel."""
        for stream in self._streams:
            await stream.close()
        await self._channel.close()

    async def check(self, timeout: float) -> str:
        """Why the router cannot take the job ("" when it can): not serving, or the key refused."""
        stub = health_pb2_grpc.HealthStub(self._channel)
        try:
            reply = await stub.Check(
                health_pb2.HealthCheckRequest(), timeout=timeout, metadata=self._metadata
            )
            if reply.status != health_pb2.HealthCheckResponse.SERVING:
                return f"the router at {self.address} is not serving yet"
            await self._stub.ListLanguages(
                pb.ListLanguagesRequest(), timeout=timeout, metadata=self._metadata
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                return (
                    f"the router at {self.address} refused the call ({exc.code().name}): "
                    "set DUTA_API_KEY to an accepted API key"
                )
            return f"no router is serving at {self.address}"
        return ""

    async def detect(self, text: str) -> str:
        """The language the router detects for a text (``und`` when it cannot tell)."""
        request = pb.DetectLanguageRequest(texts=[text], top_k=1)
        reply: pb.DetectLanguageResponse = await self._retrying(lambda: self._detect_once(request))
        return str(reply.detections[0].language)

    async def translate(self, request: pb.TranslateRequest) -> pb.TranslateResponse:
        """Translates one request through a stream, retrying overload and outages."""
        async with self._slots:
            return await self._retrying(lambda: self._send_once(request))

    async def _retrying(self, once: Callable[[], Awaitable[T | DutaRpcError]]) -> T:
        """Calls `once` until it answers, backing off on retryable errors."""
        error = _unavailable("not sent")
        for attempt in range(1, self.retry.attempts + 1):
            if attempt > 1:
                self.retries += 1
                await asyncio.sleep(self.retry.delay(attempt - 1, error.retry_after))
            answer = await once()
            if not isinstance(answer, DutaRpcError):
                return answer
            error = answer
            if not error.retryable:
                raise TranslateFailed(error.code.value[0], _described(error))
        raise TranslateFailed(
            error.code.value[0], f"after {self.retry.attempts} attempts: {_described(error)}"
        )

    async def _detect_once(
        self, request: pb.DetectLanguageRequest
    ) -> pb.DetectLanguageResponse | DutaRpcError:
        try:
            return await self._stub.DetectLanguage(
                request, timeout=self.retry.message_timeout, metadata=self._metadata
            )
        except grpc.aio.AioRpcError as exc:
            return DutaRpcError.from_rpc_error(exc)

    async def _send_once(self, request: pb.TranslateRequest) -> pb.TranslateResponse | DutaRpcError:
        message = pb.TranslateStreamRequest(id=str(next(self._ids)), request=request)
        stream = min(self._streams, key=lambda s: len(s.pending))
        try:
            future = await stream.send(message)
            response = await asyncio.wait_for(future, self.retry.message_timeout)
        except _Lost as exc:
            return exc.error
        except TimeoutError:
            stream.pending.pop(message.id, None)
            return _unavailable("no answer in time")
        if response.HasField("error") and response.error.code:
            return DutaRpcError.from_status(response.error)
        if response.error_code:
            return DutaRpcError(_status(response.error_code), response.error_message)
        return response.response


def _described(error: DutaRpcError) -> str:
    return error.message + (f" [{error.reason}]" if error.reason else "")


def _status(number: int) -> grpc.StatusCode:
    return next((s for s in grpc.StatusCode if s.value[0] == number), grpc.StatusCode.UNKNOWN)


def code_name(number: int) -> str:
    """The name of a gRPC status code number (``UNAVAILABLE`` for 14)."""
    return _status(number).name if number else "OK"
