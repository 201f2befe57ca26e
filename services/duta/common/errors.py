"""Domain errors, and their one mapping onto `google.rpc.Status` at the edge.

Every error Duta returns — a failed call, one failed text inside a batch, one failed stream
message — is a `google.rpc.Status` with standard details: `ErrorInfo` (a stable `reason` in the
`duta` domain, what callers should branch on), `BadRequest` field violations for
INVALID_ARGUMENT (which field, what is allowed) and `RetryInfo` for RESOURCE_EXHAUSTED and
UNAVAILABLE. On a failed call the status travels in the `grpc-status-details-bin` trailer
(what `grpc_status.rpc_status` reads); inside messages it is a `google.rpc.Status` field.
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

DOMAIN = "duta"
STATUS_TRAILER = "grpc-status-details-bin"


class DutaError(Exception):
    """Base class of errors that carry a gRPC status code and a message for the caller.

    Args:
        message: what went wrong and what is allowed (shown to the caller).
        reason: the stable ErrorInfo reason (defaults to the class's).
        field: the request field at fault (a BadRequest field violation).
        retry_after: seconds after which a retry may succeed (RetryInfo), 0 for none.
        metadata: ErrorInfo metadata (e.g. the model at fault).
    """

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    reason: str = "INTERNAL"
    field: str = ""
    retry_after: float = 0.0

    def __init__(
        self,
        message: str = "",
        *,
        reason: str | None = None,
        field: str | None = None,
        retry_after: float | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason
        if field is not None:
            self.field = field
        if retry_after is not None:
            self.retry_after = retry_after
        self.metadata = dict(metadata or {})

    def to_status(self) -> status_pb2.Status:
        """This error as a `google.rpc.Status` with its standard details."""
        return make_status(
            self.code, str(self), self.reason, self.field, self.retry_after, self.metadata
        )


def make_status(
    code: grpc.StatusCode,
    message: str,
    reason: str,
    field: str = "",
    retry_after: float = 0.0,
    metadata: dict[str, str] | None = None,
) -> status_pb2.Status:
    """Builds a `google.rpc.Status`: ErrorInfo always, BadRequest and RetryInfo where they apply."""
    details = [error_details_pb2.ErrorInfo(reason=reason, domain=DOMAIN, metadata=metadata or {})]
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        violation = error_details_pb2.BadRequest.FieldViolation(field=field, description=message)
        details.append(error_details_pb2.BadRequest(field_violations=[violation]))
    if code in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE):
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(max(retry_after, 0.1) * 1e9))
        details.append(error_details_pb2.RetryInfo(retry_delay=delay))
    packed = []
    for detail in details:
        item = any_pb2.Any()
        item.Pack(detail)
        packed.append(item)
    return status_pb2.Status(code=code.value[0], message=message, details=packed)


class InvalidArgument(DutaError):
    """The request is malformed: the message says what was wrong and what is allowed."""

    code = grpc.StatusCode.INVALID_ARGUMENT
    reason = "INVALID_ARGUMENT"


class InvalidLanguage(InvalidArgument):
    """A language code is empty, malformed or unknown."""

    reason = "INVALID_LANGUAGE"


class TextTooLong(InvalidArgument):
    """A text or sentence is over a configured size limit."""

    reason = "TEXT_TOO_LONG"


class UndecodableRequest(InvalidArgument):
    """The request bytes are not a valid message (invalid UTF-8, malformed protobuf)."""

    reason = "UNDECODABLE_REQUEST"


class UnsupportedLanguagePair(DutaError):
    """No model (and no pivot route) serves the requested pair."""

    code = grpc.StatusCode.FAILED_PRECONDITION
    reason = "UNSUPPORTED_PAIR"


class Overloaded(DutaError):
    """The service is over its queue budget; the caller should retry later."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = "OVERLOADED"
    retry_after = 1.0


class DeadlineExceeded(DutaError):
    """The caller's deadline passed before the work could be done."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED
    reason = "DEADLINE_EXCEEDED"


class ServiceUnavailable(DutaError):
    """A dependency (a worker pool) cannot be reached right now, or this service is draining."""

    code = grpc.StatusCode.UNAVAILABLE
    reason = "UNAVAILABLE"
    retry_after = 1.0


class Unauthenticated(DutaError):
    """No valid API key was presented."""

    code = grpc.StatusCode.UNAUTHENTICATED
    reason = "API_KEY_INVALID"


def status_of(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """Returns the gRPC status code and message for an exception."""
    if isinstance(exc, DutaError):
        return exc.code, str(exc)
    if isinstance(exc, grpc.aio.AioRpcError):
        return exc.code(), exc.details() or exc.code().name
    return grpc.StatusCode.INTERNAL, "internal error; see the server log"


def status_trailer(status: status_pb2.Status) -> tuple[tuple[str, bytes], ...]:
    """The trailing metadata that carries a status's details on a failed call."""
    return ((STATUS_TRAILER, status.SerializeToString()),)


def status_from_trailers(metadata: object) -> status_pb2.Status | None:
    """The `google.rpc.Status` a failed call carried in its trailers, None when absent."""
    for key, value in metadata or ():  # type: ignore[attr-defined]
        if key == STATUS_TRAILER:
            status = status_pb2.Status()
            try:
                status.ParseFromString(value)
            except Exception:  # a foreign or broken trailer: treat as absent
                return None
            return status
    return None


def unpack_details(status: status_pb2.Status) -> tuple[str, list[tuple[str, str]], float]:
    """(ErrorInfo reason, BadRequest (field, description) pairs, RetryInfo seconds)."""
    reason, violations, retry = "", [], 0.0
    for item in getattr(status, "details", ()):
        if item.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            item.Unpack(info)
            reason = info.reason
        elif item.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            item.Unpack(bad)
            violations += [(v.field, v.description) for v in bad.field_violations]
        elif item.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info_retry = error_details_pb2.RetryInfo()
            item.Unpack(info_retry)
            retry = info_retry.retry_delay.ToNanoseconds() / 1e9
    return reason, violations, retry
