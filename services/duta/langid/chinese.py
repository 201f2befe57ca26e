"""Han-only text: Simplified Chinese, Traditional Chinese or Cantonese.

fastText answers ``en`` for most single Chinese characters, so Han text never reaches it:
the characters decide. Simplified vs Traditional comes from OpenCC's tables
(:func:`duta.text.chinese.han_variant_counts`); Cantonese from characters and particles that
written Cantonese uses and Standard Written Chinese does not (嘅 咗 喺 嘢 冇 佢 哋 唔 ...).
"""

from __future__ import annotations

from importlib import resources

from duta.text.chinese import han_variant_counts

__all__ = ["CANTONESE_CHARS", "classify_han", "cantonese_markers"]

# Characters of written Cantonese that Standard Written Chinese does not use (or very rarely).
CANTONESE_CHARS = frozenset(
    "嘅咗喺嘢冇佢哋唔啲嚟睇嗰噉乜咩囉喎嘞啱搵揾諗谂攞畀㗎冚瞓攰唞揸嚿冧氹餸嘥嗮咁"
)
# Multi-character markers; 係/系 and 俾 are Mandarin words too, so only these uses count.
_CANTONESE_WORDS = (
    "係咪",
    "系咪",
    "唔係",
    "唔系",
    "俾咗",
    "點解",
    "点解",
    "邊度",
    "边度",
    "乜嘢",
    "咩嘢",
    "好彩",
    "而家",
    "依家",
    "點樣",
    "点样",
    "琴日",
    "聽日",
    "听日",
    "食飯",
    "食饭",
)


def _load_japanese() -> frozenset[str]:
    text = (
        resources.files("duta.langid").joinpath("data").joinpath("ja_only.txt").read_text("utf-8")
    )
    return frozenset("".join(line for line in text.splitlines() if not line.startswith("#")))


# Japanese shinjitai forms Chinese never writes (関 経 駅 変): kanji-only text with one is Japanese.
JAPANESE_CHARS = _load_japanese()


def cantonese_markers(text: str) -> int:
    """How many written-Cantonese characters and words ``text`` contains."""
    chars = set(text)
    count = (
        sum(text.count(c) for c in chars & CANTONESE_CHARS)
        if not chars.isdisjoint(CANTONESE_CHARS)
        else 0
    )
    return count + sum(1 for word in _CANTONESE_WORDS if word in text)


def classify_han(text: str) -> tuple[dict[str, float], str]:
    """Score zh-Hans / zh-Hant / yue for text whose letters are mostly Han.

    Returns:
        Unnormalised scores per language and the script to report (``Hans``, ``Hant`` or
        ``Hani`` when no character tells the two apart).
    """
    if not JAPANESE_CHARS.isdisjoint(text):
        return {"ja": 0.9, "zh-Hant": 0.06, "zh-Hans": 0.04}, "Jpan"
    hans, hant = han_variant_counts(text)
    if hans == hant:
        script, p_hans = "Hani", 0.6
    else:
        script = "Hans" if hans > hant else "Hant"
        margin = abs(hans - hant) / (hans + hant)
        p_hans = 0.5 + 0.48 * margin if hans > hant else 0.5 - 0.48 * margin
    markers = cantonese_markers(text)
    p_yue = min(0.95, 0.55 + 0.1 * markers) if markers else 0.03
    scores = {"zh-Hans": (1 - p_yue) * p_hans, "zh-Hant": (1 - p_yue) * (1 - p_hans)}
    yue = "yue-Hans" if script == "Hans" else "yue"
    scores[yue] = p_yue
    return scores, script
