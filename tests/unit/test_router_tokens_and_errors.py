"""Token bounds under NFKC, the error model's details, request ids and the client's errors."""

from __future__ import annotations

import unicodedata

import grpc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from duta.client import DutaRpcError
from duta.common.errors import (
    InvalidArgument,
    Overloaded,
    ServiceUnavailable,
    TextTooLong,
    UnsupportedLanguagePair,
    unpack_details,
)
from duta.common.interceptors import sanitize_request_id
from duta.router.tokens import estimate_tokens, worst_case_tokens


@pytest.mark.parametrize(("text", "expanded"), [("ﷺ" * 20, 660), ("ヿ" * 86, 516)])
def test_worst_case_counts_the_nfkc_form(text: str, expanded: int) -> None:
    assert len(unicodedata.normalize("NFKC", text).encode()) == expanded
    assert worst_case_tokens(text) == expanded + 2  # the worker counted 662 for 20 × ﷺ
    assert estimate_tokens(text) > expanded // 3


@given(st.text(max_size=200))
def test_worst_case_bounds_one_token_per_nfkc_byte(text: str) -> None:
    assert worst_case_tokens(text) >= len(unicodedata.normalize("NFKC", text).encode()) + 2
    assert worst_case_tokens(text) >= estimate_tokens(text)


def test_statuses_carry_reason_field_and_retry() -> None:
    bad = InvalidArgument("beam_size 9 is too large; allowed: 0–8", field="options.beam_size")
    assert unpack_details(bad.to_status()) == (
        "INVALID_ARGUMENT",
        [("options.beam_size", "beam_size 9 is too large; allowed: 0–8")],
        0.0,
    )
    assert unpack_details(TextTooLong("long", field="texts[3]").to_status())[0] == "TEXT_TOO_LONG"
    assert unpack_details(UnsupportedLanguagePair("no").to_status()) == (
        "UNSUPPORTED_PAIR",
        [],
        0.0,
    )
    reason, violations, retry = unpack_details(Overloaded("busy", retry_after=0.8).to_status())
    assert reason == "OVERLOADED" and not violations and retry == pytest.approx(0.8)
    error = DutaRpcError.from_status(Overloaded("busy", retry_after=0.8).to_status())
    assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED and error.retryable
    down = ServiceUnavailable("worker gone", reason="WORKER_UNAVAILABLE", retry_after=1.5)
    assert unpack_details(down.to_status()) == ("WORKER_UNAVAILABLE", [], pytest.approx(1.5))
    error = DutaRpcError.from_status(down.to_status())
    assert error.code == grpc.StatusCode.UNAVAILABLE and error.retry_after == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("given_id", "kept"),
    [
        ("abc-123", "abc-123"),
        ("a b;c", "a_b_c"),
        ("x" * 4000, "x" * 64),
        ("日本", None),
        ("", None),
    ],
)
def test_request_ids_are_bounded_and_sanitised(given_id: str, kept: str | None) -> None:
    out = sanitize_request_id(given_id)
    assert len(out) <= 64 and out.isascii()
    if kept is not None:
        assert out == kept
    else:
        assert out != given_id and out.strip("_")  # unusable: a fresh id instead
