"""What the hit path keeps between requests (plans, segmentation) follows every change it must."""

from __future__ import annotations

import pytest

from duta.common.errors import UnsupportedLanguagePair
from duta.langid import Detector
from duta.router.prepare import Preparer
from duta.router.routing import RoutingTable
from duta.router.tokens import estimate_tokens
from duta.router.types import Request
from duta.v1 import worker_pb2
from tests.unit.test_routing import pool


def request(*texts: str, terms: tuple[tuple[str, str], ...] = ()) -> Request:
    return Request(
        texts=texts,
        source="zh-Hans",
        target="en",
        beam_size=0,
        use_cache=True,
        hints=(),
        tier=0,
        pivot=True,
        escalation_threshold=0.0,
        return_sentences=False,
        terms=terms,
    )


def test_a_kept_plan_follows_pools_going_down_coming_back_and_changing() -> None:
    a, b = pool("zh-en-a", ["zh-Hans"], ["en"]), pool("zh-en-b", ["zh-Hans"], ["en"])
    table = RoutingTable([a, b])
    first = table.plan("zh-Hans", "en")
    assert table.plan("zh-Hans", "en") is first  # kept while nothing changed
    first.hops[0].pool.available = False
    other = table.plan("zh-Hans", "en")
    assert other.hops[0].pool is not first.hops[0].pool
    first.hops[0].pool.available = True
    assert table.plan("zh-Hans", "en").hops[0].pool is first.hops[0].pool
    # An equal Info from a later poll keeps the plan; a different one (new revision) does not.
    kept = table.plan("zh-Hans", "en")
    for p in (a, b):
        p.info = worker_pb2.WorkerInfoResponse().FromString(p.info.SerializeToString())
    assert table.plan("zh-Hans", "en") is kept
    a.info = worker_pb2.WorkerInfoResponse(model_id="zh-en-a", revision="r2")  # serves nothing
    assert table.plan("zh-Hans", "en").hops[0].pool is b
    table.pools = [a]  # reloaded: b removed
    with pytest.raises(UnsupportedLanguagePair):
        table.plan("zh-Hans", "en")


def test_pools_of_one_model_still_take_turns() -> None:
    a, b = pool("zh-en", ["zh-Hans"], ["en"]), pool("zh-en", ["zh-Hans"], ["en"])
    table = RoutingTable([a, b])
    firsts = {id(table.plan("zh-Hans", "en").hops[0].pool) for _ in range(4)}
    assert firsts == {id(a), id(b)}


def test_a_repeated_text_is_prepared_alike_and_owns_its_lists() -> None:
    served = pool("zh-en", ["zh-Hans"], ["en"])
    served.info.limits.max_input_tokens = 256
    table = RoutingTable([served])
    preparer = Preparer(Detector(ngram=False), table, {})
    text = "今天天气很好。我们明天去北京吧！"
    first = preparer.prepare(request(text), estimate_tokens)[0]
    first.sentences.append("changed by the first request")
    first.layout.clear()
    again = preparer.prepare(request(text), estimate_tokens)[0]
    assert again.sentences == ["今天天气很好。", "我们明天去北京吧！"]
    assert again.layout == [(0, 1), (1, 1)] and "".join(p.text for p in again.pieces) == text
    masked = preparer.prepare(request(text, terms=(("北京", "Beijing"),)), estimate_tokens)[0]
    assert masked.sentences == ["今天天气很好。", "我们明天去[1]吧！"]
    assert masked.renderings == [(), (("1", "Beijing"),)]
