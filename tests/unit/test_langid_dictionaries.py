"""Known words from the system's hunspell dictionaries (duta.langid.dictionaries).

`make system-deps` installs the Debian packages (see HUNSPELL_DEBS in the Makefile); the Urdu
list ships in duta/langid/data. The words below are in neither evaluation set
(tests/data/langid).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from duta.langid import Detector, dictionaries
from duta.langid.dictionaries import known_votes


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(cache_size=0)


@pytest.fixture
def no_dictionaries(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("DUTA_HUNSPELL_DIRS", str(tmp_path))
    dictionaries.forget()
    yield
    monkeypatch.undo()
    dictionaries.forget()


# (text, its language, what fastText and lingua answer without the dictionaries)
KNOWN = [
    ("paaralan", "fil", "war"),  # school: Tagalog's list knows it
    ("malinis na tubig", "fil", "ceb"),  # clean water
    ("Австрали", "mn", "ru"),  # Mongolian drops Russian's final -я
    ("тіл", "kk", "uk"),  # tongue: Kazakh's і, Kazakh's list
    ("жіп", "kk", "uk"),  # thread
    ("मुलगा", "mr", "hi"),  # boy
    ("कुखुरा", "ne", "hi"),  # hen
    ("غیرملکیوں", "ur", "pa-Arab"),  # (of) foreigners: Urdu's list, not Punjabi
    ("kitap", "tr", "fil"),  # book
    ("پذیرائی", "ur", "pa-Arab"),  # welcome
]


@pytest.mark.parametrize(("text", "expected", "_"), KNOWN)
def test_a_known_word_decides(detector: Detector, text: str, expected: str, _: str) -> None:
    assert detector.detect(text).language == expected


@pytest.mark.usefixtures("no_dictionaries")
def test_without_the_dictionaries_those_words_were_wrong(detector: Detector) -> None:
    assert known_votes(["paaralan"], "Latn") == {}
    assert [detector.detect(text).language for text, _, _ in KNOWN] == [w for _, _, w in KNOWN]


# European words some voter's list also holds (Tagalog's Spanish loans, Cyrillic loans the
# Mongolian and Kazakh lists share with Russian): they keep their language.
EUROPEAN = [
    ("problema", "es"),
    ("familia", "es"),
    ("iglesia", "es"),
    ("radio", "en"),
    ("hotel", "en"),
    ("работа", "ru"),
    ("компьютер", "ru"),
    ("музей", "ru"),
    ("къща", "bg"),
    ("робота", "uk"),
]


@pytest.mark.parametrize(("text", "expected"), EUROPEAN)
def test_european_words_keep_their_language(detector: Detector, text: str, expected: str) -> None:
    assert detector.detect(text).language == expected


def test_votes_go_to_the_list_that_knows_strictly_more() -> None:
    # 4 votes a word from the spell-checking lists of Tagalog, Mongolian, Kazakh; 3 otherwise.
    assert known_votes(["paaralan"], "Latn") == {"fil": 4}
    assert known_votes(["malinis", "na", "tubig"], "Latn")["fil"] >= 8
    assert known_votes(["problema"], "Latn") == {}  # Spanish's list knows it too
    assert known_votes(["музей"], "Cyrl") == {}  # Russian's too
    assert known_votes(["kapitbahay"] * 4, "Latn") == {}  # longer than MAX_WORDS: not looked up
    assert known_votes(["paaralan"], "Arab") == {}


def test_a_voter_needs_its_letters() -> None:
    # Azerbaijani: "dili" is in Tagalog's list, ə and ç are not Tagalog letters.
    assert known_votes(["ənənəvi", "çin", "dili"], "Latn") == {}
    # Kazakh's list knows көру (to see); without і ғ қ ұ it may be Tatar or Kyrgyz.
    assert known_votes(["көру"], "Cyrl") == {}
    assert known_votes(["тіл"], "Cyrl") == {"kk": 4}
    # Nepali's list holds bare consonant words Hindi writes too (गजब, खत): a vowel sign needed.
    assert known_votes(["गजब"], "Deva") == {}
    assert known_votes(["कुखुरा"], "Deva") == {"ne": 3}


def test_sanskrit_marks_give_no_vote() -> None:
    assert known_votes(["मुलगा"], "Deva") == {"mr": 3}
    assert known_votes(["यस्य", "बुद्धिर्बलं"], "Deva") == {}  # anusvara after a consonant
    assert known_votes(["रामः"], "Deva") == {}  # visarga


def test_dic_files_are_read_as_hunspell_writes_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "tl.dic").write_text("3\nBahay/AB\n# a comment\nkain\n", encoding="utf-8")
    (tmp_path / "en_US.dic").write_text("2\nkain\nhouse/S\n", encoding="utf-8")
    (tmp_path / "es_ES.dic").write_text("1\ncasa/S\n", encoding="utf-8")
    (tmp_path / "tr_TR.dic").write_text("2\nev\npochta\n", encoding="utf-8")
    monkeypatch.setenv("DUTA_HUNSPELL_DIRS", str(tmp_path))
    dictionaries.forget()
    try:
        assert known_votes(["bahay"], "Latn") == {"fil": 4}  # lower-cased, flags cut
        assert known_votes(["kain"], "Latn") == {}  # English's list vetoes
        assert known_votes(["house"], "Latn") == {}  # English votes for no one
        assert known_votes(["casa", "bahay"], "Latn") == {}  # one each: no strict winner
        assert known_votes(["ev"], "Latn") == {"tr": 3}
        assert known_votes(["pochta"], "Latn") == {}  # Uzbek's ch: no Turkish vote
        assert known_votes(["бул"], "Cyrl") == {}  # no Cyrillic list here
    finally:
        monkeypatch.undo()
        dictionaries.forget()


def test_a_script_with_a_list_missing_gets_no_votes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "tl.dic").write_text("1\nbahay\n", encoding="utf-8")
    (tmp_path / "en_US.dic").write_text("1\nhouse\n", encoding="utf-8")
    monkeypatch.setenv("DUTA_HUNSPELL_DIRS", str(tmp_path))
    dictionaries.forget()
    try:
        assert known_votes(["bahay"], "Latn") == {}  # Spanish's list missing: no vetoes
        assert known_votes(["غیرملکیوں"], "Arab") == {}  # the shipped Urdu list, no rivals
    finally:
        monkeypatch.undo()
        dictionaries.forget()


def test_the_aspell_list_is_read_whole() -> None:
    # Debian's aspell-mr: prefix-compressed; every word decodes to Devanagari.
    path = Path("/usr/share/aspell/mr.cwl.gz")
    words = dictionaries._aspell_words(path)
    assert len(words) > 60_000
    assert "आहे" in words and "मुलगा" in words
    assert all("\u0900" <= w[0] <= "\u097f" for w in words)


def test_a_detector_reads_every_scripts_lists_before_its_first_text() -> None:
    # On first use a script's lists take up to a second to read: a router's first Cyrillic
    # request must not pay it.
    dictionaries.forget()
    Detector(ngram=False)
    assert set(dictionaries._loaded) == set(dictionaries.DICTIONARIES)
    assert all(dictionaries._loaded[script] is not None for script in dictionaries.DICTIONARIES)
