"""Made-up training text for the SentencePiece models of demo models.

The text is random but written in each language's real script (Han, kana, Hangul, Thai,
Devanagari, Arabic, Latin…), so the tokenizers of a demo model split real input the way a
real model's would: characters of the script become pieces, anything else falls back to bytes.
"""

from __future__ import annotations

import random

from duta.models._codes import base_language, canonicalize

_HANZI_HANS = (
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家"
    "学对可里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经"
    "头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿"
)
_HANZI_HANT = "們個國來說這時會過對後麼開長問動現樣與實點種發經當學還無門見車東語話體機"
_KANA = (
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん"
    "がぎぐげござじずぜぞだでどばびぶべぼアイウエオカキクケコサシスセソタチツテトナニヌネノ"
    "ハヒフヘホマミムメモラリルレロンー"
)
_KANJI = "日本人私今年何時間会社東京大学生食見行来思話読書言語電車天気"
_HANGUL = (
    "가나다라마바사아자차카타파하고노도로모보소오조초코토포호구누두루무부수우주추쿠투푸후"
    "기니디리미비시이지치키티피히한국어는을를에서의로입니다있습하세요감사합니다사람시간"
)
_THAI = "กขคงจฉชซญดตถทธนบปผพฟภมยรลวศสหอฮะาิีึืุูเแโใไ่้๊๋ำั"
_DEVANAGARI = "अआइईउऊएऐओऔकखगघचछजझटठडढणतथदधनपफबभमयरलवशषसहािीुूेैोौंः्"
_BENGALI = "অআইঈউঊএঐওঔকখগঘচছজঝটঠডঢণতথদধনপফবভমযরলশষসহািীুূেৈোৌং্"
_ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوییکگپچژے"
_LATIN_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "you",
    "that",
    "it",
    "he",
    "was",
    "for",
    "on",
    "are",
    "as",
    "with",
    "his",
    "they",
    "at",
    "be",
    "this",
    "have",
    "from",
    "or",
    "one",
    "had",
    "by",
    "word",
    "but",
    "not",
    "what",
    "all",
    "were",
    "we",
    "when",
    "your",
    "can",
    "said",
    "there",
    "use",
    "each",
    "which",
    "she",
    "do",
    "how",
    "their",
    "if",
    "will",
    "up",
    "other",
    "about",
    "out",
    "many",
    "then",
    "them",
    "these",
    "some",
    "her",
    "would",
    "make",
    "like",
    "him",
    "into",
    "time",
    "has",
    "look",
    "two",
    "more",
    "write",
    "see",
    "number",
    "way",
    "could",
    "people",
    "than",
    "first",
    "water",
    "long",
    "day",
    "get",
    "come",
]
_VIET_WORDS = [
    "tôi",
    "bạn",
    "là",
    "của",
    "và",
    "có",
    "không",
    "người",
    "một",
    "những",
    "được",
    "trong",
    "này",
    "cho",
    "với",
    "các",
    "đã",
    "để",
]
_MALAY_WORDS = [
    "saya",
    "anda",
    "adalah",
    "yang",
    "dan",
    "di",
    "ini",
    "itu",
    "dengan",
    "untuk",
    "tidak",
    "ada",
    "dari",
    "akan",
    "kami",
]
_TAGALOG_WORDS = [
    "ako",
    "ikaw",
    "ang",
    "ng",
    "sa",
    "at",
    "na",
    "mga",
    "siya",
    "ito",
    "hindi",
    "para",
    "kami",
    "tayo",
    "salamat",
    "po",
]


_SCRIPT_TEXT: dict[str, tuple[str, str]] = {
    # base language -> (alphabet of the script, sentence-final punctuation)
    "zh": (_HANZI_HANS, "。"),
    "yue": (_HANZI_HANT + "嘅咗喺佢哋唔乜嘢", "。"),
    "ja": (_KANA + _KANJI, "。"),
    "ko": (_HANGUL, "."),
    "th": (_THAI, " "),
    "lo": ("ກຂຄງຈຊຍດຕຖທນບປຜຝພຟມຢຣລວສຫອຮະາິີຶືຸູເແໂໃໄ່້", " "),
    "km": ("កខគឃងចឆជឈញដឋឌឍណតថទធនបផពភមយរលវសហឡអាិីឹឺុូួើឿៀេែៃោៅំះ", "។"),
    "my": ("ကခဂဃငစဆဇဈညဋဌဍဎဏတထဒဓနပဖဗဘမယရလဝသဟဠအါာိီုူေဲံ့း်", "။"),
    "hi": (_DEVANAGARI, "।"),
    "mr": (_DEVANAGARI, "।"),
    "ne": (_DEVANAGARI, "।"),
    "bn": (_BENGALI, "।"),
    "ur": (_ARABIC, "۔"),
    "fa": (_ARABIC, "."),
    "ar": (_ARABIC, "."),
}
_WORD_LISTS = {
    "vi": _VIET_WORDS,
    "ms": _MALAY_WORDS,
    "id": _MALAY_WORDS,
    "tl": _TAGALOG_WORDS,
    "fil": _TAGALOG_WORDS,
}


def _script_sentence(rng: random.Random, alphabet: str, stop: str, spaced: bool) -> str:
    words = []
    for _ in range(rng.randint(2, 8)):
        words.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))))
    return (" " if spaced else "").join(words) + stop


def _word_sentence(rng: random.Random, words: list[str]) -> str:
    sentence = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
    return sentence[:1].upper() + sentence[1:] + rng.choice(".?!")


def demo_sentences(code: str, count: int, seed: int = 0) -> list[str]:
    """Returns ``count`` random sentences in the script of language ``code``.

    Unknown languages get Latin-script text; the tokenizer's byte fallback covers the rest.
    """
    rng = random.Random(f"{seed}:{code}")
    canonical = canonicalize(code)
    base = base_language(canonical)
    if base == "zh" and "Hant" in canonical.split("-"):
        alphabet, stop = _HANZI_HANT + _HANZI_HANS[:60], "。"
        return [_script_sentence(rng, alphabet, stop, False) for _ in range(count)]
    if base in _SCRIPT_TEXT:
        alphabet, stop = _SCRIPT_TEXT[base]
        spaced = base in ("ko", "hi", "mr", "ne", "bn", "ur", "fa", "ar")
        return [_script_sentence(rng, alphabet, stop, spaced) for _ in range(count)]
    words = _WORD_LISTS.get(base, _LATIN_WORDS)
    return [_word_sentence(rng, words) for _ in range(count)]
