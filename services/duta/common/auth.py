"""Optional API keys: `authorization: Bearer <key>` checked in constant time.

Keys come from a file, one per line (`#` starts a comment), typically a mounted Kubernetes
Secret; `reload()` re-reads it (the router does so on SIGHUP). Keys are never logged. The
health and reflection services stay open so probes and grpcurl's listing work without one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc

from duta.common.errors import InvalidArgument, Unauthenticated

logger = logging.getLogger(__name__)

OPEN_PREFIXES = ("/grpc.health.", "/grpc.reflection.")


class ApiKeys:
    """The accepted keys (kept as SHA-256 digests), re-readable from their file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._digests: tuple[bytes, ...] = ()
        self.reload()

    def reload(self) -> int:
        """Re-reads the file; returns how many keys it holds. A file with none is an error."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InvalidArgument(f"cannot read the API key file {self.path}: {exc}") from exc
        keys = [line.split("#", 1)[0].strip() for line in lines]
        digests = tuple(_digest(k) for k in keys if k)
        if not digests:
            raise InvalidArgument(f"the API key file {self.path} holds no key")
        self._digests = digests
        logger.info("%d API keys loaded from %s", len(digests), self.path)
        return len(digests)

    def check(self, metadata: Any) -> None:
        """Raises Unauthenticated unless the metadata carries an accepted bearer key."""
        header = ""
        for key, value in metadata or ():
            if key == "authorization":
                header = value if isinstance(value, str) else value.decode("latin-1")
                break
        scheme, _, token = header.partition(" ")
        if not header:
            raise Unauthenticated(
                "an API key is required: send the metadata `authorization: Bearer <key>`",
                reason="API_KEY_MISSING",
            )
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the authorization metadata must be `Bearer <key>`")
        digest = _digest(token.strip())
        matched = False
        for accepted in self._digests:  # every key compared, in constant time each
            matched |= hmac.compare_digest(digest, accepted)
        if not matched:
            raise Unauthenticated("the API key is not valid")


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class ApiKeyInterceptor(grpc.aio.ServerInterceptor):
    """Refuses calls without an accepted key (UNAUTHENTICATED), except health and reflection.

    An accepted call gets the service's own handler; a refused one a handler that raises the
    refusal (built once per method and reason), so nothing is allocated per call.
    """

    def __init__(self, keys: ApiKeys) -> None:
        self.keys = keys
        self._denials: dict[tuple[str, str, str], grpc.RpcMethodHandler] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(OPEN_PREFIXES):
            return handler
        try:
            self.keys.check(handler_call_details.invocation_metadata)
        except Unauthenticated as exc:
            key = (method, exc.reason, str(exc))
            if key not in self._denials:
                self._denials[key] = _denial(handler, exc.reason, str(exc))
            return self._denials[key]
        return handler


def _denial(handler: grpc.RpcMethodHandler, reason: str, message: str) -> grpc.RpcMethodHandler:
    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        raise Unauthenticated(message, reason=reason)

    async def stream(iterator: Any, context: grpc.aio.ServicerContext) -> Any:
        raise Unauthenticated(message, reason=reason)
        yield  # an async generator, like the handler it stands in for

    if handler.stream_stream:
        return grpc.stream_stream_rpc_method_handler(
            stream,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    return grpc.unary_unary_rpc_method_handler(
        unary,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
