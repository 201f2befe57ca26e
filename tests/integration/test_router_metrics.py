"""The router's Translate latency is recorded by route, as the Grafana dashboard plots it."""

from __future__ import annotations

import grpc
import pytest
from prometheus_client import REGISTRY

from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc


@pytest.fixture(scope="module")
def stub(shared_router):
    with grpc.insecure_channel(f"127.0.0.1:{shared_router.service.port}") as channel:
        yield translator_pb2_grpc.TranslatorStub(channel)


def observed(route: str) -> float:
    value = REGISTRY.get_sample_value("duta_router_translate_seconds_count", {"route": route})
    return value or 0.0


def test_latency_is_recorded_by_route(stub) -> None:
    before = {r: observed(r) for r in ("ROUTE_DIRECT", "ROUTE_PIVOT", "CACHED", "FAILED")}
    request = pb.TranslateRequest(texts=["路由延迟的测试句子。"], target_language="en")
    stub.Translate(request)  # zh → en: a worker call
    stub.Translate(request)  # the same again: the cache
    stub.Translate(pb.TranslateRequest(texts=["路由延迟的第二个句子。"], target_language="ko"))
    assert observed("ROUTE_DIRECT") == before["ROUTE_DIRECT"] + 1
    assert observed("CACHED") == before["CACHED"] + 1
    assert observed("ROUTE_PIVOT") == before["ROUTE_PIVOT"] + 1  # zh → en → ko
    assert observed("FAILED") == before["FAILED"]
