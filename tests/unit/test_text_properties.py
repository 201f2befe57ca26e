"""Property-based round-trip tests of segmentation and splitting (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from duta.text import normalize_for_model, segment, split_long

# Alphabet weighted towards what breaks splitters: terminators, quotes, spaces, CJK, Thai.
_SPECIAL = list("。！？.!?…「」『』“”\"'()।॥။។៕ \t\n\r\u3000\u00a0") + [
    "\r\n",
    "\n\n",
    "Dr.",
    "3.14",
    "e.g.",
]
_WORDS = [
    "你好",
    "我們",
    "こんにちは",
    "안녕",
    "ผมไปตลาด",
    "ខ្ញុំ",
    "नमस्ते",
    "Hello",
    "world",
    "1.",
    "😀",
]
texts = st.lists(st.sampled_from(_SPECIAL + _WORDS) | st.text(max_size=3), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts, st.sampled_from([None, "th", "zh-Hans", "en"]))
def test_segment_round_trips_exactly(text: str, language: str | None) -> None:
    pieces = segment(text, language)
    assert "".join(p.text for p in pieces) == text
    for piece in pieces:
        assert piece.text
        if piece.translate:
            assert piece.text == piece.text.strip()
        if piece.text.isspace():
            assert not piece.translate


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_segment_round_trips_any_unicode(text: str) -> None:
    assert "".join(p.text for p in segment(text)) == text


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(min_value=1, max_value=12))
def test_split_long_round_trips_and_respects_limit(text: str, limit: int) -> None:
    parts = split_long(text, limit, len)
    assert "".join(parts) == text
    assert all(0 < len(p) <= limit for p in parts)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=100))
def test_normalize_for_model_is_idempotent(text: str) -> None:
    once = normalize_for_model(text)
    assert normalize_for_model(once) == once
