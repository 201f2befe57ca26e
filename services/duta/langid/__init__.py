"""Language identification and language codes for the languages of Asia.

>>> from duta.langid import Detector, canonicalize
>>> canonicalize("zh-TW")
'zh-Hant-TW'
"""

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
from duta.langid.detector import Candidate, Detection, Detector
from duta.langid.sentences import (
    LanguageRun,
    SentenceLanguage,
    detect_sentences,
    language_runs,
    languages_of,
)

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
