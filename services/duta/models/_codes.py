"""Language-code helpers: a thin adapter over :mod:`duta.langid.codes`.

BCP-47 canonicalisation and the per-family model tokens belong to ``duta.langid.codes``. Until
that module is importable (it is written in parallel) a deliberately small fallback covers the
languages the demo models use, so that this package and its tests stand on their own.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

logger = logging.getLogger(__name__)

_FALLBACK_CANONICAL = {"zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-tw": "zh-Hant-TW"}
_FALLBACK_TOKENS = {
    "opus-mt-multi": {
        "zh-Hans": ">>cmn_Hans<<",
        "zh-Hant": ">>cmn_Hant<<",
        "ja": ">>jpn<<",
        "ko": ">>kor<<",
        "en": ">>eng<<",
    },
    "nllb": {
        "zh-Hans": "zho_Hans",
        "zh-Hant": "zho_Hant",
        "ja": "jpn_Jpan",
        "ko": "kor_Hang",
        "en": "eng_Latn",
    },
    "m2m100": {
        "zh-Hans": "__zh__",
        "zh-Hant": "__zh__",
        "ja": "__ja__",
        "ko": "__ko__",
        "en": "__en__",
    },
}


def _codes() -> ModuleType | None:
    try:
        return importlib.import_module("duta.langid.codes")
    except ImportError:
        return None


def canonicalize(code: str) -> str:
    """Returns the canonical BCP-47 form of ``code`` ("zh" → "zh-Hans", "JA" → "ja").

    Raises:
        ValueError: ``code`` is not a valid language code.
    """
    codes = _codes()
    if codes is not None:
        return str(codes.canonicalize(code))
    text = code.strip().replace("_", "-")
    if not text:
        raise ValueError("empty language code")
    if text.lower() in _FALLBACK_CANONICAL:
        return _FALLBACK_CANONICAL[text.lower()]
    parts = text.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 else part.upper() if len(part) == 2 else part)
    return "-".join(out)


def base_language(code: str) -> str:
    """Returns the primary language subtag of ``code`` ("zh-Hant-TW" → "zh")."""
    codes = _codes()
    if codes is not None and hasattr(codes, "base_language"):
        return str(codes.base_language(code))
    return canonicalize(code).split("-")[0]


def to_model_token(code: str, family: str) -> str:
    """Returns the token a multi-language ``family`` uses for ``code`` (e.g. ">>cmn_Hant<<").

    Raises:
        ValueError: the family has no token for this language.
    """
    codes = _codes()
    if codes is not None:
        try:
            return str(codes.to_model_token(code, family))
        except Exception as exc:  # InvalidLanguageCode lives in langid; keep one type here
            raise ValueError(str(exc)) from exc
    canonical = canonicalize(code)
    table = _FALLBACK_TOKENS.get(family, {})
    for candidate in (canonical, "-".join(canonical.split("-")[:2]), base_language(canonical)):
        if candidate in table:
            return table[candidate]
    raise ValueError(f"no {family} token known for language {code!r}")
