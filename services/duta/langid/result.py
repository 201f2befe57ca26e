"""What language detection answers: a :class:`Detection` and its :class:`Candidate` languages."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Candidate", "Detection", "candidate", "detection"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One possible language of a text."""

    language: str
    confidence: float


@dataclass(frozen=True, slots=True)
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


# Results are built without the frozen dataclasses' generated __init__ (one
# object.__setattr__ call a field: ≈ 0.3 µs a Candidate, 0.45 µs a Detection, a tenth of a
# typical text's Python time): a bare instance, its slots filled through their descriptors.
_new = object.__new__
_SET_LANGUAGE = Candidate.__dict__["language"].__set__
_SET_CONFIDENCE = Candidate.__dict__["confidence"].__set__
_SET_FIELDS = tuple(Detection.__dict__[name].__set__ for name in Detection.__slots__)


def candidate(language: str, confidence: float) -> Candidate:
    made = _new(Candidate)
    _SET_LANGUAGE(made, language)
    _SET_CONFIDENCE(made, confidence)
    return made


def detection(candidates: tuple[Candidate, ...], script: str) -> Detection:
    made = _new(Detection)
    best = candidates[0]
    set_language, set_confidence, set_candidates, set_script = _SET_FIELDS
    set_language(made, best.language)
    set_confidence(made, best.confidence)
    set_candidates(made, candidates)
    set_script(made, script)
    return made
