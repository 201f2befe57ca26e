"""The worker over real gRPC with a real tiny CTranslate2 model."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from duta.v1 import worker_pb2, worker_pb2_grpc


@pytest.fixture(scope="module")
def stub(workers):
    with grpc.insecure_channel(workers.address("demo-zh-en")) as channel:
        yield worker_pb2_grpc.WorkerStub(channel)


def test_info_describes_the_model(stub) -> None:
    info = stub.Info(worker_pb2.WorkerInfoRequest())
    assert info.model_id == "demo-zh-en"
    assert info.demo is True
    assert list(info.source_languages) == ["zh-Hans"]
    assert list(info.target_languages) == ["en"]
    assert info.device == "cpu" and info.compute_type == "int8"
    assert info.limits.max_input_tokens > 0


def test_translate_returns_one_scored_hypothesis_per_sentence(stub) -> None:
    sentences = ["今天天气很好。", "我们明天去北京吧。", "你好"]
    reply = stub.Translate(
        worker_pb2.WorkerTranslateRequest(
            sentences=sentences, source_language="zh-Hans", target_language="en"
        )
    )
    assert len(reply.hypotheses) == 3
    assert reply.model_id == "demo-zh-en" and reply.demo
    for hyp in reply.hypotheses:
        assert hyp.text.strip()
        assert hyp.score <= 0.0
        assert hyp.input_tokens > 0 and hyp.output_tokens > 0


def test_health_is_serving_after_load(workers) -> None:
    with grpc.insecure_channel(workers.address("demo-ja-en")) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize(
    ("request_kwargs", "message"),
    [
        (
            {"sentences": [], "source_language": "zh-Hans", "target_language": "en"},
            "sentences is empty",
        ),
        (
            {"sentences": ["你好"], "source_language": "ja", "target_language": "en"},
            "does not translate",
        ),
        (
            {
                "sentences": ["你好"],
                "source_language": "zh-Hans",
                "target_language": "en",
                "options": worker_pb2.DecodingOptions(beam_size=99),
            },
            "allowed: 0–8",
        ),
        (
            {"sentences": ["你" * 5000], "source_language": "zh-Hans", "target_language": "en"},
            "tokens; at most",
        ),
    ],
)
def test_bad_input_is_invalid_argument(stub, request_kwargs, message) -> None:
    with pytest.raises(grpc.RpcError) as info:
        stub.Translate(worker_pb2.WorkerTranslateRequest(**request_kwargs))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in info.value.details()
