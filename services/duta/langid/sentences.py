"""The language of each sentence of a text that switches language.

A Japanese e-mail quoting English, a bilingual Malay/English notice, a Hindi paragraph then
an English one: :func:`detect_sentences` cuts the text with :func:`duta.text.segment.segment`
and detects every sentence on its own. A sentence the detector is sure of
(:data:`SURE_CONFIDENCE`, the level at which held-out answers are right ≥ 95 % of the time)
keeps its language; one too short or unclear to tell ("OK.", "Terima kasih!", a name)
inherits the language of its nearest sure neighbour (the one before it, else the one after).
When no sentence is sure, every sentence takes the detection of the whole text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from duta.langid.codes import same_language
from duta.text.segment import segment

if TYPE_CHECKING:
    from duta.langid.detector import Detection, Detector

__all__ = [
    "SURE_CONFIDENCE",
    "LanguageRun",
    "SentenceLanguage",
    "detect_sentences",
    "language_runs",
    "languages_of",
]

_QUOTE_MARKS = re.compile(r"^(?:\s*>)+\s*")
# Calibrated confidence at which a sentence decides its own language (bench/langid.py's
# reliability table: answers at or above it are right ≥ 95 % of the time).
SURE_CONFIDENCE = 0.8


@dataclass(frozen=True)
class SentenceLanguage:
    """One sentence of a text and its language.

    Attributes:
        text: the sentence, exactly as in the input.
        start: its offset in the input text (characters).
        language: the sentence's language: its own detection's when sure, else inherited.
        detection: the sentence's own detection.
        inherited: True when ``language`` came from a neighbour (or the whole text).
    """

    text: str
    start: int
    language: str
    detection: Detection
    inherited: bool


def detect_sentences(
    detector: Detector,
    text: str,
    hints: Sequence[str] | None = None,
    sure: float = SURE_CONFIDENCE,
) -> list[SentenceLanguage]:
    """Detect the language of every sentence of ``text`` (see the module docstring).

    Args:
        detector: the detector to use.
        text: any text; runs without letters (numbers, punctuation) are not sentences.
        hints: passed to every detection.
        sure: confidence from which a sentence keeps its own language.

    Returns:
        The sentences in order, with their offsets; empty when the text has no letters.
    """
    found: list[tuple[str, int, Detection]] = []
    offset = 0
    for piece in segment(text):
        if piece.translate:
            quoted = _QUOTE_MARKS.sub("", piece.text)  # "> " of a quoted e-mail line
            found.append((piece.text, offset, detector.detect(quoted, hints)))
        offset += len(piece.text)
    decided = [d.language if _is_sure(d, sure) else None for _, _, d in found]
    if found and not any(decided):
        whole = detector.detect(text, hints).language
        return [SentenceLanguage(t, s, whole, d, True) for t, s, d in found]
    out = []
    for i, (sentence, start, detection) in enumerate(found):
        own = decided[i]
        language = own if own is not None else _neighbour(decided, i, detection)
        out.append(SentenceLanguage(sentence, start, language, detection, own is None))
    return out


def languages_of(sentences: Sequence[SentenceLanguage]) -> list[str]:
    """The distinct languages of the sentences, in order of first appearance."""
    return list(dict.fromkeys(s.language for s in sentences))


@dataclass(frozen=True)
class LanguageRun:
    """Consecutive sentences of one language, as a slice of the text.

    Attributes:
        text: the slice (the runs of a text concatenate back to it, whitespace included).
        language: the run's language.
        detection: the detection of the run's surest sentence (its language is ``language``).
    """

    text: str
    language: str
    detection: Detection


def language_runs(text: str, sentences: Sequence[SentenceLanguage]) -> list[LanguageRun]:
    """Cut ``text`` where the language of its sentences changes (what a router routes).

    Each run starts at its first sentence (the first also takes anything before it) and ends
    where the next begins, so the runs concatenate back to ``text``.
    """
    groups: list[list[SentenceLanguage]] = []
    for sentence in sentences:
        if groups and groups[-1][0].language == sentence.language:
            groups[-1].append(sentence)
        else:
            groups.append([sentence])
    starts = [0] + [group[0].start for group in groups[1:]] + [len(text)]
    runs = []
    for group, start, end in zip(groups, starts, starts[1:], strict=False):
        own = [s.detection for s in group if same_language(s.detection.language, s.language)]
        best = max(own, key=lambda d: d.confidence) if own else group[0].detection
        runs.append(LanguageRun(text[start:end], group[0].language, best))
    return runs


def _is_sure(detection: Detection, sure: float) -> bool:
    return detection.language != "und" and detection.confidence >= sure


def _neighbour(decided: list[str | None], i: int, detection: Detection) -> str:
    """The language of the nearest sure sentence before ``i`` or after it: the one among the
    sentence's own candidates when one is ("Terima kasih." after English, before Malay), else
    the one before."""
    before = next((lang for lang in reversed(decided[:i]) if lang is not None), None)
    after = next((lang for lang in decided[i + 1 :] if lang is not None), None)
    near = [lang for lang in (before, after) if lang is not None]
    for candidate in detection.candidates:
        for lang in near:
            if same_language(lang, candidate.language):
                return lang
    return near[0]
