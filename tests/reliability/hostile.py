"""Hypothesis strategies for hostile requests: what a buggy or malicious caller sends."""

from __future__ import annotations

from hypothesis import strategies as st

from duta.v1 import translator_pb2 as pb

# Characters that break naive text handling: controls, bidi overrides, zero-width joiners,
# lone combining marks, variation selectors, characters NFKC expands, private use.
NASTY = (
    "\x00\x01\x07\x1b\x7f\u0085\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\ufeff\ufe0f\u0301\u0308\u0e31\u093c\u17d2\u102f\ufdfa\u30ff"
    "\ue000\U0010fffd\U0001f600\U0001f469\u200d\U0001f4bb\r\n\t\u2028\u2029"
)
SCRIPTS = (
    "今天天气很好。",
    "今日はいい天気ですね。",
    "오늘 날씨가 좋네요.",
    "สวัสดีครับ",
    "नमस्ते दुनिया।",
    "Xin chào thế giới.",
    "مرحبا بالعالم",
    "Привет, мир!",
    "ສະບາຍດີ",
    "សួស្តី",
    "မင်္ဂလာပါ",
    "Hello world.",
    "<b>bold</b> <i>",
    "<script>alert(1)</script>",
    "<<<>>>&&&;",
    "<p><div></p></div>",
    "%s {name} {{count}}",
    "[1] [2]",
)
CODES = (
    "en",
    "zh",
    "zh-Hant-TW",
    "yue",
    "fil",
    "ja",
    "ko",
    "ms",
    "und",
    "zz",
    "xx-Klingon",
    "en-US-u-ca-buddhist",
    "",
    " ",
    "zh_Hans",
    "EN",
    "qaa",
    "i-klingon",
    "x-private",
    "a" * 300,
    "🙂",
    "zh-Hant-TW-TW-TW",
    "ja\x00",
    "-",
    "en--US",
)

text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from(NASTY), max_size=40),
    st.lists(st.sampled_from(SCRIPTS + tuple(NASTY)), max_size=12).map("".join),
    st.sampled_from(("", " ", "\n\n", "a" * 20_001, "。" * 5000, "ﷺ" * 40, "ヿ" * 90)),
)
code = st.one_of(st.sampled_from(CODES), st.text(max_size=12))
# Half of the requests name languages the cluster serves, so the fuzzer reaches translation too.
source = st.one_of(st.sampled_from(("", "zh", "ja", "zh-Hant")), code)
target = st.one_of(st.sampled_from(("en", "en", "ja", "ko", "zh-TW")), code)
glossary_entry = st.builds(
    pb.GlossaryEntry, source=st.sampled_from(("天气", "天", "今天天", "", "a" * 300)), target=text
)
options = st.builds(
    pb.TranslateOptions,
    beam_size=st.integers(0, 64),
    no_cache=st.booleans(),
    glossary=st.lists(glossary_entry, max_size=4),
    do_not_translate=st.lists(st.sampled_from(("天", "天气", "", "今天")), max_size=4),
    source_hints=st.lists(code, max_size=3),
    tier=st.integers(0, 5),
    escalation_threshold=st.one_of(st.floats(-2, 3), st.just(float("nan"))),
    return_sentences=st.booleans(),
)


def _texts(draw_list: list[str], oversized: bool) -> list[str]:
    return draw_list * 200 if oversized and draw_list else draw_list


translate_request = st.builds(
    lambda texts, oversized, src, tgt, fmt, opts: pb.TranslateRequest(
        texts=_texts(texts, oversized),
        source_language=src,
        target_language=tgt,
        format=fmt,
        options=opts,
    ),
    st.lists(text, max_size=6),
    st.sampled_from((False,) * 15 + (True,)),  # now and then a batch far over the limit
    source,
    target,
    st.integers(0, 7),
    options,
)
detect_request = st.builds(
    pb.DetectLanguageRequest,
    texts=st.lists(text, max_size=6),
    hints=st.lists(code, max_size=3),
    top_k=st.integers(0, 40),
)
