"""Server interceptors: request ids and the backstop that turns the unexpected into INTERNAL."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

from duta.common.errors import DutaError, UndecodableRequest, make_status, status_trailer
from duta.common.logging import request_id
from duta.common.metrics import child

logger = logging.getLogger(__name__)

RPCS = Counter(
    "duta_grpc_requests_total", "RPCs answered, by method and status.", ["method", "code"]
)
RPC_SECONDS = Histogram(
    "duta_grpc_request_seconds",
    "RPC latency, by method.",
    ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


def _record(method: str, code: grpc.StatusCode, started: float) -> None:
    child(RPCS, method, code.name).inc()
    child(RPC_SECONDS, method).observe(time.perf_counter() - started)


def _code_for(exc: BaseException, context: grpc.aio.ServicerContext) -> grpc.StatusCode:
    """The status an exception leaving a handler ends the call with."""
    if isinstance(exc, DutaError):
        return exc.code
    if isinstance(exc, (grpc.aio.AbortError, grpc.aio.UsageError)):
        return _code_of(context)
    if isinstance(exc, asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode.INTERNAL


async def _fail(exc: BaseException, method: str, context: grpc.aio.ServicerContext) -> None:
    """Ends the call for an exception: DutaError → its status and details, the unexpected →
    INTERNAL (logged with its traceback); aborts and cancellations pass through."""
    if isinstance(exc, DutaError):
        trailers = (*_trailers_set(context), *status_trailer(exc.to_status()))
        await context.abort(exc.code, str(exc), trailing_metadata=trailers)
    if isinstance(exc, (grpc.aio.AbortError, grpc.aio.UsageError, asyncio.CancelledError)):
        raise exc
    if not isinstance(exc, Exception):
        raise exc
    logger.error("unhandled error in %s", method, exc_info=exc)
    message = "internal error; see the server log"
    status = make_status(grpc.StatusCode.INTERNAL, message, "INTERNAL")
    await context.abort(grpc.StatusCode.INTERNAL, message, trailing_metadata=status_trailer(status))


def _wrap_unary(behavior: Callable[..., Awaitable[Any]], method: str) -> Callable[..., Any]:
    async def handler(request: Any, context: grpc.aio.ServicerContext) -> Any:
        _bind_request_id(context)
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        try:
            if isinstance(request, _Undecodable):
                raise _refuse_undecodable(request.error)
            return await behavior(request, context)
        except BaseException as exc:
            code = _code_for(exc, context)
            await _fail(exc, method, context)
        finally:
            _record(method, code, started)

    return handler


def _wrap_stream(behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
    async def handler(request_or_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
        _bind_request_id(context)
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        try:
            async for item in behavior(_checked_stream(request_or_iterator), context):
                yield item
        except BaseException as exc:
            code = _code_for(exc, context)
            await _fail(exc, method, context)
        finally:
            _record(method, code, started)

    return handler


def _trailers_set(context: grpc.aio.ServicerContext) -> tuple[tuple[str, Any], ...]:
    """Trailing metadata a handler already set (abort's own trailers would replace it)."""
    try:
        return tuple(context.trailing_metadata() or ())
    except (AttributeError, TypeError):
        return ()


def _code_of(context: grpc.aio.ServicerContext) -> grpc.StatusCode:
    code = context.code()
    return code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.UNKNOWN


MAX_REQUEST_ID = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9._:/@=+-]")


def sanitize_request_id(value: object) -> str:
    """A caller's `x-request-id`, bounded to 64 safe characters; a fresh id when unusable."""
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value or "")
    clean = _UNSAFE.sub("_", text[:MAX_REQUEST_ID])
    return clean if clean.strip("_") else _fresh_id()


_IDS = itertools.count()
_PREFIX = os.urandom(4).hex()


def _fresh_id() -> str:
    """A new request id: process prefix + counter (uuid4 per call showed in profiles)."""
    return f"{_PREFIX}{next(_IDS):08x}"


def _bind_request_id(context: grpc.aio.ServicerContext) -> None:
    metadata = dict(context.invocation_metadata() or ())
    request_id.set(sanitize_request_id(metadata.get("x-request-id")))


class _Undecodable:
    """Stands in for a request whose bytes did not parse, so the handler can refuse it."""

    def __init__(self, error: Exception) -> None:
        self.error = error


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """Wraps a deserializer so that bad bytes become an INVALID_ARGUMENT, not UNKNOWN."""
    if deserializer is None:
        return None

    def parse(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception as exc:  # DecodeError, invalid UTF-8 in a string field
            return _Undecodable(exc)

    return parse


def _refuse_undecodable(error: Exception) -> UndecodableRequest:
    logger.info("refused an undecodable request (%s)", type(error).__name__)
    return UndecodableRequest(
        "the request is not a valid message (malformed protobuf, or a string field that is "
        "not valid UTF-8); send UTF-8 text in the documented fields",
        field="request",
    )


async def _checked_stream(iterator: Any) -> AsyncIterator[Any]:
    async for item in iterator:
        if isinstance(item, _Undecodable):
            raise _refuse_undecodable(item.error)
        yield item


class BackstopInterceptor(grpc.aio.ServerInterceptor):
    """Maps DutaError to its status, anything else to INTERNAL (logged with a traceback).

    Wrapped handlers are built once per method and handler, not once per call.
    """

    def __init__(self) -> None:
        self._wrapped: dict[tuple[str, Any], grpc.RpcMethodHandler] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        key = (method, handler.unary_unary or handler.stream_stream)
        wrapped = self._wrapped.get(key)
        if wrapped is None:
            wrapped = self._wrapped[key] = _wrap(handler, method)
        return wrapped


def _wrap(handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            _wrap_unary(handler.unary_unary, method),
            request_deserializer=_tolerant(handler.request_deserializer),
            response_serializer=handler.response_serializer,
        )
    if handler.stream_stream:
        return grpc.stream_stream_rpc_method_handler(
            _wrap_stream(handler.stream_stream, method),
            request_deserializer=_tolerant(handler.request_deserializer),
            response_serializer=handler.response_serializer,
        )
    return handler
