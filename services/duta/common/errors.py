"""Domain errors, and their one mapping onto gRPC status codes at the edge."""

from __future__ import annotations

import grpc


class DutaError(Exception):
    """Base class of errors that carry a gRPC status code and a message for the caller."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL


class InvalidArgument(DutaError):
    """The request is malformed: the message says what was wrong and what is allowed."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class TextTooLong(InvalidArgument):
    """A text or sentence is over a configured size limit."""


class UnsupportedLanguagePair(DutaError):
    """No model (and no pivot route) serves the requested pair."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class Overloaded(DutaError):
    """The service is over its queue budget; the caller should retry later."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    retry_after: float = 0.0  # seconds, when the service gave a hint


class DeadlineExceeded(DutaError):
    """The caller's deadline passed before the work could be done."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED


class ServiceUnavailable(DutaError):
    """A dependency (a worker pool) cannot be reached right now."""

    code = grpc.StatusCode.UNAVAILABLE


def status_of(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """Returns the gRPC status code and message for an exception."""
    if isinstance(exc, DutaError):
        return exc.code, str(exc)
    if isinstance(exc, grpc.aio.AioRpcError):
        return exc.code(), exc.details() or exc.code().name
    return grpc.StatusCode.INTERNAL, "internal error; see the server log"
