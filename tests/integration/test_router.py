"""The router over real gRPC: real workers (tiny CT2 models), a real redis-server."""

from __future__ import annotations

import time

import grpc
import pytest

from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc
from tests.conftest import free_port


@pytest.fixture(scope="module")
def router(shared_router):
    return shared_router


@pytest.fixture(scope="module")
def stub(router):
    with grpc.insecure_channel(f"127.0.0.1:{router.service.port}") as channel:
        yield translator_pb2_grpc.TranslatorStub(channel)


def translate(stub, texts, target, **kwargs):
    options = kwargs.pop("options", None)
    return stub.Translate(
        pb.TranslateRequest(texts=texts, target_language=target, options=options, **kwargs)
    ).translations


def test_detects_routes_and_names_the_model(stub) -> None:
    out = translate(
        stub,
        ["今天天气很好。我们去公园吧！", "今日はいい天気ですね。", "오늘 날씨가 좋네요."],
        "en",
    )
    assert [t.detected_language for t in out] == ["zh-Hans", "ja", "ko"]
    assert [list(t.models) for t in out] == [["demo-zh-en"], ["demo-ja-en"], ["demo-ko-en"]]
    for t in out:
        assert t.text.strip() and t.route == pb.ROUTE_DIRECT and t.demo_output
        assert list(t.route_languages)[-1] == "en"
    assert out[0].sentence_count == 2


def test_second_call_is_answered_from_cache(stub) -> None:
    from prometheus_client import REGISTRY

    def lookups() -> dict[tuple[str, str], float]:
        return {
            (level, result): REGISTRY.get_sample_value(
                "duta_cache_lookups_total", {"level": level, "result": result}
            )
            or 0.0
            for level in ("l1", "l2")
            for result in ("hit", "miss")
        }

    texts = ["这是一个缓存测试。", "キャッシュのテストです。"]
    before = lookups()
    first = translate(stub, texts, "en")
    second = translate(stub, texts, "en")
    assert not any(t.cached for t in first)
    assert all(t.cached for t in second)
    assert [t.text for t in first] == [t.text for t in second]
    counted = {k: v - before[k] for k, v in lookups().items()}  # hit rates per level
    assert counted == {("l1", "hit"): 2, ("l1", "miss"): 2, ("l2", "hit"): 0, ("l2", "miss"): 2}


def test_no_cache_option_bypasses_the_cache(stub) -> None:
    texts = ["不要缓存这个句子。"]
    translate(stub, texts, "en")
    again = translate(stub, texts, "en", options=pb.TranslateOptions(no_cache=True))
    assert not again[0].cached


def test_whitespace_and_paragraphs_survive(stub) -> None:
    text = "  第一句话。\n\n第二句话！  \n"
    out = translate(stub, [text], "en", source_language="zh")[0]
    assert out.text.startswith("  ") and "\n\n" in out.text and out.text.endswith("  \n")
    assert out.sentence_count == 2


def test_pivot_through_english(stub) -> None:
    out = translate(stub, ["今日はいい天気ですね。"], "ko")[0]
    assert out.route == pb.ROUTE_PIVOT
    assert list(out.models) == ["demo-ja-en", "demo-en-ko"]
    assert list(out.route_languages) == ["ja", "en", "ko"]


def test_same_language_and_no_signal_pass_through(stub) -> None:
    out = translate(stub, ["Hello there, how are you?", "12345 67890"], "en")
    assert [t.route for t in out] == [pb.ROUTE_PASSTHROUGH] * 2
    assert out[0].text == "Hello there, how are you?" and out[1].text == "12345 67890"
    assert out[1].detected_language == "und"


def test_traditional_chinese_target_is_converted(stub) -> None:
    out = translate(stub, ["软件和鼠标"], "zh-TW", source_language="zh-CN")[0]
    assert out.text == "軟體和滑鼠"  # same language: OpenCC with Taiwan phrasing, no model
    assert out.route == pb.ROUTE_PASSTHROUGH


