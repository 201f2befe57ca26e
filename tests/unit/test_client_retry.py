"""The client library's retry decision: what is retried, how long it waits, when it stops."""

from __future__ import annotations

import time

import grpc

from duta.client.errors import DutaRpcError
from duta.client.requests import retry_pause


def _error(code: grpc.StatusCode, retry_after: float = 0.0) -> DutaRpcError:
    return DutaRpcError(code, "refused", retry_after=retry_after)


def test_overload_and_unavailable_are_retried_with_growing_pauses() -> None:
    far = time.monotonic() + 60
    overloaded = _error(grpc.StatusCode.RESOURCE_EXHAUSTED)
    pauses = [retry_pause(overloaded, attempt, 5, far) for attempt in (1, 2, 3)]
    assert pauses == [0.1, 0.2, 0.4]
    assert retry_pause(_error(grpc.StatusCode.UNAVAILABLE), 1, 5, far) == 0.1


def test_the_servers_retry_delay_is_honoured() -> None:
    far = time.monotonic() + 60
    assert retry_pause(_error(grpc.StatusCode.RESOURCE_EXHAUSTED, 1.5), 1, 5, far) == 1.5


def test_no_retry_for_caller_errors_spent_attempts_or_a_passed_deadline() -> None:
    far = time.monotonic() + 60
    assert retry_pause(_error(grpc.StatusCode.INVALID_ARGUMENT), 1, 5, far) is None
    assert retry_pause(_error(grpc.StatusCode.UNAVAILABLE), 5, 5, far) is None
    near = time.monotonic() + 0.05  # the pause (0.1 s) would end after the deadline
    assert retry_pause(_error(grpc.StatusCode.UNAVAILABLE), 1, 5, near) is None
