"""Detector rules with real text in each script (duta.langid.detector)."""

from __future__ import annotations

import threading

import pytest

from duta.langid import Detector


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("안녕하세요, 만나서 반갑습니다", "ko"),
        ("今日は良い天気ですね", "ja"),
        ("カタカナ", "ja"),
        ("สวัสดีครับ วันนี้อากาศดีมาก", "th"),
        ("ສະບາຍດີ", "lo"),
        ("សួស្តី", "km"),
        ("မင်္ဂလာပါ", "my"),
        ("გამარჯობა", "ka"),
        ("Բարև ձեզ", "hy"),
        ("שלום לכולם", "he"),
        ("નમસ્તે", "gu"),
        ("ਸਤ ਸ੍ਰੀ ਅਕਾਲ", "pa"),
        ("வணக்கம்", "ta"),
        ("నమస్కారం", "te"),
        ("ನಮಸ್ಕಾರ", "kn"),
        ("നമസ്കാരം", "ml"),
        ("ආයුබෝවන්", "si"),
        ("আমি বাংলায় গান গাই", "bn"),
        ("我们今天去北京", "zh-Hans"),
        ("我們今天去台北", "zh-Hant"),
        ("佢哋喺度食緊飯", "yue"),
        ("你食咗飯未呀", "yue"),
        ("Tôi yêu Việt Nam", "vi"),
        ("Ben kitap okuyorum", "tr"),
        ("Mən kitab oxuyuram", "az"),
        ("Мен қазақша сөйлеймін", "kk"),
        ("Я читаю интересную книгу", "ru"),
        ("یہ میری کتاب ہے", "ur"),
        ("این کتاب من است", "fa"),
        ("هذا كتابي الجديد", "ar"),
        ("हे माझे पुस्तक आहे", "mr"),
        ("यह मेरी किताब है", "hi"),
        ("Ako ay kumain ng kanin", "fil"),
        ("Saya mahu pergi ke pejabat", "ms"),
        ("Saya mau pergi ke kantor", "id"),
    ],
)
def test_detects(detector: Detector, text: str, expected: str) -> None:
    result = detector.detect(text)
    assert result.language == expected
    assert result.candidates[0].language == expected
    assert 0.0 < result.confidence <= 1.0


@pytest.mark.parametrize("char", list("我你好人水火山大中国學愛龍"))
def test_single_han_character_is_chinese_never_english(detector: Detector, char: str) -> None:
    assert detector.detect(char).language in ("zh-Hans", "zh-Hant", "yue")


def test_simplified_and_traditional_scripts(detector: Detector) -> None:
    assert detector.detect("这个问题很难").script == "Hans"
    assert detector.detect("這個問題很難").script == "Hant"
    assert detector.detect("人口").script == "Hani"


@pytest.mark.parametrize(
    "text",
    [
        "12345",
        "3.14 + 2.72 = 5.86",
        "https://example.com/a?b=1",
        "😀🎉👍",
        "",
        "   ",
        "!!!",
        "def f(x): return x + 1;",
        "print(x) # comment",
        'console.log("hello")',
        "x = np.array([1, 2, 3])",
        "import numpy as np",
        "SELECT * FROM users WHERE id = 1;",
        "if err != nil { return err }",
        "$ ls -la /tmp",
        "v1.2.3",
    ],
)
def test_no_linguistic_signal_is_und(detector: Detector, text: str) -> None:
    result = detector.detect(text)
    assert result.language == "und"
    assert result.confidence == 0.0
    assert result.script == ""


@pytest.mark.parametrize(
    "text",
    [
        "I want to import cars from Japan",
        "Call me at 5pm; I will be home (maybe later)",
        "x = 5 is the answer",
        "None of them came",
        "The function of the heart is to pump blood",
    ],
)
def test_prose_with_a_mark_of_code_is_still_prose(detector: Detector, text: str) -> None:
    assert detector.detect(text).language == "en"


def test_top_k_and_ordering(detector: Detector) -> None:
    result = detector.detect("Saya makan nasi goreng", top_k=3)
    assert len(result.candidates) == 3
    confidences = [c.confidence for c in result.candidates]
    assert confidences == sorted(confidences, reverse=True)
    assert len(detector.detect("Saya makan nasi goreng", top_k=1).candidates) == 1


def test_hints_reweight_close_languages(detector: Detector) -> None:
    text = "Saya makan nasi"
    assert detector.detect(text, hints=["ms"]).language == "ms"
    assert detector.detect(text, hints=["in"]).language == "id"


def test_hints_cannot_override_the_script(detector: Detector) -> None:
    assert detector.detect("안녕하세요", hints=["ja"]).language == "ko"
    assert detector.detect("人口", hints=["zh-Hant"]).language == "zh-Hant"


def test_detect_many_matches_detect(detector: Detector) -> None:
    texts = ["你好", "hello there my friend", "12"]
    assert detector.detect_many(texts) == [detector.detect(t) for t in texts]


def test_thread_safe(detector: Detector) -> None:
    texts = ["Bonjour tout le monde", "สวัสดีครับ", "Saya mahu makan", "这是一本书"] * 50
    expected = detector.detect_many(texts)
    results: list[list] = []

    def work() -> None:
        results.append(detector.detect_many(texts))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


@pytest.mark.parametrize(
    "text",
    [
        "  plain   words ",
        "tab\tand\nnewline",
        "see www.example.com now",
        "a/b path",
        "<b>bold</b> text",
        "fish & chips",
        "#tag and @name",
        "mail me: someone@example.org",
        "non\u00a0breaking space",
        "ｆｕｌｌ ｗｉｄｔｈ",
        "ｶﾀｶﾅ",
        "e\u0301te\u0301",  # not NFC
        "zero\u200bwidth",
        "soft\u00adhyphen",
        "\ufeffbyte order mark",
        "ideographic\u3000space",
        "déjà vu",
        "",
    ],
)
def test_fast_normalisation_matches_the_shared_one(text: str) -> None:
    from duta.text.normalize import _normalize_for_detection, normalize_for_detection

    assert normalize_for_detection(text) == _normalize_for_detection(text)


def test_results_equal_plain_dataclasses_and_stay_frozen(detector: Detector) -> None:
    """Results are built through the slots' descriptors (cheaper than the frozen __init__):
    they must compare, hash and refuse changes like ordinary instances."""
    import dataclasses

    from duta.langid import Candidate, Detection

    found = detector.detect("Selamat pagi, apa kabar?", top_k=3)
    plain = Detection(
        found.language,
        found.confidence,
        tuple(Candidate(c.language, c.confidence) for c in found.candidates),
        found.script,
    )
    assert found == plain and hash(found) == hash(plain)
    assert found.confidence == found.candidates[0].confidence
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.candidates[0].confidence = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("value", [0.0, 0.12344, 0.12346, 0.5, 0.99996, 1.0, 0.87654321])
def test_confidences_round_to_four_decimals(value: float) -> None:
    from duta.langid.disambiguate import round4

    assert round4(value) == pytest.approx(round(value, 4), abs=1e-12)
