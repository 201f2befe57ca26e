"""Segmentation, splitting, normalisation and Chinese variants (duta.text)."""

from __future__ import annotations

import pytest

from duta.text import (
    chinese_script,
    normalize_for_detection,
    normalize_for_model,
    segment,
    split_long,
    to_chinese_variant,
)


def sentences(text: str, language: str | None = None) -> list[str]:
    pieces = segment(text, language)
    assert "".join(p.text for p in pieces) == text
    return [p.text for p in pieces if p.translate]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你好。我是小明！真的吗？", ["你好。", "我是小明！", "真的吗？"]),
        ("「你好。」他说。", ["「你好。」他说。"]),
        ("他说：“你好。我是小明。” 然后走了。", ["他说：“你好。我是小明。”", "然后走了。"]),
        ("我想想……好吧。", ["我想想……", "好吧。"]),
        ("यह एक वाक्य है। दूसरा वाक्य॥", ["यह एक वाक्य है।", "दूसरा वाक्य॥"]),
        ("မင်္ဂလာပါ။ နေကောင်းလား။", ["မင်္ဂလာပါ။", "နေကောင်းလား။"]),
        ("ខ្ញុំទៅផ្សារ។ គាត់នៅផ្ទះ។", ["ខ្ញុំទៅផ្សារ។", "គាត់នៅផ្ទះ។"]),
        ("ผมไปตลาด ฉันซื้อผลไม้", ["ผมไปตลาด", "ฉันซื้อผลไม้"]),
        (
            "Dr. Smith paid 3.14 dollars, e.g. a lot. Then he left.",
            ["Dr. Smith paid 3.14 dollars, e.g. a lot.", "Then he left."],
        ),
        ("Is it? Yes! It is... maybe.", ["Is it?", "Yes!", "It is... maybe."]),
        ('He said "Hi." Then left.', ['He said "Hi."', "Then left."]),
        ("1. First item\n2. Second item", ["1. First item", "2. Second item"]),
        ("یہ کتاب ہے۔ وہ قلم ہے۔", ["یہ کتاب ہے۔", "وہ قلم ہے۔"]),
    ],
)
def test_sentence_rules(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_whitespace_and_paragraphs_survive() -> None:
    text = "  First one.  Second!\n\n\tThird para。 \r\n"
    pieces = segment(text)
    assert "".join(p.text for p in pieces) == text
    assert [p.text for p in pieces if not p.translate] == ["  ", "  ", "\n\n\t", " \r\n"]
    assert all(p.text == p.text.strip() for p in pieces if p.translate)


def test_letterless_runs_are_not_translated() -> None:
    pieces = segment("Price: 100.\n\n2024 — 😀\n")
    assert [(p.text, p.translate) for p in pieces if p.text.strip()] == [
        ("Price: 100.", True),
        ("2024 — 😀", False),
    ]


def test_split_long_at_clauses_then_tokens() -> None:
    text = "我今天去了市场，买了水果、蔬菜和肉；然后回家做饭了"
    parts = split_long(text, 8, len)
    assert "".join(parts) == text
    assert all(len(p) <= 8 for p in parts)
    assert parts[0] == "我今天去了市场，"
    words = "one two three four five six seven eight nine ten"
    parts = split_long(words, 3, lambda s: len(s.split()))
    assert "".join(parts) == words and parts[0] == "one two three "
    assert split_long("short", 10, len) == ["short"]


def test_normalize() -> None:
    assert normalize_for_model("ＡＢＣ１２３，好") == "ABC123，好"
    assert normalize_for_model("a\u200bb\u0000c\ufeff") == "abc"
    assert normalize_for_model("ｶﾀｶﾅ") == "カタカナ"
    assert normalize_for_model("e\u0301") == "\u00e9"
    assert normalize_for_model("می\u200cخواهم") == "می\u200cخواهم"  # ZWNJ is spelling in Persian
    assert (
        normalize_for_detection("see https://x.org/a and mail a@b.com  #tag\n")
        == "see and mail tag"
    )


def test_chinese_variants() -> None:
    assert to_chinese_variant("软件和内存", "zh-TW") == "軟體和記憶體"
    assert to_chinese_variant("软件", "zh-Hant") == "軟件"
    assert to_chinese_variant("头发", "zh-HK") == "頭髮"
    assert to_chinese_variant("軟體", "zh-CN") == "软体"
    assert to_chinese_variant("软件", "ja") == "软件"
    assert chinese_script("我们发现了") == "Hans"
    assert chinese_script("我們發現了") == "Hant"
    assert chinese_script("人口") == ""
