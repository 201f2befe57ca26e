"""BCP-47 language codes: parsing, canonicalisation and the tokens each model family uses.

Canonical form (what every other part of Duta stores and compares):

* language subtag lower-case, script title-case, region upper-case: ``zh-Hant-TW``;
* deprecated and ISO 639-2/3 codes replaced: ``in`` -> ``id``, ``iw`` -> ``he``,
  ``ji`` -> ``yi``, ``zho``/``cmn`` -> ``zh``, ``zsm``/``msa`` -> ``ms``, ``jpn`` -> ``ja``;
* Tagalog and Filipino are one language for translation purposes; the canonical code is
  ``fil`` (``tl`` and ``tgl`` map to it) because Filipino is the standardised national language
  and the name users pick. Model tokens are Tagalog's (``tgl_Latn``, ``__tl__``);
* Chinese always carries its script when one is known: ``zh-CN`` -> ``zh-Hans``,
  ``zh-SG`` -> ``zh-Hans-SG``, ``zh-TW`` -> ``zh-Hant-TW``, ``zh-HK`` -> ``zh-Hant-HK``.
  A bare ``zh`` stays ``zh`` (script unknown) and is treated as Simplified by the models;
* a script that is the language's only usual one is dropped: ``ja-Jpan`` -> ``ja``,
  ``yue-Hant`` -> ``yue``, ``sr-Cyrl`` -> ``sr`` (Serbian's default is Cyrillic);
* extensions and private-use parts (``-u-...``, ``-x-...``) are dropped;
* ``und`` (undetermined) is accepted; it has no model token.
"""

from __future__ import annotations

import functools

from duta.langid._languages import ALIASES, ISO639_3, REGION_NAMES, ROWS, SCRIPT_NAMES

__all__ = [
    "FAMILIES",
    "InvalidLanguageCode",
    "base_language",
    "canonicalize",
    "display_name",
    "is_valid",
    "same_language",
    "script_subtag",
    "supported_languages",
    "to_model_token",
]

FAMILIES = ("nllb", "m2m100", "opus-mt-multi")
UNDETERMINED = "und"

_HANT_REGIONS = frozenset({"TW", "HK", "MO"})
_HANS_REGIONS = frozenset({"CN", "SG", "MY"})
_EXAMPLES = "e.g. 'en', 'zh-Hans', 'zh-Hant-TW', 'ja', 'yue', 'ms'; see ListLanguages"


class InvalidLanguageCode(ValueError):
    """A language code that is malformed, unknown, or has no token in a model family."""


def _fail(code: str, why: str) -> InvalidLanguageCode:
    return InvalidLanguageCode(
        f"invalid language code {code!r}: {why}; expected BCP-47 ({_EXAMPLES})"
    )


def _split(code: str) -> tuple[str, str, str, list[str]]:
    """Split a tag into (language, script, region, variants), validating the syntax."""
    parts = code.strip().replace("_", "-").split("-")
    if any(not p or len(p) > 8 or not p.isascii() or not p.isalnum() for p in parts):
        raise _fail(code, "subtags must be 1-8 ASCII letters or digits separated by '-'")
    lang = parts[0].lower()
    if not (2 <= len(lang) <= 3 and lang.isalpha()):
        raise _fail(code, "the language subtag must be 2 or 3 letters")
    i = 1
    if lang == "zh" and i < len(parts) and len(parts[i]) == 3 and parts[i].isalpha():
        lang = parts[i].lower()  # extlang form: zh-yue, zh-cmn
        i += 1
    script = region = ""
    if i < len(parts) and len(parts[i]) == 4 and parts[i].isalpha():
        script = parts[i].title()
        i += 1
    if i < len(parts) and (
        (len(parts[i]) == 2 and parts[i].isalpha()) or (len(parts[i]) == 3 and parts[i].isdigit())
    ):
        region = parts[i].upper()
        i += 1
    variants: list[str] = []
    while i < len(parts) and (len(parts[i]) >= 5 or (len(parts[i]) == 4 and parts[i][0].isdigit())):
        variants.append(parts[i].lower())
        i += 1
    if i < len(parts) and len(parts[i]) != 1:
        raise _fail(code, f"unexpected subtag {parts[i]!r}")
    return lang, script, region, variants


