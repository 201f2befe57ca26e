"""Chinese variants: Simplified vs Traditional detection and OpenCC conversion.

The character sets come from OpenCC's own tables (``STCharacters`` and ``TSCharacters``,
extracted into ``duta/langid/data/``): a character is *Simplified-only* when OpenCC converts it
to Traditional and it is not itself a Traditional form (发 -> 發/髮), and *Traditional-only*
the other way round (發 -> 发). Characters both standards share (后, 里, 人) decide nothing.
"""

from __future__ import annotations

import functools
import logging
import threading
from importlib import resources

import opencc

__all__ = ["chinese_script", "han_variant_counts", "to_chinese_variant"]

logger = logging.getLogger(__name__)

# target -> OpenCC configuration (targets are canonical BCP-47 codes).
_CONFIGS: dict[str, str] = {
    "zh-Hant": "s2t",
    "zh-Hant-TW": "s2twp",
    "zh-Hant-HK": "s2hk",
    "zh-Hant-MO": "s2hk",
    "zh-Hans": "t2s",
    "zh-Hans-SG": "t2s",
    "zh-Hans-MY": "t2s",
    "yue": "s2hk",
    "yue-Hans": "t2s",
}


def _load_chars(name: str) -> frozenset[str]:
    text = (
        resources.files("duta")
        .joinpath("langid")
        .joinpath("data")
        .joinpath(name)
        .read_text(encoding="utf-8")
    )
    return frozenset("".join(line for line in text.splitlines() if not line.startswith("#")))


HANS_ONLY: frozenset[str] = _load_chars("hans_only.txt")
HANT_ONLY: frozenset[str] = _load_chars("hant_only.txt")


class _Converter:
    """One OpenCC converter behind a lock (the binding makes no thread-safety promise)."""

    def __init__(self, config: str) -> None:
        self._cc = opencc.OpenCC(f"{config}.json" if not config.endswith(".json") else config)
        self._lock = threading.Lock()

    def convert(self, text: str) -> str:
        with self._lock:
            return self._cc.convert(text)


@functools.cache
def _converter(config: str) -> _Converter:
    logger.debug("loading OpenCC configuration %s", config)
    return _Converter(config)


def to_chinese_variant(text: str, target: str) -> str:
    """Convert Chinese text to the variant a target language code asks for.

    Args:
        text: Chinese text (any variant; text in other languages passes through unchanged).
        target: a language code. ``zh-Hant`` -> OpenCC ``s2t``; ``zh-TW``/``zh-Hant-TW`` ->
            ``s2twp`` (Taiwan characters and phrasing: 软件 -> 軟體); ``zh-HK``/``zh-Hant-HK`` ->
            ``s2hk``; ``zh-Hans`` (and ``zh-CN``) -> ``t2s``; ``yue`` -> ``s2hk``. Any other
            code (including bare ``zh`` and non-Chinese codes) returns ``text`` unchanged.

    Returns:
        The converted text.
    """
    from duta.langid.codes import InvalidLanguageCode, canonicalize

    try:
        config = _CONFIGS.get(canonicalize(target))
    except InvalidLanguageCode:
        config = None
    if config is None or not text:
        return text
    return _converter(config).convert(text)


def han_variant_counts(text: str) -> tuple[int, int]:
    """Number of (Simplified-only, Traditional-only) characters in ``text``."""
    chars = set(text)
    if not chars.isdisjoint(HANS_ONLY) or not chars.isdisjoint(HANT_ONLY):
        return sum(text.count(c) for c in chars & HANS_ONLY), sum(
            text.count(c) for c in chars & HANT_ONLY
        )
    return 0, 0


def chinese_script(text: str) -> str:
    """``"Hans"`` or ``"Hant"`` from the characters of ``text``; ``""`` when nothing decides."""
    hans, hant = han_variant_counts(text)
    if hans == hant:
        return ""
    return "Hans" if hans > hant else "Hant"
