"""The detector outside Asia, hints, calibrated confidence and per-sentence detection."""

from __future__ import annotations

import pytest

from duta.langid import Detector, base_language, detect_sentences, languages_of


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


# One everyday sentence per language, written for this test (not taken from the eval sets).
WORLD = {
    "en": "The weather is nice today and we are going to the park.",
    "fr": "Nous avons visité le musée avec nos enfants hier après-midi.",
    "de": "Ich habe gestern Abend ein sehr spannendes Buch gelesen.",
    "es": "Mañana vamos a comprar pan y leche en la tienda del barrio.",
    "it": "Abbiamo mangiato una pizza buonissima in centro ieri sera.",
    "pt": "Eu gosto muito de caminhar na praia ao final da tarde.",
    "nl": "Wij gaan morgen met de fiets naar het strand toe.",
    "da": "Vi skal spise aftensmad sammen med min familie i aften.",
    "sv": "Jag brukar dricka kaffe på morgonen innan jobbet börjar.",
    "no": "Vi skal reise til Bergen neste uke for å besøke familien.",
    "fi": "Menemme huomenna mökille viettämään viikonloppua.",
    "et": "Me läheme homme hommikul koos sõpradega matkama.",
    "lv": "Mēs rīt brauksim uz jūru kopā ar draugiem.",
    "lt": "Rytoj mes važiuosime prie jūros kartu su draugais.",
    "pl": "Jutro rano pojedziemy pociągiem do babci na wieś.",
    "cs": "Zítra ráno pojedeme vlakem k babičce na venkov.",
    "sk": "Včera sme boli v kine a film sa nám veľmi páčil.",
    "sl": "Včeraj smo bili v kinu in film nam je bil zelo všeč.",
    "hr": "Sutra ujutro idemo vlakom kod bake na selo.",
    "ro": "Mâine dimineață mergem cu trenul la bunica la țară.",
    "hu": "Holnap reggel vonattal megyünk a nagymamához vidékre.",
    "sq": "Nesër në mëngjes do të shkojmë me tren te gjyshja.",
    "el": "Αύριο το πρωί θα πάμε με το τρένο στη γιαγιά.",
    "bg": "Днес времето е много хубаво и ще излезем на разходка.",
    "ru": "Завтра утром мы поедем на поезде к бабушке в деревню.",
    "uk": "Завтра вранці ми поїдемо потягом до бабусі в село.",
    "be": "Заўтра раніцай мы паедзем цягніком да бабулі ў вёску.",
    "mk": "Утре наутро ќе одиме со воз кај баба на село.",
    "sr": "Сутра ујутру идемо возом код баке на село.",
    "ca": "Demà al matí anirem amb tren a casa de l'àvia al poble.",
    "eu": "Bihar goizean trenez joango gara amonaren etxera.",
    "gl": "Mañá pola mañá imos en tren á casa da avoa na aldea.",
    "cy": "Rydw i wedi bod yn dysgu Cymraeg ers dwy flynedd.",
    "ga": "Tá an aimsir go hálainn inniu agus táimid ag dul amach.",
    "is": "Á morgun förum við með lest til ömmu í sveitinni.",
    "af": "Ek het gister saam met my vriende na die fliek gegaan.",
    "sw": "Kesho asubuhi tutasafiri kwa treni kwenda kwa bibi kijijini.",
    "eo": "Morgaŭ matene ni veturos per trajno al la avino en la vilaĝo.",
    "la": "Cras mane cum amicis ad mare ibimus et in litore ambulabimus.",
    "mt": "Għada filgħodu se mmorru bil-ferrovija għand in-nanna.",
    "lb": "Muer de Moien fuere mir mam Zuch bei d'Bomi op d'Land.",
    "yo": "Mo fẹ́ràn láti ka ìwé ní àṣálẹ́ lẹ́yìn iṣẹ́.",
    "am": "ነገ ጠዋት በባቡር ወደ አያቴ መንደር እንሄዳለን።",
    "yi": "מאָרגן אין דער פֿרי פֿאָרן מיר מיט דער באַן צו דער באָבע.",
}


@pytest.mark.parametrize(("expected", "text"), sorted(WORLD.items()))
def test_a_sentence_of_each_language_is_itself(
    detector: Detector, expected: str, text: str
) -> None:
    result = detector.detect(text)
    assert base_language(result.language) == expected, result.candidates