@functools.lru_cache(maxsize=4096)
def canonicalize(code: str) -> str:
    """Parse a BCP-47 tag and return Duta's canonical form of it.

    Args:
        code: a language tag such as ``"zh-TW"``, ``"zh_Hant"``, ``"in"`` or ``"jpn"``.

    Returns:
        The canonical tag, for example ``"zh-Hant-TW"``, ``"zh-Hant"``, ``"id"``, ``"ja"``.

    Raises:
        InvalidLanguageCode: the tag is empty, malformed, or names a language Duta does not know.
    """
    if not isinstance(code, str) or not code.strip():
        raise _fail(str(code), "the code is empty")
    lang, script, region, variants = _split(code)
    alias = ALIASES.get(lang) or ISO639_3.get(lang)
    if alias:
        lang, _, alias_script = alias.partition("-")
        script = script or alias_script
    if lang != UNDETERMINED and lang not in ROWS:
        raise _fail(code, f"unknown language {lang!r}")
    if lang in ("zh", "yue") and not script:
        script = "Hant" if region in _HANT_REGIONS else "Hans" if region in _HANS_REGIONS else ""
    if lang == "zh" and script == "Hans" and region == "CN":
        region = ""
    row = ROWS.get(lang)
    if row is not None and script == row.script:
        script = ""
    if lang == "ko" and script == "Hang":
        script = ""
    return "-".join(p for p in (lang, script, region, *variants) if p)


def is_valid(code: str) -> bool:
    """Whether :func:`canonicalize` accepts ``code``."""
    try:
        canonicalize(code)
    except InvalidLanguageCode:
        return False
    return True


def _parts(code: str) -> tuple[str, str, str]:
    lang, script, region, _ = _split(canonicalize(code))
    return lang, script, region


def script_subtag(code: str) -> str:
    """The explicit script of a code's canonical form: ``"zh-Hant-TW"`` -> ``"Hant"``.

    ``""`` when the canonical form has none (``"zh"``, ``"ja"``, ``"en"``) or the code is
    invalid: callers compare scripts, they do not validate.
    """
    try:
        return _parts(code)[1]
    except InvalidLanguageCode:
        return ""


def base_language(code: str) -> str:
    """The canonical primary language subtag: ``"zh-Hant-TW"`` -> ``"zh"``, ``"tl"`` -> ``"fil"``.

    Raises:
        InvalidLanguageCode: as :func:`canonicalize`.
    """
    return _parts(code)[0]


def _effective_script(lang: str, script: str) -> str:
    if script:
        return script
    row = ROWS.get(lang)
    return row.script if row is not None and row.script != "-" else ""


def same_language(a: str, b: str) -> bool:
    """Lenient equality for routing: same language and compatible script; region ignored.

    ``zh`` matches both ``zh-Hans`` and ``zh-Hant`` (its script is unknown), ``zh-Hans`` does
    not match ``zh-Hant``, ``zh-Hant-TW`` matches ``zh-Hant-HK``, ``tl`` matches ``fil``,
    ``sr`` (Cyrillic by default) does not match ``sr-Latn``, ``zh`` never matches ``yue``.
    Invalid codes match nothing.
    """
    try:
        la, sa, _ = _parts(a)
        lb, sb, _ = _parts(b)
    except InvalidLanguageCode:
        return False
    if la != lb:
        return False
    sa, sb = _effective_script(la, sa), _effective_script(lb, sb)
    return not sa or not sb or sa == sb


def to_model_token(code: str, family: str) -> str:
    """The language token a model family uses for ``code``.

    Args:
        code: any tag :func:`canonicalize` accepts.
        family: ``"nllb"`` (FLORES-200, ``zho_Hant``), ``"m2m100"`` (``__zh__``) or
            ``"opus-mt-multi"`` (``>>cmn_Hant<<``); ``"m2m"`` and ``"opus"`` are accepted too.

    Raises:
        InvalidLanguageCode: the code is invalid or the family has no token for it.
        ValueError: the family is unknown.
    """
    fam = {"m2m": "m2m100", "opus": "opus-mt-multi", "opus-mt": "opus-mt-multi"}.get(family, family)
    if fam not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; expected one of {', '.join(FAMILIES)}")
    lang, script, _ = _parts(code)
    row = ROWS.get(f"{lang}-{script}") if script else None
    if row is None:
        row = ROWS.get(lang)
    token = ""
    if row is not None and (not script or row.code != lang or script == row.script):
        token = {"nllb": row.nllb, "m2m100": row.m2m100, "opus-mt-multi": row.opus}[fam]
    if not token:
        raise InvalidLanguageCode(
            f"{fam} models have no token for {canonicalize(code)!r}; "
            "pick another model family or see ListLanguages"
        )
    return token


def display_name(code: str) -> str:
    """English name of a language tag: ``"zh-Hant-TW"`` -> ``"Chinese (Traditional, Taiwan)"``.

    Raises:
        InvalidLanguageCode: as :func:`canonicalize`.
    """
    lang, script, region = _parts(code)
    if lang == UNDETERMINED:
        return "Undetermined"
    qualifiers = [SCRIPT_NAMES.get(script, script)] if script else []
    if region:
        qualifiers.append(REGION_NAMES.get(region, region))
    name = ROWS[lang].name
    return f"{name} ({', '.join(qualifiers)})" if qualifiers else name


def supported_languages() -> list[str]:
    """Every canonical code in Duta's table, sorted (what ListLanguages can offer)."""
    return sorted(ROWS)
