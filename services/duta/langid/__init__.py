"""Language identification and language codes for the languages of Asia.

>>> from duta.langid import Detector, canonicalize
>>> canonicalize("zh-TW")
'zh-Hant-TW'
"""

import importlib
from typing import TYPE_CHECKING

from duta.langid.codes import (
    InvalidLanguageCode,
    base_language,
    canonicalize,
    display_name,
    is_valid,
    same_language,
    supported_languages,
    to_model_token,
)

if TYPE_CHECKING:
    from duta.langid.detector import Candidate, Detection, Detector
    from duta.langid.sentences import (
        LanguageRun,
        SentenceLanguage,
        detect_sentences,
        language_runs,
        languages_of,
    )

# The detector (fastText, lingua, numpy, OpenCC) loads on first use: a worker that only needs
# the language codes never carries it.
_LAZY = {
    "Candidate": "detector",
    "Detection": "detector",
    "Detector": "detector",
    "LanguageRun": "sentences",
    "SentenceLanguage": "sentences",
    "detect_sentences": "sentences",
    "language_runs": "sentences",
    "languages_of": "sentences",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'duta.langid' has no attribute {name!r}")
    return getattr(importlib.import_module(f"duta.langid.{module}"), name)


__all__ = [
    "Candidate",
    "Detection",
    "Detector",
    "InvalidLanguageCode",
    "LanguageRun",
    "SentenceLanguage",
    "base_language",
    "canonicalize",
    "detect_sentences",
    "display_name",
    "is_valid",
    "language_runs",
    "languages_of",
    "same_language",
    "supported_languages",
    "to_model_token",
]