def test_return_sentences_breakdown(stub) -> None:
    out = translate(
        stub, ["第一句。第二句。"], "en", options=pb.TranslateOptions(return_sentences=True)
    )[0]
    assert [s.source for s in out.sentences] == ["第一句。", "第二句。"]
    assert all(s.models == ["demo-zh-en"] and 0 < s.confidence <= 1 for s in out.sentences)


@pytest.mark.parametrize(
    ("request_kwargs", "code", "message"),
    [
        (
            {"texts": [], "target_language": "en"},
            grpc.StatusCode.INVALID_ARGUMENT,
            "texts is empty",
        ),
        (
            {"texts": ["你好"], "target_language": ""},
            grpc.StatusCode.INVALID_ARGUMENT,
            "target_language is empty",
        ),
        (
            {"texts": ["你好"], "target_language": "xx-Klingon-9"},
            grpc.StatusCode.INVALID_ARGUMENT,
            "expected BCP-47",
        ),
        (
            {"texts": ["你好"], "target_language": "en", "source_language": "!!"},
            grpc.StatusCode.INVALID_ARGUMENT,
            "source_language",
        ),
        (
            {"texts": ["你好"], "target_language": "th"},
            grpc.StatusCode.FAILED_PRECONDITION,
            "zh-Hans→en",
        ),
        (
            {"texts": ["好" * 2001], "target_language": "en"},
            grpc.StatusCode.INVALID_ARGUMENT,
            "at most 2000",
        ),
        (
            {
                "texts": ["你好"],
                "target_language": "en",
                "options": pb.TranslateOptions(beam_size=9),
            },
            grpc.StatusCode.INVALID_ARGUMENT,
            "beam_size",
        ),
    ],
)
def test_bad_requests_get_clear_errors(stub, request_kwargs, code, message) -> None:
    with pytest.raises(grpc.RpcError) as info:
        stub.Translate(pb.TranslateRequest(**request_kwargs))
    assert info.value.code() == code
    assert message in info.value.details()


def test_unknown_pair_lists_what_exists(stub) -> None:
    with pytest.raises(grpc.RpcError) as info:
        translate(stub, ["สวัสดีครับ"], "en")
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "th → en" in info.value.details() and "ja→en" in info.value.details()


def test_a_text_in_a_language_without_route_fails_alone(stub) -> None:
    out = translate(stub, ["今天天气很好。", "สวัสดีครับ", "12345"], "en")
    assert out[0].text and out[0].route == pb.ROUTE_DIRECT and not out[0].HasField("error")
    assert out[1].detected_language == "th" and not out[1].text
    assert out[1].error.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    assert "th → en" in out[1].error.message and "zh-Hans→en" in out[1].error.message
    assert out[2].text == "12345" and out[2].route == pb.ROUTE_PASSTHROUGH
    # A source_language given by the caller is the request's own pair: all or nothing.
    with pytest.raises(grpc.RpcError) as info:
        translate(stub, ["今天天气很好。", "hello"], "th", source_language="zh")
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def _unsure_unserved_word(stub) -> tuple[str, str]:
    """A word read as an unserved language with low confidence, English among its candidates.

    Chosen through DetectLanguage so that the test follows the detector, not one version of it.
    """
    words = ["Pizza", "Cancel", "Film", "Menu", "Tennis", "Problem", "Moment", "Golf"]
    reply = stub.DetectLanguage(pb.DetectLanguageRequest(texts=words, top_k=5))
    for word, d in zip(words, reply.detections, strict=True):
        served = {"en", "zh", "ja", "ko"}
        english = [c for c in d.candidates if c.language == "en" and c.confidence >= 0.05]
        if d.language not in served and d.confidence < 0.8 and english:
            return word, d.language
    raise AssertionError("no unsure, unserved detection among the words: pick others")


