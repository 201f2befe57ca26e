"""Language-code canonicalisation and model tokens (duta.langid.codes)."""

from __future__ import annotations

import pytest

from duta.langid import (
    InvalidLanguageCode,
    base_language,
    canonicalize,
    display_name,
    same_language,
    to_model_token,
)

ASIAN_25 = "zh ja ko vi th id ms tl hi bn mr ta te ur gu pa fa ar he tr kk mn az ka hy".split()  # noqa: SIM905
EXTRA = ["en", "zh-Hans", "zh-Hant", "yue", "km", "lo", "my", "si", "ne", "ml", "kn"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh-CN", "zh-Hans"),
        ("zh-TW", "zh-Hant-TW"),
        ("zh-HK", "zh-Hant-HK"),
        ("zh-SG", "zh-Hans-SG"),
        ("zh_Hant", "zh-Hant"),
        ("ZH-hant-tw", "zh-Hant-TW"),
        ("zh-Hans-CN", "zh-Hans"),
        ("in", "id"),
        ("iw", "he"),
        ("ji", "yi"),
        ("tl", "fil"),
        ("tgl", "fil"),
        ("zho", "zh"),
        ("cmn", "zh"),
        ("jpn", "ja"),
        ("kor", "ko"),
        ("yue", "yue"),
        ("yue-Hant", "yue"),
        ("zh-yue", "yue"),
        ("zsm", "ms"),
        ("ja-Jpan", "ja"),
        ("sr-Cyrl", "sr"),
        ("sr-Latn", "sr-Latn"),
        ("en-us", "en-US"),
        ("en-u-ca-gregory", "en"),
        ("es-419", "es-419"),
    ],
)
def test_canonicalize(code: str, expected: str) -> None:
    assert canonicalize(code) == expected


@pytest.mark.parametrize(
    "bad", ["", "   ", "x", "english", "zz", "zh-", "123", "en--US", "en-US-toolongsubtag"]
)
def test_invalid_codes_raise_with_guidance(bad: str) -> None:
    with pytest.raises(InvalidLanguageCode) as err:
        canonicalize(bad)
    assert "ListLanguages" in str(err.value)
    assert "zh-Hant-TW" in str(err.value)


def test_base_language() -> None:
    assert base_language("zh-Hant-TW") == "zh"
    assert base_language("yue") == "yue"
    assert base_language("tl") == "fil"


def test_same_language_semantics() -> None:
    assert same_language("zh", "zh-Hans")
    assert same_language("zh-CN", "zh-Hans")
    assert same_language("zh-Hant-TW", "zh-HK")
    assert not same_language("zh-Hans", "zh-Hant")
    assert not same_language("zh", "yue")
    assert not same_language("id", "ms")
    assert not same_language("sr", "sr-Latn")
    assert same_language("tl", "fil")
    assert not same_language("zz", "zz")


@pytest.mark.parametrize(
    ("code", "nllb", "m2m", "opus"),
    [
        ("zh-Hant", "zho_Hant", "__zh__", ">>cmn_Hant<<"),
        ("zh-TW", "zho_Hant", "__zh__", ">>cmn_Hant<<"),
        ("zh-CN", "zho_Hans", "__zh__", ">>cmn_Hans<<"),
        ("ja", "jpn_Jpan", "__ja__", ">>jpn<<"),
        ("ms", "zsm_Latn", "__ms__", ">>zsm_Latn<<"),
        ("tl", "tgl_Latn", "__tl__", ">>tgl_Latn<<"),
        ("ko", "kor_Hang", "__ko__", ">>kor<<"),
        ("fa", "pes_Arab", "__fa__", ">>pes<<"),
    ],
)
def test_model_tokens(code: str, nllb: str, m2m: str, opus: str) -> None:
    assert to_model_token(code, "nllb") == nllb
    assert to_model_token(code, "m2m100") == m2m
    assert to_model_token(code, "opus-mt-multi") == opus


@pytest.mark.parametrize("code", ASIAN_25 + EXTRA)
def test_every_asian_language_has_an_nllb_token(code: str) -> None:
    token = to_model_token(code, "nllb")
    assert len(token) == 8 and token[3] == "_"
    assert to_model_token(code, "opus-mt-multi").startswith(">>")


def test_family_without_token_raises() -> None:
    assert to_model_token("yue", "nllb") == "yue_Hant"
    with pytest.raises(InvalidLanguageCode, match="m2m100"):
        to_model_token("yue", "m2m100")
    with pytest.raises(InvalidLanguageCode):
        to_model_token("und", "nllb")
    with pytest.raises(ValueError, match="unknown model family"):
        to_model_token("en", "gpt")


def test_display_names() -> None:
    assert display_name("zh-TW") == "Chinese (Traditional, Taiwan)"
    assert display_name("zh-Hans") == "Chinese (Simplified)"
    assert display_name("yue") == "Cantonese"
    assert display_name("ms") == "Malay"
    assert display_name("und") == "Undetermined"
