"""A second opinion for short texts: lingua's character n-gram models, restricted per script.

fastText (lid.176) is trained on long web text; on one or two words of a script that several
languages share it is often wrong (Malay read as Indonesian, Tagalog as Malay, Mongolian and
Kazakh as Russian, Marathi as Hindi, Urdu as Persian). lingua's models are built for short
text. Restricted to the few languages a script leaves open, one call costs ≈ 15-50 µs, so the
detector asks it only for short texts of those scripts and blends its answer with fastText's
(:func:`blend`). Without ``lingua-language-detector`` installed the detector runs on fastText
and the rules alone.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["PRECISE_MAX_WORDS", "SCRIPT_LANGUAGES", "NgramScorer", "blend"]

logger = logging.getLogger(__name__)

# Languages lingua decides between, per script: the Asian languages written in it plus the
# language most often mixed into them (English for Latin, Russian for Cyrillic).
SCRIPT_LANGUAGES: dict[str, tuple[str, ...]] = {
    "Latn": ("vi", "id", "ms", "fil", "tr", "az", "en"),
    "Cyrl": ("kk", "mn", "ru", "uk", "bg"),
    "Arab": ("ar", "fa", "ur"),
    "Deva": ("hi", "mr"),
}
# Texts of at most this many words get lingua's high-accuracy mode...
PRECISE_MAX_WORDS = 1
# ...unless fastText already gives one language at least this share of the score (then the
# low-accuracy mode, three times faster, gives the same answers on dev.tsv).
PRECISE_BELOW_SHARE = 0.8
MASS_FLOOR = 0.5
# lingua's names for Duta codes.
_LINGUA_NAMES = {
    "vi": "VIETNAMESE",
    "id": "INDONESIAN",
    "ms": "MALAY",
    "fil": "TAGALOG",
    "tr": "TURKISH",
    "az": "AZERBAIJANI",
    "en": "ENGLISH",
    "kk": "KAZAKH",
    "mn": "MONGOLIAN",
    "ru": "RUSSIAN",
    "uk": "UKRAINIAN",
    "bg": "BULGARIAN",
    "ar": "ARABIC",
    "fa": "PERSIAN",
    "ur": "URDU",
    "hi": "HINDI",
    "mr": "MARATHI",
}


class NgramScorer:
    """lingua detectors, two per shared script, with their models loaded up front.

    lingua's high-accuracy mode (1- to 5-grams) is about three times slower than its
    low-accuracy mode (trigrams only) and much better on a single word; on two or three words
    the gap is small, so :meth:`scores` uses it for single words only.
    """

    def __init__(self) -> None:
        import lingua  # optional at import time of duta.langid; see load()

        self._precise: dict[str, Any] = {}
        self._quick: dict[str, Any] = {}
        self._codes: dict[Any, str] = {}
        for script, codes in SCRIPT_LANGUAGES.items():
            langs = [getattr(lingua.Language, _LINGUA_NAMES[c]) for c in codes]
            builder = lingua.LanguageDetectorBuilder.from_languages(*langs)
            self._precise[script] = builder.with_preloaded_language_models().build()
            builder = lingua.LanguageDetectorBuilder.from_languages(*langs)
            quick = builder.with_low_accuracy_mode().with_preloaded_language_models()
            self._quick[script] = quick.build()
            self._codes.update(zip(langs, codes, strict=True))

    @classmethod
    def load(cls) -> NgramScorer | None:
        """The scorer, or ``None`` (logged) when lingua is not installed."""
        try:
            return cls()
        except ImportError:
            logger.warning("lingua-language-detector not installed; short texts less accurate")
            return None

    def handles(self, script: str) -> bool:
        return script in self._precise

    def scores(self, text: str, script: str, words: int, share: float = 0.0) -> dict[str, float]:
        """Probabilities over :data:`SCRIPT_LANGUAGES` ``[script]`` (empty if lingua abstains).

        ``share``: the share of the score fastText gives its best language (0 when unknown).
        """
        precise = words <= PRECISE_MAX_WORDS and share < PRECISE_BELOW_SHARE
        detector = self._precise[script] if precise else self._quick[script]
        values = detector.compute_language_confidence_values(text)
        return {self._codes[v.language]: v.value for v in values if v.value > 0.0}


def blend(scored: dict[str, float], ngram: dict[str, float], weight: float) -> dict[str, float]:
    """Mix lingua's probabilities into fastText's scores, within the languages lingua knows.

    The mass fastText gives to lingua's languages is shared out again as
    ``(1 - weight) * fastText + weight * lingua``; languages outside lingua's set keep their
    scores, so a text fastText reads confidently as, say, French is not pulled into Asia.
    """
    if not ngram:
        return scored
    total = sum(scored.values()) or 1.0
    inside = {c: scored.get(c, 0.0) / total for c in ngram}
    ft_mass = sum(inside.values())
    # On one or two words fastText often spreads its bets over European languages; the
    # languages of this script's Asian group keep at least MASS_FLOOR of the total.
    mass = max(ft_mass, MASS_FLOOR)
    out = {c: s / total for c, s in scored.items()}
    for code, p in ngram.items():
        ft = inside[code] / ft_mass if ft_mass else 0.0
        out[code] = mass * ((1.0 - weight) * ft + weight * p)
    return out
