"""Server interceptors: request ids and the backstop that turns the unexpected into INTERNAL."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from duta.common.errors import DutaError
from duta.common.logging import request_id

logger = logging.getLogger(__name__)


def _wrap_unary(behavior: Callable[..., Awaitable[Any]], method: str) -> Callable[..., Any]:
    async def handler(request: Any, context: grpc.aio.ServicerContext) -> Any:
        _bind_request_id(context)
        try:
            return await behavior(request, context)
        except DutaError as exc:
            await context.abort(exc.code, str(exc))
        except (grpc.aio.AbortError, grpc.aio.UsageError):
            raise
        except Exception:
            logger.exception("unhandled error in %s", method)
            await context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")

    return handler


def _wrap_stream(behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
    async def handler(request_or_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
        _bind_request_id(context)
        try:
            async for item in behavior(request_or_iterator, context):
                yield item
        except DutaError as exc:
            await context.abort(exc.code, str(exc))
        except (grpc.aio.AbortError, grpc.aio.UsageError):
            raise
        except Exception:
            logger.exception("unhandled error in %s", method)
            await context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")

    return handler


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
