"""Script analysis: which writing systems a text's letters belong to, in one C-speed pass.

Every code point up to the CJK extensions is mapped, once at import, to a one-character script
id; :func:`script_counts` runs ``str.translate`` with that table (digits, punctuation, symbols,
emoji and spaces map to nothing) and counts the ids. Scripts are ISO 15924 codes.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["LETTERLESS", "SCRIPT_LANGUAGE", "script_counts", "dominant_script"]

# (first, last, script) — letters only; everything unlisted that is not alphabetic is ignored.
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x005A, "Latn"),
    (0x0061, 0x007A, "Latn"),
    (0x00C0, 0x024F, "Latn"),
    (0x0250, 0x02AF, "Latn"),
    (0x1E00, 0x1EFF, "Latn"),
    (0xFF21, 0xFF3A, "Latn"),
    (0xFF41, 0xFF5A, "Latn"),
    (0x0370, 0x03FF, "Grek"),
    (0x1F00, 0x1FFF, "Grek"),
    (0x0400, 0x052F, "Cyrl"),
    (0x1C80, 0x1C8F, "Cyrl"),
    (0xA640, 0xA69F, "Cyrl"),
    (0x0530, 0x058F, "Armn"),
    (0x0590, 0x05FF, "Hebr"),
    (0xFB1D, 0xFB4F, "Hebr"),
    (0x0600, 0x06FF, "Arab"),
    (0x0750, 0x077F, "Arab"),
    (0x08A0, 0x08FF, "Arab"),
    (0xFB50, 0xFDFF, "Arab"),
    (0xFE70, 0xFEFF, "Arab"),
    (0x0780, 0x07BF, "Thaa"),
    (0x0900, 0x097F, "Deva"),
    (0xA8E0, 0xA8FF, "Deva"),
    (0x0980, 0x09FF, "Beng"),
    (0x0A00, 0x0A7F, "Guru"),
    (0x0A80, 0x0AFF, "Gujr"),
    (0x0B00, 0x0B7F, "Orya"),
    (0x0B80, 0x0BFF, "Taml"),
    (0x0C00, 0x0C7F, "Telu"),
    (0x0C80, 0x0CFF, "Knda"),
    (0x0D00, 0x0D7F, "Mlym"),
    (0x0D80, 0x0DFF, "Sinh"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x0E80, 0x0EFF, "Laoo"),
    (0x0F00, 0x0FFF, "Tibt"),
    (0x1000, 0x109F, "Mymr"),
    (0xAA60, 0xAA7F, "Mymr"),
    (0x10A0, 0x10FF, "Geor"),
    (0x1C90, 0x1CBF, "Geor"),
    (0x1100, 0x11FF, "Hang"),
    (0x3130, 0x318F, "Hang"),
    (0xA960, 0xA97F, "Hang"),
    (0xAC00, 0xD7AF, "Hang"),
    (0xD7B0, 0xD7FF, "Hang"),
    (0xFFA0, 0xFFDC, "Hang"),
    (0x1200, 0x139F, "Ethi"),
    (0x1780, 0x17FF, "Khmr"),
    (0x19E0, 0x19FF, "Khmr"),
    (0x1800, 0x18AF, "Mong"),
    (0x3041, 0x309F, "Kana"),
    (0x30A0, 0x30FF, "Kana"),
    (0x31F0, 0x31FF, "Kana"),
    (0xFF66, 0xFF9D, "Kana"),
    (0x3400, 0x4DBF, "Hani"),
    (0x4E00, 0x9FFF, "Hani"),
    (0xF900, 0xFAFF, "Hani"),
    (0x20000, 0x3134F, "Hani"),
    (0x3005, 0x3007, "Hani"),
    (0x3021, 0x3029, "Hani"),
    (0x3038, 0x303B, "Hani"),
)

# One character per script inside the translated string.
_IDS: dict[str, str] = {
    s: chr(0x41 + i) for i, s in enumerate(dict.fromkeys(r[2] for r in _RANGES))
}
_NAMES: dict[str, str] = {v: k for k, v in _IDS.items()}
_ID_SET = frozenset(_IDS.values())


def _build_table() -> list[str | None]:
    table: list[str | None] = [None] * 0x31350
    for first, last, script in _RANGES:
        sid = _IDS[script]
        for cp in range(first, last + 1):
            if chr(cp).isalpha() or script in ("Hani", "Kana") or cp in (0x0E31, 0x0E47):
                table[cp] = sid
            elif (chr(cp).isalnum() or _is_mark(cp)) and not chr(cp).isdigit():
                table[cp] = sid  # combining vowel signs of Indic/SE Asian scripts are letters here
    # The prolonged sound mark and iteration marks belong with kana.
    table[0x30FC] = table[0x309D] = table[0x309E] = _IDS["Kana"]
    table[0x30FB] = None  # katakana middle dot is punctuation
    return table


def _is_mark(cp: int) -> bool:
    import unicodedata

    return unicodedata.category(chr(cp)).startswith("M")


_TABLE = _build_table()

LETTERLESS = "letterless"

# Scripts used by one language (in Duta's table) or whose main language wins by default.
SCRIPT_LANGUAGE: dict[str, str] = {
    "Hang": "ko",
    "Kana": "ja",
    "Thai": "th",
    "Laoo": "lo",
    "Khmr": "km",
    "Mymr": "my",
    "Geor": "ka",
    "Armn": "hy",
    "Gujr": "gu",
    "Guru": "pa",
    "Orya": "or",
    "Taml": "ta",
    "Telu": "te",
    "Knda": "kn",
    "Mlym": "ml",
    "Sinh": "si",
    "Thaa": "dv",
    "Grek": "el",
    "Ethi": "am",
    "Tibt": "bo",
    "Mong": "mn-Mong",
}


def script_counts(text: str) -> dict[str, int]:
    """Count the letters of each script in ``text`` (ISO 15924 code -> count)."""
    ids = text.translate(_TABLE)
    if not ids:
        return {}
    return {_NAMES[c]: ids.count(c) for c in set(ids) if c in _ID_SET}


# One Han character or Hangul syllable carries about as much as a short Latin word: Chinese
# with identifiers left in English ("Django 文档", "布尔值(True或False)") is Chinese.
_LETTER_WEIGHT = {"Hani": 4, "Hang": 2}


def dominant_script(counts: dict[str, int]) -> str:
    """The script with most letters; kana wins over Han (Japanese mixes the two); "" if none."""
    if "Kana" in counts:
        return "Jpan"
    if len(counts) == 1:
        return next(iter(counts))
    if not counts:
        return ""
    if "Hang" in counts and counts["Hang"] >= counts.get("Hani", 0) / 2:
        return "Hang"
    return max(counts, key=_weight_of(counts))


def _weight_of(counts: dict[str, int]) -> Callable[[str], tuple[int, bool, str]]:
    """Sort key of a script: its weighted letters; on a tie a script other than Latin (Latin
    beside another script is mostly identifiers: "LogEntry对象"), then the code, so the answer
    never depends on the order of the dictionary (string hashing differs between processes)."""
    return lambda script: (counts[script] * _LETTER_WEIGHT.get(script, 1), script != "Latn", script)
