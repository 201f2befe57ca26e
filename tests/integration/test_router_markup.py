"""The router's HTML mode and terms (glossary, do-not-translate) over real gRPC: real workers
(tiny CT2 models), the module-shared router of tests/integration/conftest.py."""

from __future__ import annotations

import grpc
import pytest

from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc
from tests.integration.test_router import translate


@pytest.fixture(scope="module")
def stub(shared_router):
    with grpc.insecure_channel(f"127.0.0.1:{shared_router.service.port}") as channel:
        yield translator_pb2_grpc.TranslatorStub(channel)


def test_html_keeps_markup_and_translates_text_nodes(stub) -> None:
    document = (
        '<p class="lead">今天天气很好。</p>\n<ul><li>我们去公园吧！</li></ul>'
        '<pre>代码 &lt;不翻译&gt;</pre><span translate="no">品牌名</span><!-- 注释 -->'
    )
    out = translate(stub, [document], "en", format=pb.TEXT_FORMAT_HTML)[0]
    assert out.detected_language == "zh-Hans" and list(out.models) == ["demo-zh-en"]
    assert out.sentence_count == 2
    assert out.text.startswith('<p class="lead">') and "</p>\n<ul><li>" in out.text
    kept = '</li></ul><pre>代码 &lt;不翻译&gt;</pre><span translate="no">品牌名</span><!-- 注释 -->'
    assert out.text.endswith(kept)
    assert "今天" not in out.text.split("</p>")[0]  # the text node was translated


def test_html_escapes_translations(stub) -> None:
    document = "<b>Tom &amp; Jerry are friends.</b>"
    out = translate(stub, [document], "ja", format=pb.TEXT_FORMAT_HTML)[0]
    assert (
        out.detected_language == "en" and out.text.startswith("<b>") and out.text.endswith("</b>")
    )
    inner = out.text[3:-4]
    assert "<" not in inner and ">" not in inner


def test_glossary_and_do_not_translate_terms_reach_the_output(stub) -> None:
    options = pb.TranslateOptions(
        glossary=[pb.GlossaryEntry(source="云服务", target="Duta Cloud")],
        do_not_translate=["GitHub"],
        return_sentences=True,
    )
    out = translate(
        stub, ["我们在GitHub上使用云服务。", "GitHub"], "en", source_language="zh", options=options
    )
    first, only_term = out
    assert first.text.count("Duta Cloud") == 1 and first.text.count("GitHub") == 1
    assert first.sentences[0].source == "我们在[1]上使用[2]。"  # the model never saw the terms
    assert only_term.text == "GitHub" and only_term.route == pb.ROUTE_PASSTHROUGH


def test_too_many_or_blank_terms_are_rejected(stub) -> None:
    for options in (
        pb.TranslateOptions(do_not_translate=["x"] * 201),
        pb.TranslateOptions(glossary=[pb.GlossaryEntry(source=" ", target="y")]),
    ):
        with pytest.raises(grpc.RpcError) as info:
            translate(stub, ["你好"], "en", options=options)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "terms" in info.value.details()
