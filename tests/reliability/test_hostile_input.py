"""Hostile input: over 10,000 malformed requests; only clear, expected errors come back.

Every answer — a call, a stream message, each text of an answered call — is OK or one of
INVALID_ARGUMENT, FAILED_PRECONDITION, RESOURCE_EXHAUSTED (never UNKNOWN or INTERNAL); every
error names the problem (a message, an ErrorInfo reason, for INVALID_ARGUMENT the field at
fault); over 10,000 requests are refused as malformed; and the router is still healthy, with
bounded memory, afterwards.
"""

from __future__ import annotations

import os
from collections import Counter

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duta.common.errors import status_from_trailers, unpack_details
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc
from tests.reliability import hostile
from tests.reliability.cluster import Cluster, health, rss_mb
from tests.reliability.conftest import FIGURES

pytestmark = pytest.mark.reliability

EXPECTED = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
CODES = {code.value[0]: code for code in grpc.StatusCode}  # wire number -> StatusCode
# Examples per property; FUZZ_SCALE=0.1 gives a quick local run.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
FUZZ = settings(
    max_examples=max(10, int(4500 * SCALE)),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# "requests": every request sent; the others: every outcome, of a call, a stream message or
# one text inside an answered call, by status code name (e.g. "text INVALID_ARGUMENT")
COUNT: Counter[str] = Counter()


@pytest.fixture(scope="module")
def stub(cluster: Cluster):
    with grpc.insecure_channel(cluster.parts["router-a"].address) as channel:
        yield translator_pb2_grpc.TranslatorStub(channel)


def assert_names_the_problem(code: grpc.StatusCode, message: str, status, what: str) -> None:  # noqa: ANN001
    """An expected code, and a message and standard details that say what was wrong: an
    ErrorInfo reason of its own and, for INVALID_ARGUMENT, a BadRequest violation naming the
    field at fault and describing it as the message does."""
    COUNT[f"{what} {code.name}"] += 1
    assert code in EXPECTED, f"{what}: {code.name}: {message[:300]}"
    assert len(message) >= 10 and "Unexpected" not in message, f"vague error: {message!r}"
    assert status is not None, f"{what}: no google.rpc.Status with the error: {message!r}"
    reason, violations, _ = unpack_details(status)
    assert reason and reason not in ("INTERNAL", "UNKNOWN"), f"no reason: {message!r}"
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        assert violations and violations[0][0], f"no field named: {reason} {message!r}"
        assert violations[0][1] == message, f"{violations[0]} against {message!r}"


def check_answer(reply: pb.TranslateResponse | pb.DetectLanguageResponse, what: str) -> None:
    """An answered call: each text that failed alone failed for a reason the caller can fix."""
    for item in getattr(reply, "translations", ()):
        if item.error.code:
            code = CODES[item.error.code]
            assert_names_the_problem(code, item.error.message, item.error.status, f"{what} text")
        else:
            COUNT[f"{what} text OK"] += 1


def check(call, request, what: str) -> None:  # noqa: ANN001
    COUNT["requests"] += 1
    try:
        reply = call(request, timeout=120)
    except grpc.RpcError as exc:
        status = status_from_trailers(exc.trailing_metadata())
        assert_names_the_problem(exc.code(), exc.details() or "", status, what)
        return
    COUNT[f"{what} OK"] += 1
    check_answer(reply, what)


@pytest.fixture(scope="module")
def memory(cluster: Cluster):
    pid = cluster.parts["router-a"].pid
    samples = [rss_mb(pid)]
    yield samples
    samples.append(rss_mb(pid))


@FUZZ
@given(request=hostile.translate_request)
def test_translate(stub, memory, request: pb.TranslateRequest) -> None:
    check(stub.Translate, request, "Translate")


@FUZZ
@given(request=hostile.detect_request)
def test_detect(stub, memory, request: pb.DetectLanguageRequest) -> None:
    check(stub.DetectLanguage, request, "DetectLanguage")


@settings(FUZZ, max_examples=max(5, int(300 * SCALE)))
@given(requests=st.lists(hostile.translate_request, min_size=1, max_size=10))
def test_stream(stub, memory, requests: list[pb.TranslateRequest]) -> None:
    messages = [pb.TranslateStreamRequest(id=str(i), request=r) for i, r in enumerate(requests)]
    COUNT["requests"] += len(messages)
    replies = list(stub.TranslateStream(iter(messages), timeout=120))
    assert sorted(r.id for r in replies) == sorted(m.id for m in messages)
    for reply in replies:
        if reply.error_code:
            assert reply.error.code == reply.error_code, reply
            code = CODES[reply.error_code]
            assert_names_the_problem(code, reply.error_message, reply.error, "stream message")
        else:
            COUNT["stream message OK"] += 1
            check_answer(reply.response, "stream message")


@settings(FUZZ, max_examples=max(10, int(1500 * SCALE)))
@given(payload=st.binary(max_size=200))
def test_undecodable_bytes(cluster: Cluster, memory, payload: bytes) -> None:
    COUNT["requests"] += 1  # as often as not a valid message of other fields: then answered
    with grpc.insecure_channel(cluster.parts["router-a"].address) as channel:
        call = channel.unary_unary(
            "/duta.v1.Translator/Translate",
            request_serializer=lambda b: b,
            response_deserializer=lambda b: b,
        )
        try:
            reply = call(payload, timeout=60)
        except grpc.RpcError as exc:
            status = status_from_trailers(exc.trailing_metadata())
            assert_names_the_problem(exc.code(), exc.details() or "", status, "bytes")
            return
        COUNT["bytes OK"] += 1
        check_answer(pb.TranslateResponse.FromString(reply), "bytes")


def test_router_healthy_and_bounded_afterwards(cluster: Cluster, memory) -> None:
    # malformed requests: those refused as a whole (a call, a stream message), each checked
    refused = sum(
        n for k, n in COUNT.items() if k != "requests" and " text " not in k and "OK" not in k
    )
    assert refused >= 10_000 * SCALE, f"{refused} malformed requests of {COUNT['requests']}"
    assert health(cluster.parts["router-a"].address) == "SERVING"
    grown = rss_mb(cluster.parts["router-a"].pid) - memory[0]
    assert grown < 200, f"router RSS grew {grown:.0f} MB over {COUNT['requests']} requests"
    FIGURES.append(
        f"hostile input: {COUNT['requests']} requests, {refused} refused as malformed; router "
        f"SERVING after, RSS "
        f"{memory[0]:.0f} MB before, +{grown:.0f} MB after; outcomes "
        + ", ".join(f"{k}: {n}" for k, n in sorted(COUNT.items()) if k != "requests")
    )
