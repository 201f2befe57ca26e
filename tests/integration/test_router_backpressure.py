"""A large request against a worker with a small queue budget: chunked, retried, answered."""

from __future__ import annotations

import grpc
import pytest

from duta.router import RouterSettings, WorkerEndpoint
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc
from tests.conftest import running_router, running_worker


@pytest.fixture(scope="module")
def small_worker(loop_thread, demo_models):
    model = demo_models / "demo-zh-en"
    with running_worker(loop_thread, model, inter_threads=1, max_queue_tokens=300) as worker:
        yield worker


@pytest.fixture(scope="module")
def stub(loop_thread, small_worker, detector):
    address, _ = small_worker
    settings = RouterSettings(host="127.0.0.1", port=0, workers=(WorkerEndpoint(address=address),))
    with (
        running_router(loop_thread, settings, detector) as router,
        grpc.insecure_channel(f"127.0.0.1:{router.service.port}") as channel,
    ):
        yield translator_pb2_grpc.TranslatorStub(channel)


def test_one_large_request_is_chunked_within_the_worker_budget(stub, small_worker) -> None:
    _, servicer = small_worker
    texts = ["".join(f"第{i}个句子的第{j}部分。" for j in range(4)) for i in range(160)]
    # 640 distinct sentences: 5 chunks of at most 128, far over the 300-token queue budget
    reply = stub.Translate(
        pb.TranslateRequest(
            texts=texts, target_language="en", options=pb.TranslateOptions(no_cache=True)
        ),
        timeout=300,
    )
    assert len(reply.translations) == 160
    assert all(t.text.strip() and t.sentence_count == 4 for t in reply.translations)
    assert servicer.batcher.stats.rejected_calls > 0  # the budget did push back, and it was retried