def test_more_than_forty_languages_outside_asia_are_covered() -> None:
    assert len(WORLD) >= 40


@pytest.mark.parametrize(
    "text",
    [
        "Vi ses i morgen på stationen klokken otte.",  # Danish, once read as Tagalog
        "Ne vedem mâine la gară, la ora opt.",  # Romanian (ă is not Vietnamese)
        "Uvidíme sa zajtra na stanici o ôsmej.",  # Slovak
        "Vidimo se sutra na kolodvoru u osam sati.",  # Croatian
        "Ens veiem demà a l'estació a les vuit.",  # Catalan
        "Tutaonana kesho kituoni saa mbili asubuhi.",  # Swahili
    ],
)
def test_european_and_african_sentences_are_not_read_as_asian(
    detector: Detector, text: str
) -> None:
    assert base_language(detector.detect(text).language) not in {
        "fil", "id", "ms", "tr", "az", "vi"
    }  # fmt: skip


def test_a_hint_decides_kanji_only_text(detector: Detector) -> None:
    assert detector.detect("東京", hints=["ja"]).language == "ja"
    assert detector.detect("東京", hints=["zh-Hant"]).language == "zh-Hant"
    # Characters only Simplified Chinese writes rule Japanese out: the hint cannot win.
    assert detector.detect("这个问题很难", hints=["ja"]).language == "zh-Hans"


@pytest.mark.parametrize(
    "text", ["Hello", "Cancel", "boleh", "Bonjour tout le monde", "東京", "ہے", "Saya mau pergi"]
)
def test_confidence_is_the_first_candidates(detector: Detector, text: str) -> None:
    result = detector.detect(text)
    assert result.confidence == result.candidates[0].confidence
    assert [c.confidence for c in result.candidates] == sorted(
        (c.confidence for c in result.candidates), reverse=True
    )


def test_one_word_of_a_shared_script_is_not_sure_a_long_sentence_is(detector: Detector) -> None:
    assert detector.detect("Hello").confidence < 0.8
    assert detector.detect(WORLD["de"]).confidence >= 0.8


def test_sentences_of_a_japanese_mail_quoting_english(detector: Detector) -> None:
    text = (
        "お世話になっております。来週の会議の件でご連絡いたします。\n"
        "> Thanks for the update. We will send the final report by Friday.\n"
        "OK.\n"
        "よろしくお願いいたします。"
    )
    sentences = detect_sentences(detector, text)
    assert [s.language for s in sentences] == ["ja", "ja", "en", "en", "en", "ja"]
    # "> Thanks for the update." is short: it takes the neighbour its own candidates name
    # (English, after it) over the one before it (Japanese); "OK." the one before it.
    assert [s.inherited for s in sentences] == [False, False, True, False, True, False]
    assert all(text[s.start : s.start + len(s.text)] == s.text for s in sentences)
    assert languages_of(sentences) == ["ja", "en"]


def test_bilingual_notices_and_paragraphs(detector: Detector) -> None:
    notice = (
        "Sila ambil perhatian bahawa pejabat akan ditutup pada hari Isnin. "
        "Please note that the office will be closed on Monday."
    )
    assert languages_of(detector.detect_sentences(notice)) == ["ms", "en"]
    paragraphs = (
        "यह एक हिंदी अनुच्छेद है। हम कल बाज़ार जाएंगे।\n\n"
        "This is an English paragraph. We will go to the market tomorrow."
    )
    assert languages_of(detector.detect_sentences(paragraphs)) == ["hi", "en"]


def test_a_short_sentence_takes_the_neighbour_it_resembles(detector: Detector) -> None:
    text = "Terima kasih. Sila ambil perhatian bahawa pejabat akan ditutup pada hari Isnin."
    first, second = detector.detect_sentences(text)
    assert first.inherited and first.language == "ms" and not second.inherited


def test_text_with_no_sure_sentence_takes_the_whole_texts_language(detector: Detector) -> None:
    sentences = detector.detect_sentences("OK. Thanks.")
    assert {s.language for s in sentences} == {detector.detect("OK. Thanks.").language}
    assert all(s.inherited for s in sentences)
    assert detector.detect_sentences("12345 !!!") == []
