"""Glossary / do-not-translate masking and restoring."""

from __future__ import annotations

from duta.text.terms import TermMasker


def test_longest_term_wins_and_placeholders_are_numbered() -> None:
    masker = TermMasker({"Duta": "Duta", "Duta Cloud": "Duta Cloud", "云": "cloud"})
    masked, renderings = masker.mask("我用Duta Cloud和云。")
    assert masked == "我用[1]和[2]。"
    assert renderings == (("1", "Duta Cloud"), ("2", "cloud"))


def test_existing_bracket_numbers_are_not_reused() -> None:
    masked, renderings = TermMasker({"X": "Y"}).mask("See [1] and X.")
    assert masked == "See [1] and [2]." and renderings == (("2", "Y"),)
    assert TermMasker.restore("Voir [1] et [2].", renderings) == "Voir [1] et Y."


def test_restore_tolerates_spacing_reordering_duplicates_and_loss() -> None:
    renderings = (("1", "Duta Cloud"), ("2", "cloud"))
    assert TermMasker.restore("I use [ 2 ] and [1].", renderings) == "I use cloud and Duta Cloud."
    assert TermMasker.restore("[1] [1] ok", renderings) == "Duta Cloud  ok cloud"
    assert TermMasker.restore("nothing here", renderings) == "nothing here Duta Cloud cloud"


def test_no_terms_is_identity() -> None:
    assert TermMasker({}).mask("text [1]") == ("text [1]", ())
    assert TermMasker.restore("text [1]", ()) == "text [1]"
