"""A second opinion for texts fastText is unsure of: lingua's character n-gram models.

fastText (lid.176) is trained on long web text; on one or two words of a script that several
languages share it is often wrong (Malay read as Indonesian, Tagalog as Malay, Mongolian and
Kazakh as Russian or Kyrgyz, Marathi as Hindi, Urdu as Persian). lingua's models are built for
short text. When fastText gives no language of a shared script a clear majority, lingua scores
the Asian languages of that script (:data:`SCRIPT_LANGUAGES`) plus fastText's own best
candidates (so a French word stays a candidate for French), and :func:`combine` multiplies the
two opinions as calibrated probabilities. lingua's confidence values are a softmax over the
languages it is asked about, so a detector restricted to a handful of candidates gives the
same relative values as one over all of them, at a fraction of the cost (≈ 10 µs a language
on varied short text).
Without ``lingua-language-detector`` installed the detector runs on fastText and the rules.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from duta.langid.codes import InvalidLanguageCode, canonicalize

__all__ = ["LETTER_LANGUAGES", "OTHER_LANGUAGES", "SCRIPT_LANGUAGES", "NgramScorer", "combine"]

logger = logging.getLogger(__name__)

# Languages lingua always scores, per script: the close groups fastText under-reads (Malay and
# Tagalog, Azerbaijani, Kazakh and Mongolian, Urdu, Marathi), with the language fastText
# reads them as. Each language costs ≈ 10 µs a call, so the rest are scored only when fastText
# proposes them (dev.tsv: always scoring vi, en, uk and bg too: +0.4 points, ≈ +3.5 µs a text).
SCRIPT_LANGUAGES: dict[str, tuple[str, ...]] = {
    "Latn": ("id", "ms", "fil", "tr", "az"),
    "Cyrl": ("kk", "mn", "ru"),
    "Arab": ("ar", "fa", "ur"),
    "Deva": ("hi", "mr"),
}
# Languages lingua is also asked about when fastText proposes them (loaded up front: each of
# lingua's models takes ≈ 15-25 MB, so not all of its 75 languages): the other languages lingua
# models in these scripts, for Latin only the most used ones.
OTHER_LANGUAGES: dict[str, tuple[str, ...]] = {
    "Latn": ("vi", "en", "es", "fr", "de", "pt", "it", "nl"),
    "Cyrl": ("uk", "bg", "be", "sr", "mk"),
    "Arab": (),
    "Deva": (),
}
# Languages lingua is asked about whenever the text has one of their letters: Vietnamese words
# with a tone mark fastText reads as Portuguese, Tagalog or Turkish (chúa, khoá, quý; dev.tsv:
# Vietnamese 76.8 -> 82.9, the rest unchanged).
_VIETNAMESE = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
LETTER_LANGUAGES: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {
    "Latn": (("vi", frozenset(_VIETNAMESE + _VIETNAMESE.upper())),),
}
# Exponent of lingua's probability in :func:`combine` (fastText's has 1): on short text
# lingua is the better-calibrated of the two (dev.tsv mean: 1.5 -0.3 points, 3 +0.4, from
# Tagalog; 2 kept as the round value between).
LINGUA_WEIGHT = 2.0
# Added to fastText's share of every language, so a language fastText did not list (Tagalog
# words fastText reads as Finnish) can still win on lingua's word (dev.tsv mean: 0.02 -0.6
# points, 0.05 -0.3, 0.2 +0.2, mostly Tagalog; Indonesian falls above 0.1).
FASTTEXT_FLOOR = 0.1
# lingua's probabilities are floored here (it gives 0 to a language whose letters the text
# lacks; the product must still rank the others).
_LINGUA_FLOOR = 1e-4
# Text beyond this many characters adds nothing to lingua's opinion but time.
MAX_CHARS = 512
# Detectors kept at once (a bound only; each is small, the models are shared).
_MAX_DETECTORS = 1024


def _lingua_code(language: Any) -> str | None:
    """Duta's canonical code for a lingua language (``tl`` -> ``fil``, ``nb`` -> ``no``)."""
    try:
        return canonicalize(language.iso_code_639_1.name.lower())
    except InvalidLanguageCode:
        return None


class NgramScorer:
    """lingua in high-accuracy mode over the candidates of one text; safe to share.

    The models of :data:`SCRIPT_LANGUAGES` and :data:`OTHER_LANGUAGES` are loaded up front.
    """

    def __init__(self) -> None:
        import lingua  # optional at import time of duta.langid; see load()

        self._builder = lingua.LanguageDetectorBuilder
        # script -> {Duta code: lingua language} for the languages lingua may score there.
        self._known: dict[str, dict[str, Any]] = {}
        self._codes: dict[Any, str] = {}
        names = {_lingua_code(language): language for language in lingua.Language.all()}
        for script, codes in SCRIPT_LANGUAGES.items():
            self._known[script] = {c: names[c] for c in (*codes, *OTHER_LANGUAGES[script])}
            self._codes.update((language, c) for c, language in self._known[script].items())
            # Loads the models of all the languages this script may ask about.
            every = self._known[script].values()
            self._builder.from_languages(*every).with_preloaded_language_models().build()
        self._other = {script: frozenset(codes) for script, codes in OTHER_LANGUAGES.items()}
        # (script, fastText's candidates among OTHER_LANGUAGES) -> a detector over those and
        # the script's SCRIPT_LANGUAGES (at most a few hundred combinations).
        self._detectors: dict[tuple[str, frozenset[str]], Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls) -> NgramScorer | None:
        """The scorer, or ``None`` (logged) when lingua is not installed."""
        try:
            return cls()
        except ImportError:
            logger.warning("lingua-language-detector not installed; short texts less accurate")
            return None

    def handles(self, script: str) -> bool:
        return script in SCRIPT_LANGUAGES

    def scores(self, text: str, script: str, candidates: tuple[str, ...] = ()) -> dict[str, float]:
        """lingua's probabilities over the script's languages and the ``candidates`` it models.

        Also over :data:`LETTER_LANGUAGES` whose letters the text has.

        Candidates lingua has no model for (Cebuano, Nepali, Kyrgyz...) are left out; the
        values sum to 1 over the languages scored (0 for those the text's letters rule out).
        """
        other = self._other[script]
        asked = [c for c in candidates if c in other]
        for code, letters in LETTER_LANGUAGES.get(script, ()):
            if not letters.isdisjoint(text):
                asked.append(code)
        key = (script, frozenset(asked))
        detector = self._detectors.get(key)
        if detector is None:
            detector = self._build(key)
        values = detector.compute_language_confidence_values(text[:MAX_CHARS])
        codes = self._codes
        return {codes[v.language]: v.value for v in values}

    def _build(self, key: tuple[str, frozenset[str]]) -> Any:
        script, others = key
        known = self._known[script]
        wanted = [known[c] for c in (*SCRIPT_LANGUAGES[script], *others)]
        # The models are loaded already and shared by all detectors (≈ 0.2 ms to build one).
        builder = self._builder.from_languages(*wanted).with_preloaded_language_models()
        detector = builder.build()
        with self._lock:
            if len(self._detectors) >= _MAX_DETECTORS:
                self._detectors.clear()
            self._detectors[key] = detector
        return detector


def combine(scored: dict[str, float], ngram: dict[str, float]) -> dict[str, float]:
    """fastText's scores times lingua's probabilities (a product of experts), unnormalised.

    Each language gets ``(fastText share + FASTTEXT_FLOOR) * lingua ** LINGUA_WEIGHT``.
    Languages lingua was not asked about or has no model for get a neutral lingua value
    (``1 / len(ngram)``), so they neither gain nor lose against a lingua that cannot tell.
    """
    if not ngram:
        return scored
    scale = 1.0 / (sum(scored.values()) or 1.0)
    neutral = (1.0 / len(ngram)) ** LINGUA_WEIGHT
    out = {code: (score * scale + FASTTEXT_FLOOR) * neutral for code, score in scored.items()}
    for code, p in ngram.items():
        lingua = (p if p > _LINGUA_FLOOR else _LINGUA_FLOOR) ** LINGUA_WEIGHT
        out[code] = (scored.get(code, 0.0) * scale + FASTTEXT_FLOOR) * lingua
    return out
