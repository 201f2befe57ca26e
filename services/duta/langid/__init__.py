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

__all__ = [
    "Candidate",
    "Detection",
    "Detector",
    "InvalidLanguageCode",
    "base_language",
    "canonicalize",
    "display_name",
    "is_valid",
    "same_language",
    "supported_languages",
    "to_model_token",
]
