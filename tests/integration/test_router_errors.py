"""`duta.client` against the real router, and the one error model (google.rpc.Status)."""

from __future__ import annotations

import asyncio
import logging

import grpc
import pytest

from duta.client import AsyncClient, Client, DutaRpcError
from duta.common.logging import RequestIdFilter
from duta.v1 import translator_pb2 as pb


@pytest.fixture(scope="module")
def client(shared_router):
    with Client(f"127.0.0.1:{shared_router.service.port}", timeout=60) as client:
        yield client


def test_client_translates_detects_and_lists(client) -> None:
    first, second = client.translate(["今天天气很好。", "오늘 날씨가 좋네요."], "en")
    assert first.ok and first.text and first.source_language == "zh-Hans"
    assert first.route == "direct" and first.models == ("demo-zh-en",) and first.demo_output
    assert second.detected_language == "ko" and second.route_languages == ("ko", "en")
    (pivot,) = client.translate("今日はいい天気ですね。", "ko", return_sentences=True)
    assert pivot.route == "pivot" and pivot.sentences[0].models == ("demo-ja-en", "demo-en-ko")
    (detection,) = client.detect("Saya suka makan nasi", hints=["ms"])
    assert detection.language == "ms" and detection.candidates[0].language == "ms"
    languages = client.list_languages(target="en")
    assert languages.pairs and {p.target_language for p in languages.pairs} == {"en"}


def test_async_client(shared_router) -> None:
    async def run() -> list[str]:
        async with AsyncClient(f"127.0.0.1:{shared_router.service.port}") as client:
            results = await asyncio.gather(
                *(client.translate([f"第{i}句话。"], "en", source="zh") for i in range(4))
            )
            return [r[0].text for r in results]

    texts = asyncio.run(run())
    assert len(texts) == 4 and all(texts)


@pytest.mark.parametrize(
    ("kwargs", "code", "reason", "field", "message"),
    [
        ({"texts": [], "target": "en"}, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "texts", "empty"),
        (
            {"texts": ["你好"], "target": "xx-Klingon-9"},
            "INVALID_ARGUMENT",
            "INVALID_LANGUAGE",
            "target_language",
            "BCP-47",
        ),
        (
            {"texts": ["你好"], "target": "en", "beam_size": 9},
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT",
            "options.beam_size",
            "0–8",
        ),
        (
            {"texts": ["ok", "好" * 2001], "target": "en"},
            "INVALID_ARGUMENT",
            "TEXT_TOO_LONG",
            "texts[1]",
            "at most 2000",
        ),
        ({"texts": ["你好"], "target": "th"}, "FAILED_PRECONDITION", "UNSUPPORTED_PAIR", "", "→"),
    ],
)
def test_errors_carry_code_reason_and_field(client, kwargs, code, reason, field, message) -> None:
    texts = kwargs.pop("texts")
    target = kwargs.pop("target")
    with pytest.raises(DutaRpcError) as info:
        client.translate(texts, target, **kwargs)
    error = info.value
    assert error.code.name == code and error.reason == reason and message in error.message
    if code == "INVALID_ARGUMENT":
        assert error.field_violations and error.field_violations[0][0] == field
    assert not error.retryable


def test_overload_carries_retry_info(shared_router) -> None:
    servicer = shared_router.servicer
    with Client(f"127.0.0.1:{shared_router.service.port}", max_attempts=1) as client:
        servicer.in_progress = servicer.settings.max_concurrent_requests
        try:
            with pytest.raises(DutaRpcError) as info:
                client.translate(["你好。"], "en")
        finally:
            servicer.in_progress = 0
    assert info.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert info.value.reason == "OVERLOADED" and info.value.retry_after > 0
    assert info.value.retryable


def test_a_failed_item_and_a_failed_stream_message_share_the_model(client) -> None:
    ok, failed = client.translate(["今天天气很好。", "สวัสดีครับ"], "en")
    assert ok.ok and failed.error is not None
    assert failed.error.code == grpc.StatusCode.FAILED_PRECONDITION
    assert failed.error.reason == "UNSUPPORTED_PAIR" and "th → en" in failed.error.message
    requests = [
        ("good", pb.TranslateRequest(texts=["你好。"], target_language="en")),
        ("bad", pb.TranslateRequest(texts=["你好。"], target_language="")),
    ]
    answers = dict(client.translate_stream(requests))
    assert isinstance(answers["good"], list) and answers["good"][0].text
    bad = answers["bad"]
    assert isinstance(bad, DutaRpcError) and bad.reason == "INVALID_LANGUAGE"
    assert bad.field_violations[0][0] == "target_language"


def test_undecodable_requests_are_invalid_argument(shared_router, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    valid = pb.TranslateRequest(texts=["ab"], target_language="en").SerializeToString()
    bad_utf8 = valid.replace(b"ab", b"\xff\xfe")
    truncated = valid[:-3]
    with grpc.insecure_channel(f"127.0.0.1:{shared_router.service.port}") as channel:
        raw = channel.unary_unary("/duta.v1.Translator/Translate")
        for payload in (bad_utf8, truncated, b"\x0a\xff\xff\xff\xff\x0f"):
            with pytest.raises(grpc.RpcError) as info:
                raw(payload, timeout=30)
            error = DutaRpcError.from_rpc_error(info.value)
            assert error.code == grpc.StatusCode.INVALID_ARGUMENT
            assert error.reason == "UNDECODABLE_REQUEST" and "UTF-8" in error.message
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert "Traceback" not in caplog.text  # one INFO line names the refusal, no trace


def test_nfkc_expanding_characters_are_translated_not_refused(client) -> None:
    # ﷺ is one character, but NFKC makes it 18 (SentencePiece normalises before counting).
    arabic, katakana = client.translate(["ﷺ" * 20, "ヿ" * 86], "en", source="zh")
    assert arabic.ok and arabic.text and katakana.ok and katakana.text


def test_request_ids_are_bounded_sanitised_and_reach_the_worker(client, caplog) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.DEBUG, logger="duta")
    client.translate(["请求编号测试。"], "en", no_cache=True, request_id="trace-42 <b>;drop")
    client.translate(["请求编号测试。"], "en", no_cache=True, request_id="x" * 4000)
    by_logger: dict[str, set[str]] = {}
    for record in caplog.records:
        by_logger.setdefault(record.name, set()).add(record.request_id)
    assert "trace-42__b__drop" in by_logger["duta.router.servicer"]
    assert "trace-42__b__drop" in by_logger["duta.worker.servicer"]
    assert "x" * 64 in by_logger["duta.worker.servicer"]
    assert all(len(rid) <= 64 for ids in by_logger.values() for rid in ids)


def test_the_readme_client_example_runs(shared_router, capsys) -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```python\n")[1:]]
    (example,) = [b for b in blocks if "from duta.client import" in b]
    address = f"127.0.0.1:{shared_router.service.port}"
    exec(compile(example.replace("127.0.0.1:50051", address), "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1].startswith("INVALID_ARGUMENT INVALID_LANGUAGE [('target_language'")
    assert "zh-Hans direct ('demo-zh-en',)" in printed[0]