def test_an_unsure_detection_without_route_falls_back_to_a_served_candidate(stub) -> None:
    # e.g. "Pizza": Italian 0.15, English 0.07 — no model serves Italian, English is served.
    word, unserved = _unsure_unserved_word(stub)
    (to_ja,) = translate(stub, [word], "ja")
    assert to_ja.detected_language == unserved and to_ja.detection_confidence < 0.8
    assert to_ja.source_language == "en" and not to_ja.HasField("error")
    assert to_ja.text and list(to_ja.route_languages) == ["en", "ja"]
    (to_en,) = translate(stub, [word], "en")  # the candidate is the target: nothing to do
    assert to_en.source_language == "en" and to_en.route == pb.ROUTE_PASSTHROUGH
    assert to_en.text == word


def test_detect_language_top_k_and_hints(stub) -> None:
    reply = stub.DetectLanguage(
        pb.DetectLanguageRequest(texts=["今天天气很好", "안녕하세요"], top_k=2)
    )
    assert [d.language for d in reply.detections] == ["zh-Hans", "ko"]
    assert all(
        len(d.candidates) <= 2 and d.candidates[0].language == d.language for d in reply.detections
    )
    assert reply.detections[1].script == "Hang"
    hinted = stub.DetectLanguage(
        pb.DetectLanguageRequest(texts=["Saya suka makan nasi"], hints=["ms"])
    )
    assert hinted.detections[0].language == "ms"
    with pytest.raises(grpc.RpcError) as info:
        stub.DetectLanguage(pb.DetectLanguageRequest(texts=[]))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_list_languages(stub) -> None:
    reply = stub.ListLanguages(pb.ListLanguagesRequest(include_pairs=True))
    pairs = {(p.source_language, p.target_language): p for p in reply.pairs}
    assert pairs[("zh-Hans", "en")].route == pb.ROUTE_DIRECT
    assert pairs[("zh-Hans", "en")].models == ["demo-zh-en"]
    assert pairs[("ja", "ko")].route == pb.ROUTE_PIVOT and pairs[("ja", "ko")].demo
    assert {m.id for m in reply.models} >= {"demo-zh-en", "demo-en-ko"}
    assert all(m.available for m in reply.models)
    only_en = stub.ListLanguages(pb.ListLanguagesRequest(target_language="en"))
    assert {p.target_language for p in only_en.pairs} == {"en"}


def test_translate_stream_answers_each_message(stub) -> None:
    requests = [
        pb.TranslateStreamRequest(
            id="a", request=pb.TranslateRequest(texts=["你好。"], target_language="en")
        ),
        pb.TranslateStreamRequest(
            id="b", request=pb.TranslateRequest(texts=[], target_language="en")
        ),
        pb.TranslateStreamRequest(
            id="c", request=pb.TranslateRequest(texts=["こんにちは。"], target_language="en")
        ),
    ]
    replies = {r.id: r for r in stub.TranslateStream(iter(requests))}
    assert set(replies) == {"a", "b", "c"}
    assert replies["a"].response.translations[0].text
    assert replies["b"].error_code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "texts is empty" in replies["b"].error_message
    assert replies["c"].response.translations[0].models == ["demo-ja-en"]


def test_redis_outage_never_fails_a_request(stub, redis_server) -> None:
    redis_server.stop()
    try:
        out = translate(stub, ["雷迪斯停了，但请求仍然成功。"], "en")
        assert out[0].text and not out[0].cached
    finally:
        redis_server.start()


