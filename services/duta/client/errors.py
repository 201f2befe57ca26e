"""The one error a Duta client raises, read from the server's `google.rpc.Status`."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc

from duta.common.errors import status_from_trailers, unpack_details

# Codes a call may be retried on: the same request can succeed later or elsewhere.
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED})


@dataclass(eq=False)
class DutaRpcError(Exception):
    """A failed Duta call (or one failed text or stream message).

    Attributes:
        code: the gRPC status code.
        message: what went wrong and what is allowed.
        reason: the stable ErrorInfo reason (`UNSUPPORTED_PAIR`, `TEXT_TOO_LONG`, `OVERLOADED`…),
            "" when the server sent none (e.g. a connection failure).
        field_violations: (field, description) pairs from BadRequest.
        retry_after: seconds the server asked to wait before retrying (RetryInfo), 0 if none.
    """

    code: grpc.StatusCode
    message: str
    reason: str = ""
    field_violations: list[tuple[str, str]] = field(default_factory=list)
    retry_after: float = 0.0

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}" + (f" [{self.reason}]" if self.reason else "")

    @property
    def retryable(self) -> bool:
        """True for UNAVAILABLE and RESOURCE_EXHAUSTED: the same call may succeed later."""
        return self.code in RETRYABLE

    @classmethod
    def from_rpc_error(cls, exc: grpc.RpcError) -> DutaRpcError:
        """Reads code, message and standard details from a failed call."""
        code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN  # type: ignore[attr-defined]
        message = (exc.details() if hasattr(exc, "details") else "") or code.name  # type: ignore[attr-defined]
        trailers = exc.trailing_metadata() if hasattr(exc, "trailing_metadata") else ()  # type: ignore[attr-defined]
        status = status_from_trailers(trailers)
        if status is None:
            return cls(code, message)
        reason, violations, retry = unpack_details(status)
        return cls(code, message, reason, violations, retry)

    @classmethod
    def from_status(cls, status: object) -> DutaRpcError:
        """From a `google.rpc.Status` carried inside a message (a failed text or stream item)."""
        code_value = int(getattr(status, "code", 2))
        code = next(
            (c for c in grpc.StatusCode if c.value[0] == code_value), grpc.StatusCode.UNKNOWN
        )
        reason, violations, retry = unpack_details(status)  # type: ignore[arg-type]
        return cls(code, str(getattr(status, "message", "")), reason, violations, retry)
