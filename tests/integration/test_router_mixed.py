"""A text that switches language is routed sentence by sentence (real router, real workers)."""

from __future__ import annotations

import threading

import grpc
import pytest

from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc

MAIL = (
    "お世話になっております。来週の会議の件でご連絡いたします。\n"
    "> Thanks for the update. We will send the final report by Friday.\n"
    "よろしくお願いいたします。"
)
ENGLISH = "> Thanks for the update. We will send the final report by Friday.\n"


@pytest.fixture(scope="module")
def stub(shared_router):
    with grpc.insecure_channel(f"127.0.0.1:{shared_router.service.port}") as channel:
        yield translator_pb2_grpc.TranslatorStub(channel)


def translate(stub, texts, target, **options):
    request = pb.TranslateRequest(
        texts=texts, target_language=target, options=pb.TranslateOptions(**options)
    )
    return stub.Translate(request).translations


def test_a_japanese_mail_quoting_english_is_routed_per_language(stub) -> None:
    out = translate(stub, [MAIL], "en", return_sentences=True)[0]
    assert list(out.detected_languages) == ["ja", "en"]
    assert out.detected_language == "ja" and out.source_language == "ja"
    # The Japanese runs go through the ja→en model; the English run is already English.
    assert list(out.models) == ["demo-ja-en"]
    assert ENGLISH in out.text
    assert out.sentence_count == 3  # the three Japanese sentences
    assert [s.source_language for s in out.sentences] == ["ja", "ja", "ja"]
    assert out.route == pb.ROUTE_DIRECT


def test_each_run_takes_its_own_route(stub) -> None:
    out = translate(stub, [MAIL], "ko", return_sentences=True)[0]
    assert list(out.detected_languages) == ["ja", "en"]
    assert set(out.models) == {"demo-ja-en", "demo-en-ko"}
    assert ENGLISH not in out.text  # the English sentences went through en→ko
    languages = [s.source_language for s in out.sentences]
    assert languages == ["ja", "ja", "en", "en", "ja"]
    assert out.route == pb.ROUTE_PIVOT  # the most involved route of its runs


def test_a_one_language_text_is_unchanged(stub) -> None:
    out = translate(stub, ["今日はいい天気ですね。明日も晴れるでしょう。"], "en")[0]
    assert list(out.detected_languages) == ["ja"]
    assert list(out.models) == ["demo-ja-en"] and out.sentence_count == 2
    given = stub.Translate(
        pb.TranslateRequest(texts=[MAIL], target_language="en", source_language="ja")
    ).translations[0]
    assert list(given.detected_languages) == []  # the caller's language: no detection
    assert given.sentence_count == 5 and list(given.models) == ["demo-ja-en"]


def test_fasttext_and_lingua_run_off_the_event_loop(
    stub, detector, loop_thread, monkeypatch
) -> None:
    """A short request to detect is prepared in a thread: fastText's and lingua's calls (tens of
    µs to a millisecond each) never hold the router's event loop (DetectLanguage: the same)."""
    threads: dict[str, list[int]] = {"fasttext": [], "lingua": []}
    predict, scores = detector._predict, detector._ngram.scores

    def fasttext(*args):
        threads["fasttext"].append(threading.get_ident())
        return predict(*args)

    def lingua(*args):
        threads["lingua"].append(threading.get_ident())
        return scores(*args)

    monkeypatch.setattr(detector, "_predict", fasttext)
    monkeypatch.setattr(detector._ngram, "scores", lingua)
    text = "Kereta itu rosak semalam, kata jiran kami."  # fastText unsure: lingua is asked
    japanese, malay = translate(stub, ["明日また連絡します。", text], "en")
    assert japanese.source_language == "ja" and malay.detected_language in {"ms", "id"}
    stub.DetectLanguage(pb.DetectLanguageRequest(texts=["Kereta lama itu rosak lagi"]))
    assert len(threads["lingua"]) >= 2 and len(threads["fasttext"]) >= 2
    loop = loop_thread.thread.ident
    assert all(ident != loop for called in threads.values() for ident in called)
