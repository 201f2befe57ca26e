"""TranslateStream flow control, the close-language table, and ListLanguages by language."""

from __future__ import annotations

import time

import grpc
import pytest

from duta.client import Client, DutaRpcError
from duta.router import RouterSettings, WorkerEndpoint
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc
from tests.conftest import running_router

WINDOW = 4


@pytest.fixture(scope="module")
def router(loop_thread, workers, detector):
    settings = RouterSettings(
        host="127.0.0.1",
        port=0,
        workers=tuple(WorkerEndpoint(address=workers.address(n)) for n in workers.services),
        stream_window=WINDOW,
        max_text_chars=20_000,
    )
    with running_router(loop_thread, settings, detector) as router:
        yield router


def test_a_reader_that_stops_reading_stops_the_router_reading(router) -> None:
    text = "Hello there, this is a passthrough sentence. " * 400  # ≈ 18 kB a message

    def messages():
        for i in range(300):  # ≈ 5 MB if the router read everything
            yield pb.TranslateStreamRequest(
                id=str(i),
                request=pb.TranslateRequest(
                    texts=[text], source_language="en", target_language="en"
                ),
            )

    servicer = router.servicer
    address = f"127.0.0.1:{router.service.port}"
    with grpc.insecure_channel(address, options=[("grpc.http2.bdp_probe", 0)]) as channel:
        call = translator_pb2_grpc.TranslatorStub(channel).TranslateStream(messages())
        first = next(call)  # read one answer, then stop reading
        assert first.response.translations[0].route == pb.ROUTE_PASSTHROUGH
        deadline = time.monotonic() + 60
        while not servicer.streams or next(iter(servicer.streams)).read < WINDOW + 1:
            assert time.monotonic() < deadline, "the router never filled its window"
            time.sleep(0.01)
        session = next(iter(servicer.streams))
        for _ in range(50):  # the router stays at its window however long the reader waits
            # in progress or queued ≤ WINDOW; beyond it only what the caller's HTTP/2 receive
            # window let through (64 kB with BDP probing off: a few 18 kB answers)
            assert session.read - session.sent <= WINDOW and session.sent <= 16
            time.sleep(0.02)
        # (how many messages the *client* library pulls from its iterator is up to its own
        # buffering — all 300 at times —; what the router reads is bounded, as asserted above)
        call.cancel()  # a cancelled stream cancels its work
        deadline = time.monotonic() + 30
        while servicer.streams:
            assert time.monotonic() < deadline, "the cancelled stream was not cleaned up"
            time.sleep(0.01)


def test_stream_messages_get_the_bulk_limits(router) -> None:
    long_text = "这是一个很长的文档。" * 3000  # 30,000 characters
    with Client(f"127.0.0.1:{router.service.port}") as client:
        with pytest.raises(DutaRpcError) as info:
            client.translate([long_text], "en", source="zh")
        assert info.value.reason == "TEXT_TOO_LONG" and "TranslateStream" in info.value.message
        request = pb.TranslateRequest(texts=[long_text], source_language="zh", target_language="en")
        ((message_id, answer),) = list(client.translate_stream([("doc", request)]))
    assert message_id == "doc" and not isinstance(answer, DutaRpcError)
    assert answer[0].text and answer[0].models == ("demo-zh-en",)


def test_close_language_table_routes_cantonese_and_says_so(router) -> None:
    with Client(f"127.0.0.1:{router.service.port}") as client:
        sure, unsure = client.translate(
            ["佢哋喺度食緊飯，你知唔知佢哋去咗邊度？", "我哋今日去咗飲茶，好好食啊！"], "en"
        )
        (given,) = client.translate(["佢哋喺度食緊飯。"], "en", source="yue")
    for out in (sure, unsure, given):
        assert out.ok and out.source_language == "zh-Hant" and out.models == ("demo-zh-en",)
        assert out.route == "direct" and out.route_languages == ("zh-Hant", "en")
    assert sure.detected_language == "yue" and sure.detection_confidence >= 0.8


def test_list_languages_by_language_with_display_names(router) -> None:
    with Client(f"127.0.0.1:{router.service.port}") as client:
        reply = client.list_languages()
        pairs = client.list_languages(source="ja")
        german_names = client.stub.ListLanguages(pb.ListLanguagesRequest(display_language="de"))
    by_code = {language.code: language for language in reply.languages}
    assert reply.pairs  # small models only: the pairs are listed (a large tier: only if asked)
    assert by_code["ja"].display_name == "Japanese" and by_code["ja"].native_name == "日本語"
    assert by_code["ja"].source and by_code["ja"].target
    assert set(by_code["ja"].models) == {"demo-ja-en", "demo-en-ja"}
    assert by_code["en"].source and by_code["en"].target and by_code["en"].tiers == ["small"]
    assert by_code["yue"].served_as == "zh-Hant" and by_code["yue"].display_name == "Cantonese"
    assert by_code["yue"].source and not by_code["yue"].target
    assert {(p.source_language, p.target_language) for p in pairs.pairs} >= {
        ("ja", "en"),
        ("ja", "ko"),
    }
    assert {x.code: x.display_name for x in german_names.languages}["ja"] == "Japanisch"


def test_the_close_language_table_is_configurable(loop_thread, workers, detector) -> None:
    settings = RouterSettings(
        host="127.0.0.1",
        port=0,
        workers=(WorkerEndpoint(address=workers.address("demo-zh-en")),),
        fallback_languages={"wuu": "zh-Hant"},  # not the default zh-Hans; and no yue at all
    )
    with (
        running_router(loop_thread, settings, detector) as configured,
        Client(f"127.0.0.1:{configured.service.port}") as client,
    ):
        (out,) = client.translate(["阿拉今朝老開心個。"], "en", source="wuu")
        with pytest.raises(DutaRpcError) as info:
            client.translate(["佢哋喺度食緊飯。"], "en", source="yue")
        languages = {x.code: x for x in client.list_languages().languages}
    assert out.source_language == "zh-Hant" and out.route_languages == ("zh-Hant", "en")
    assert out.models == ("demo-zh-en",) and out.route == "direct"
    assert info.value.reason == "UNSUPPORTED_PAIR" and "yue" in info.value.message
    assert languages["wuu"].served_as == "zh-Hant" and "yue" not in languages


def test_the_close_language_table_is_read_in_canonical_codes() -> None:
    settings = RouterSettings(fallback_languages={"zh-yue": "zh-TW", "MS": "in"})
    assert settings.fallback_languages == {"yue": "zh-Hant-TW", "ms": "id"}
    with pytest.raises(ValueError, match="fallback_languages 'klingon' → 'en'"):
        RouterSettings(fallback_languages={"klingon": "en"})
