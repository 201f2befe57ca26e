"""Short texts of shared scripts: lingua's second opinion and the marker words."""

from __future__ import annotations

import pytest

from duta.langid import Detector
from duta.langid.lexicon import word_votes
from duta.langid.ngram import blend


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


@pytest.fixture(scope="module")
def fasttext_only() -> Detector:
    return Detector(ngram=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bahay", "fil"),  # fastText alone: Malay
        ("kerana", "ms"),
        ("boleh", "ms"),
        ("нөхөр", "mn"),
        ("бұл кітап", "kk"),
        ("आहे", "mr"),
        ("नहीं", "hi"),
        ("ہے", "ur"),
        ("əlbəttə", "az"),
        ("teşekkürler", "tr"),
    ],
)
def test_single_words_of_close_languages(detector: Detector, text: str, expected: str) -> None:
    assert detector.detect(text).language == expected


def test_lingua_changes_what_fasttext_alone_gets_wrong(
    detector: Detector, fasttext_only: Detector
) -> None:
    assert fasttext_only.detect("bahay").language != "fil"
    assert detector.detect("bahay").language == "fil"


def test_marker_words_with_devanagari_vowel_signs() -> None:
    # "नहीं" and "आहे" end in vowel signs, which \w alone does not match.
    assert set(word_votes("नहीं", "Deva")) == {"hi"}
    assert set(word_votes("आहे", "Deva")) == {"mr"}


def test_blend_keeps_languages_lingua_does_not_know() -> None:
    out = blend({"fr": 0.4, "id": 0.6}, {"id": 0.2, "ms": 0.8}, weight=0.8)
    assert out["fr"] == pytest.approx(0.4)
    assert out["ms"] > out["id"]
    assert sum(out.values()) == pytest.approx(1.0)


def test_blend_gives_the_script_group_a_floor() -> None:
    # fastText spread its bets over European languages: lingua's pick still competes.
    out = blend({"fr": 0.3, "de": 0.3, "it": 0.3, "id": 0.1}, {"ms": 1.0}, weight=0.8)
    assert max(out, key=out.__getitem__) == "ms"


def test_blend_without_an_opinion_is_identity() -> None:
    scored = {"id": 0.7, "ms": 0.3}
    assert blend(scored, {}, weight=0.8) is scored


def test_long_text_is_fasttext_and_rules(detector: Detector) -> None:
    text = "Saya mau pergi ke kantor besok pagi"
    assert detector.detect(text) == Detector(ngram=False).detect(text)


def test_cache_returns_the_same_detection_as_the_uncached_path(detector: Detector) -> None:
    uncached = Detector(cache_size=0)
    for text in ("boleh", "bahay", "нөхөр", "Hello", "OK", "ہے"):
        first = detector.detect(text)
        assert detector.detect(text) is first  # second call: the cached object
        assert uncached.detect(text) == first
    assert len(detector.detect("boleh", top_k=1).candidates) == 1
    with pytest.raises(ValueError):
        Detector(cache_size=-1)


def test_lingua_is_skipped_when_fasttext_is_settled() -> None:
    from duta.langid.detector import _SETTLED, _best_share

    assert _best_share({"tr": 0.95, "az": 0.05}) >= _SETTLED
    assert _best_share({"id": 0.5, "ms": 0.5}) < _SETTLED
    assert _best_share({}) == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kata laluan anda telah berjaya ditukar.", "ms"),
        ("Saya tidak bisa datang karena hujan.", "id"),
        ("Saya tidak boleh datang kerana hujan.", "ms"),
    ],
)
def test_malay_prior_does_not_move_indonesian_sentences(
    detector: Detector, text: str, expected: str
) -> None:
    assert detector.detect(text).language == expected
