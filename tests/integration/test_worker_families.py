"""Every model family served end to end: build a tiny model, start a worker, call it over gRPC."""

from __future__ import annotations

import re

import grpc
import pytest

from duta.models import build_demo_model
from duta.v1 import worker_pb2, worker_pb2_grpc
from tests.conftest import running_worker

CASES = {
    # family: (source, target, sentence) — the target script differs from the source's
    "quickmt": ("zh", "en", "我们明天去北京。"),
    "opus-mt": ("ja", "en", "日本語の文章です。"),
    "opus-mt-multi": ("en", "zh-Hant", "Hello, world!"),
    "nllb": ("ko", "ja", "한국어 문장입니다."),
    "m2m100": ("en", "ko", "Hello, world!"),
}
SCRIPT = {"en": "[A-Za-z]", "ja": "[\u3040-\u30ff\u4e00-\u9fff]", "ko": "[\uac00-\ud7a3]",
          "zh-Hant": "[\u4e00-\u9fff]"}  # fmt: skip


@pytest.fixture(scope="module")
def family_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("worker-families")
    return {
        family: build_demo_model(root / family, source, target, family)
        for family, (source, target, _) in CASES.items()
    }


@pytest.mark.parametrize("family", list(CASES))
def test_each_family_round_trips_over_grpc(loop_thread, family_models, family) -> None:
    source, target, sentence = CASES[family]
    with (
        running_worker(loop_thread, family_models[family], inter_threads=1) as (address, _),
        grpc.insecure_channel(address) as channel,
    ):
        stub = worker_pb2_grpc.WorkerStub(channel)
        info = stub.Info(worker_pb2.WorkerInfoRequest())
        reply = stub.Translate(
            worker_pb2.WorkerTranslateRequest(
                sentences=[sentence, sentence + sentence],
                source_language=source,
                target_language=target,
                options=worker_pb2.DecodingOptions(beam_size=2),
            )
        )
    assert info.family == family
    assert len(reply.hypotheses) == 2
    for hyp in reply.hypotheses:
        assert hyp.text.strip() and "<" not in hyp.text and "\ufffd" not in hyp.text
        assert re.search(SCRIPT[target], hyp.text), f"{family}: {hyp.text!r} is not {target}"
        assert hyp.score <= 0 and hyp.input_tokens > 0 and hyp.output_tokens > 0