def test_prometheus_metrics_count_rpcs_and_cache(stub) -> None:
    import urllib.request

    from prometheus_client import REGISTRY

    from duta.common.server import start_metrics_server

    def sample(name, labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    ok = {"method": "/duta.v1.Translator/Translate", "code": "OK"}
    bad = {"method": "/duta.v1.Translator/Translate", "code": "INVALID_ARGUMENT"}
    hits = {"model": "demo-ko-en", "cache": "hit"}
    before = sample("duta_grpc_requests_total", ok), sample("duta_grpc_requests_total", bad)
    hits_before = sample("duta_router_sentences_total", hits)
    translate(stub, ["메트릭 테스트 문장입니다."], "en")
    translate(stub, ["메트릭 테스트 문장입니다."], "en")
    with pytest.raises(grpc.RpcError):
        translate(stub, [], "en")
    deadline = time.monotonic() + 60  # the server records after the client has its answer
    while sample("duta_grpc_requests_total", bad) < before[1] + 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sample("duta_grpc_requests_total", ok) == before[0] + 2
    assert sample("duta_grpc_requests_total", bad) == before[1] + 1
    assert sample("duta_router_sentences_total", hits) == hits_before + 1
    port = free_port()
    start_metrics_server(port)
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert "duta_router_sentences_total" in body and "duta_grpc_request_seconds_bucket" in body


def test_traditional_source_is_simplified_for_a_simplified_model(stub) -> None:
    out = translate(
        stub,
        ["今天天氣很好，我們去學校。"],
        "en",
        options=pb.TranslateOptions(return_sentences=True),
    )[0]
    assert out.detected_language == "zh-Hant"
    assert list(out.models) == ["demo-zh-en"]
    assert out.sentences[0].source == "今天天气很好，我们去学校。"  # what the model saw


def test_traditional_target_from_a_simplified_model(stub) -> None:
    from duta.text import to_chinese_variant

    words = [
        "apple",
        "house",
        "river",
        "mountain",
        "teacher",
        "student",
        "music",
        "language",
        "water",
        "fire",
    ]
    texts = [f"The {word} is here." for word in words]
    out = translate(stub, texts, "zh-TW")
    assert all(list(t.models) == ["demo-en-zh"] and t.route == pb.ROUTE_DIRECT for t in out)
    assert list(out[0].route_languages) == ["en", "zh-Hant-TW"]
    simplified = [t.text for t in translate(stub, texts, "zh-Hans")]
    assert [t.text for t in out] == [to_chinese_variant(s, "zh-Hant-TW") for s in simplified]


def test_overload_is_resource_exhausted(stub, router) -> None:
    servicer = router.servicer
    servicer.in_progress = router.servicer.settings.max_concurrent_requests  # the router is full
    try:
        with pytest.raises(grpc.RpcError) as info:
            translate(stub, ["你好。"], "en")
    finally:
        servicer.in_progress = 0
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "limit of 256 requests" in info.value.details()
    assert translate(stub, ["你好。"], "en")[0].text  # and it recovers


def test_a_passed_deadline_is_not_sent_to_workers(router) -> None:
    import time as clock

    from duta.common.errors import DeadlineExceeded
    from duta.router.pipeline import Request

    request = Request(
        texts=["x"], source="", target="en", beam_size=0, use_cache=True, hints=(), tier=0,
        pivot=True, escalation_threshold=0.0, return_sentences=False,
        deadline=clock.monotonic() - 1,
    )  # fmt: skip
    with pytest.raises(DeadlineExceeded):
        router.servicer.pipeline.runner.timeout(request)
    request = Request(**{**request.__dict__, "deadline": clock.monotonic() + 5})
    assert 0 < router.servicer.pipeline.runner.timeout(request) <= 5


def test_long_sentences_are_split_before_the_worker_limit(stub) -> None:
    common = "我们今天在北京的大学里学习中文和历史，" * 40  # ~760 characters, one "sentence"
    rare = "鬱齉鸞龘驫麤爨灩籲饕" * 60  # rare characters: several byte-fallback tokens each
    out = translate(
        stub, [common + "。", rare], "en", options=pb.TranslateOptions(return_sentences=True)
    )
    assert all(t.text.strip() for t in out)
    assert len(out[0].sentences) > 1 and len(out[1].sentences) > 1
    assert "".join(s.source for s in out[0].sentences) == common + "。"
