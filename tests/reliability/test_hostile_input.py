"""Hostile input: over 10,000 malformed requests; only clear, expected errors come back.

Every answer is OK or one of INVALID_ARGUMENT, FAILED_PRECONDITION, RESOURCE_EXHAUSTED (never
UNKNOWN or INTERNAL), every error message names the problem, and the router is still healthy,
with bounded memory, afterwards.
"""

from __future__ import annotations

import os

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc
from tests.reliability import hostile
from tests.reliability.cluster import Cluster, health, rss_mb

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
COUNT = {"requests": 0}


@pytest.fixture(scope="module")
def stub(cluster: Cluster):
    with grpc.insecure_channel(cluster.parts["router-a"].address) as channel:
        yield translator_pb2_grpc.TranslatorStub(channel)


def check(call, request) -> None:  # noqa: ANN001
    COUNT["requests"] += 1
    try:
        call(request, timeout=120)
    except grpc.RpcError as exc:
        code, details = exc.code(), exc.details() or ""
        assert code in EXPECTED, f"{code.name}: {details[:300]} for {str(request)[:300]!r}"
        assert len(details) >= 10 and "Unexpected" not in details, f"vague error: {details!r}"


@pytest.fixture(scope="module")
def memory(cluster: Cluster):
    pid = cluster.parts["router-a"].pid
    samples = [rss_mb(pid)]
    yield samples
    samples.append(rss_mb(pid))


@FUZZ
@given(request=hostile.translate_request)
def test_translate(stub, memory, request: pb.TranslateRequest) -> None:
    check(stub.Translate, request)


@FUZZ
@given(request=hostile.detect_request)
def test_detect(stub, memory, request: pb.DetectLanguageRequest) -> None:
    check(stub.DetectLanguage, request)


@settings(FUZZ, max_examples=max(5, int(300 * SCALE)))
@given(requests=st.lists(hostile.translate_request, min_size=1, max_size=10))
def test_stream(stub, memory, requests: list[pb.TranslateRequest]) -> None:
    messages = [pb.TranslateStreamRequest(id=str(i), request=r) for i, r in enumerate(requests)]
    COUNT["requests"] += len(messages)
    replies = list(stub.TranslateStream(iter(messages), timeout=120))
    assert sorted(r.id for r in replies) == sorted(m.id for m in messages)
    for reply in replies:
        if reply.error_code:
            assert CODES[reply.error_code] in EXPECTED, reply.error_message
            assert len(reply.error_message) >= 10


@settings(FUZZ, max_examples=max(10, int(1500 * SCALE)))
@given(payload=st.binary(max_size=200))
def test_undecodable_bytes(cluster: Cluster, memory, payload: bytes) -> None:
    COUNT["requests"] += 1
    with grpc.insecure_channel(cluster.parts["router-a"].address) as channel:
        call = channel.unary_unary(
            "/duta.v1.Translator/Translate",
            request_serializer=lambda b: b,
            response_deserializer=lambda b: b,
        )
        try:
            call(payload, timeout=60)
        except grpc.RpcError as exc:
            assert exc.code() in EXPECTED, f"{exc.code().name}: {exc.details()} for {payload!r}"


def test_router_healthy_and_bounded_afterwards(cluster: Cluster, memory) -> None:
    assert COUNT["requests"] >= 10_000 * SCALE
    assert health(cluster.parts["router-a"].address) == "SERVING"
    grown = rss_mb(cluster.parts["router-a"].pid) - memory[0]
    assert grown < 200, f"router RSS grew {grown:.0f} MB over {COUNT['requests']} requests"
