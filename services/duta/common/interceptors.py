"""Server interceptors: request ids and the backstop that turns the unexpected into INTERNAL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

from duta.common.errors import DutaError
from duta.common.logging import request_id

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
    RPCS.labels(method, code.name).inc()
    RPC_SECONDS.labels(method).observe(time.perf_counter() - started)


@contextlib.asynccontextmanager
async def _guarded(method: str, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
    """Binds a request id, maps errors to statuses, and records the RPC's metrics."""
    _bind_request_id(context)
    started = time.perf_counter()
    code = grpc.StatusCode.OK
    try:
        yield
    except DutaError as exc:
        code = exc.code
        await context.abort(exc.code, str(exc))
    except (grpc.aio.AbortError, grpc.aio.UsageError):
        code = _code_of(context)
        raise
    except asyncio.CancelledError:
        code = grpc.StatusCode.CANCELLED
        raise
    except Exception:
        code = grpc.StatusCode.INTERNAL
        logger.exception("unhandled error in %s", method)
        await context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")
    finally:
        _record(method, code, started)


def _wrap_unary(behavior: Callable[..., Awaitable[Any]], method: str) -> Callable[..., Any]:
    async def handler(request: Any, context: grpc.aio.ServicerContext) -> Any:
        async with _guarded(method, context):
            return await behavior(request, context)

    return handler


def _wrap_stream(behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
    async def handler(request_or_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
        async with _guarded(method, context):
            async for item in behavior(request_or_iterator, context):
                yield item

    return handler


def _code_of(context: grpc.aio.ServicerContext) -> grpc.StatusCode:
    code = context.code()
    return code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.UNKNOWN


def _bind_request_id(context: grpc.aio.ServicerContext) -> None:
    metadata = dict(context.invocation_metadata() or ())
    request_id.set(str(metadata.get("x-request-id") or uuid.uuid4().hex[:16]))


class BackstopInterceptor(grpc.aio.ServerInterceptor):
    """Maps DutaError to its status, anything else to INTERNAL (logged with a traceback)."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                _wrap_unary(handler.unary_unary, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_stream:
            return grpc.stream_stream_rpc_method_handler(
                _wrap_stream(handler.stream_stream, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler
