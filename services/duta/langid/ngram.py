"""A second opinion for texts fastText is unsure of: lingua's character n-gram models.

fastText (lid.176) is trained on long web text; on one or two words of a script that several
languages share it is often wrong (Malay read as Indonesian, Tagalog as Malay, Mongolian and
Kazakh as Russian or Kyrgyz, Marathi as Hindi, Urdu as Persian). lingua's models are built for
short text. When fastText gives no language of a shared script a clear majority and the text
shows evidence of an Asian close group (:data:`GROUPS`: fastText lists a member, a marker word
or letter of the rules does, or :data:`ASKED_ON_LETTERS`), lingua scores that group together
with fastText's own leaders (so a Danish word is compared with Tagalog on the same footing and
stays Danish), and :func:`combine` multiplies the two opinions as calibrated probabilities.
Text with no such evidence is fastText's and the rules' alone: nothing pulls it toward Asia.
lingua's confidence values are a softmax over the languages it is asked about, so a detector
restricted to a handful of candidates gives the same relative values as one over all of them,
at a fraction of the cost (≈ 6-10 µs a language). Only :data:`HIGH_ACCURACY`'s models are
loaded in full (the detector's RSS stays ≈ 200 MB, where all 75 languages take ≈ 1 GB).
Without ``lingua-language-detector`` installed the detector runs on fastText and the rules.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from duta.langid.codes import InvalidLanguageCode, canonicalize

__all__ = [
    "EVIDENCE_SHARE",
    "GROUPS",
    "IN_GROUPS",
    "TOP_CANDIDATES",
    "TOP_SHARE",
    "WEIGHT_BY_SCRIPT",
    "NgramScorer",
    "combine",
]

logger = logging.getLogger(__name__)

# The close groups of Asia that lingua referees, per script: each group is asked about only
# when the text shows evidence for one of its members (fastText lists it with
# :data:`EVIDENCE_SHARE` of its score, or a marker word or letter of the rules put it there),
# never as a blanket pull. Vietnamese is asked on its own letters only (ASKED_ON_LETTERS):
# fastText's share for it on an unaccented word ("Malawi") is no evidence (dev: English +0.5).
# Tagalog is compared whenever Indonesian or Malay is: fastText reads its words as theirs
# (musika, sukat, Linggo; dev: Tagalog +5.0, Indonesian -0.5, no other language moved).
GROUPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Latn": (("id", "ms", "fil"), ("fil",), ("tr", "az")),
    "Cyrl": (("kk", "mn", "ru"),),
    "Arab": (("ar", "fa", "ur"),),
    "Deva": (("hi", "mr"),),
}
# Every member of a script's groups.
IN_GROUPS = {script: frozenset().union(*groups) for script, groups in GROUPS.items()}
# Asked when fastText is unsure and the text's letters point at the language: Tagalog when
# every letter is of its native alphabet (the abakada: no c f j q v x z) and the text does not
# start with a capital (a lone name says nothing); Vietnamese when one letter carries a tone
# mark it uses (chó, mèo: fastText alone reads Spanish, Occitan). fastText lists Tagalog for
# almost none of its own words. fastText's leaders are asked too, so lingua compares fairly.
_TONES = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
_VI_ALPHABET = frozenset("abcdeghiklmnopqrstuvxy -" + _TONES)
# (code, a letter it needs or None, the letters it may use) per script.
ASKED_ON_LETTERS: dict[str, tuple[tuple[str, frozenset[str] | None, frozenset[str]], ...]] = {
    "Latn": (
        ("fil", None, frozenset("abdeghiklmnoprstuwy -'")),
        ("vi", frozenset(_TONES), _VI_ALPHABET),
    ),
}
# Languages whose every n-gram model (1-5) is loaded, for lingua's high-accuracy mode (≈ 20-25
# MB each); a text asking only about these is scored in that mode, any other in low-accuracy
# mode (trigrams, ≈ 2 MB a language, loaded the first time a text asks). dev.tsv: adding
# ur fa ar gives Urdu +4 points for ≈ 120 MB more RSS (328 MB, over the 300 MB budget).
HIGH_ACCURACY = frozenset({"id", "ms", "fil", "tr", "az", "hi", "mr"})
# A group member with this share of the re-scored fastText score is evidence for its group.
EVIDENCE_SHARE = 0.1
# fastText's best languages (at most this many, each with at least this share) are asked too,
# so a Danish word stays Danish: lingua compares them with the group on the same footing
# (in low-accuracy mode, trigram models only, when one of them is outside the groups).
TOP_CANDIDATES = 2
TOP_SHARE = 0.15
# Exponent of lingua's probability in :func:`combine` (fastText's has 1): on short text
# lingua is the better-calibrated of the two (dev.tsv mean: 1.5 -0.3 points, 3 +0.4, from
# Tagalog; 2 kept as the round value between).
LINGUA_WEIGHT = 2.0
# In Cyrillic every question is a low-accuracy one (trigrams: kk mn ru are not in
# HIGH_ACCURACY), whose values on one word are sharp and often wrong (Багамы, делал: 0.84
# Mongolian; процесс 0.99): lingua's weight there is 1 (dev.tsv: Russian +1.4, Kyrgyz +4.8,
# Tatar +2.0, Mongolian -0.5, Bulgarian, Macedonian, Serbian -0.5; 0.5 costs Mongolian -3.3).
WEIGHT_BY_SCRIPT = {"Cyrl": 1.0}
# Added to fastText's share of every language, so a language fastText did not list (Tagalog
# words fastText reads as Finnish) can still win on lingua's word (dev.tsv mean: 0.02 -0.6
# points, 0.05 -0.3, 0.2 +0.2, mostly Tagalog; Indonesian falls above 0.1).
FASTTEXT_FLOOR = 0.1
# The same for a language asked on its letters alone (:data:`ASKED_ON_LETTERS`): it needs a
# clearer lingua margin over fastText's leaders.
WEAK_FLOOR = 0.05
# lingua's probabilities are floored here (it gives 0 to a language whose letters the text
# lacks; the product must still rank the others).
_LINGUA_FLOOR = 1e-4
# Text beyond this many characters adds nothing to lingua's opinion but time (dev.tsv: the same
# answers at 96 as at 512; 10 % of the sentences are longer, 5 % above 126).
MAX_CHARS = 96
# Detectors kept at once (a bound only; each is small, the models are shared).
_MAX_DETECTORS = 1024


def _lingua_code(language: Any) -> str | None:
    """Duta's canonical code for a lingua language (``tl`` -> ``fil``, ``nb`` -> ``no``)."""
    try:
        return canonicalize(language.iso_code_639_1.name.lower())
    except InvalidLanguageCode:
        return None


class NgramScorer:
    """lingua over a few candidate languages of one text; safe to share between threads.

    The models of :data:`GROUPS` are loaded up front (high accuracy); the trigram models of
    other languages are loaded by lingua the first time a text asks about them.
    """

    def __init__(self) -> None:
        import lingua  # optional at import time of duta.langid; see load()

        self._builder = lingua.LanguageDetectorBuilder
        self._languages: dict[str, Any] = {}
        for language in lingua.Language.all():
            code = _lingua_code(language)
            if code is not None:
                self._languages[code] = language
        self._codes = {language: code for code, language in self._languages.items()}
        self._high = HIGH_ACCURACY
        if self._high:
            high = [self._languages[c] for c in sorted(self._high)]
            self._builder.from_languages(*high).with_preloaded_language_models().build()
        # (asked languages) -> a detector over them (at most a few hundred combinations).
        self._detectors: dict[frozenset[str], Any] = {}
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
        return script in GROUPS

    def knows(self, code: str) -> bool:
        return code in self._languages

    def scores(self, text: str, asked: frozenset[str]) -> dict[str, float]:
        """lingua's probabilities over the ``asked`` languages it models (sum 1 over them).

        High-accuracy mode when every asked language is of :data:`GROUPS`, else low
        accuracy (trigrams: ≈ 2 MB a language instead of ≈ 25 MB).
        """
        detector = self._detectors.get(asked)
        if detector is None:
            detector = self._build(asked)
        values = detector.compute_language_confidence_values(text[:MAX_CHARS])
        codes = self._codes
        return {codes[v.language]: v.value for v in values}

    def _build(self, asked: frozenset[str]) -> Any:
        builder = self._builder.from_languages(*[self._languages[c] for c in sorted(asked)])
        if not asked <= self._high:
            builder = builder.with_low_accuracy_mode()
        detector = builder.build()
        with self._lock:
            if len(self._detectors) >= _MAX_DETECTORS:
                self._detectors.clear()
            self._detectors[asked] = detector
        return detector


def combine(
    scored: dict[str, float],
    ngram: dict[str, float],
    weak: frozenset[str] = frozenset(),
    weight: float = LINGUA_WEIGHT,
    leaders: frozenset[str] = frozenset(),
) -> dict[str, float]:
    """fastText's scores times lingua's probabilities (a product of experts), unnormalised.

    Each language gets ``(fastText share + FASTTEXT_FLOOR) * lingua ** weight``.
    Languages lingua was not asked about or has no model for get a neutral lingua value:
    the mean of its values for fastText's ``leaders`` it compared (so a language fastText
    ranks below them cannot overtake them when lingua puts its mass on a group member:
    robot was German for lingua's Tagalog 0.67, English 0.16, against 1/3 for every other;
    dev.tsv: Asian mean +0.14), or ``1 / len(ngram)`` without leaders.
    Languages in ``weak`` (asked on the alphabet alone) get :data:`WEAK_FLOOR` instead.
    """
    if not ngram:
        return scored
    scale = 1.0 / (sum(scored.values()) or 1.0)
    unknown = sum(ngram[c] for c in leaders) / len(leaders) if leaders else 1.0 / len(ngram)
    neutral = max(unknown, _LINGUA_FLOOR) ** weight
    out = {code: (score * scale + FASTTEXT_FLOOR) * neutral for code, score in scored.items()}
    for code, p in ngram.items():
        lingua = (p if p > _LINGUA_FLOOR else _LINGUA_FLOOR) ** weight
        floor = WEAK_FLOOR if code in weak else FASTTEXT_FLOOR
        out[code] = (scored.get(code, 0.0) * scale + floor) * lingua
    return out
