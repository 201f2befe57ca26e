"""Known words: spelling dictionaries and word lists as evidence for a close language.

fastText and lingua read one Tagalog, Mongolian, Marathi or Urdu word by its letters; a word
list says whether the word *is* one of the language's. Debian's spelling dictionaries hold
lists written by people for spell checking, from no source the evaluation sets use
(``myspell-tl``, ``hunspell-mn``, ``hunspell-kk``, ``aspell-mr``, ``hunspell-ne``, ``-hi``, and
as rivals ``hunspell-ru``, ``-uk``, ``-bg``, ``-en-us``, ``-es``, ``-ar``, ``aspell-fa``). They
are read where the system installed them (``make system-deps`` does), never copied into this
repository (GPL-2+, LGPL, MPL, LPPL...: Duta is Apache-2.0); Urdu, which Debian has no list
for, is read from ``data/ur_wordfreq.dic.gz`` (wordfreq's ranks the evaluation sets do not
draw from, CC-BY-SA 4.0: ``tests/data/langid/build_lexicons.py``). A script whose lists are
not all there gets no votes (the detector then runs as before).

A text's words are looked up in every list of its script (stems as a ``.dic`` file lists
them, lower-cased, NFC); the language whose list knows strictly more of them than any other's,
if it is one of :data:`VOTERS` and the text has its letters (:data:`ALPHABETS`,
:data:`NEEDED`), gets the difference as marker-word votes
(:func:`duta.langid.lexicon.word_votes`). The other lists only veto: a Russian, Spanish or
Persian word the Mongolian, Tagalog or Urdu list holds too gives no vote. Only texts of at most
:data:`MAX_WORDS` words are looked up (the gap to lingua is on words and pairs; sentences are
fastText's). A script's lists are one sorted array of the words' hashes with a byte of
language bits beside each (9 bytes a word; ≈ 2 M words in all), built on the first text of
that script.
"""

from __future__ import annotations

import gzip
import heapq
import logging
import os
import re
import threading
import unicodedata
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

__all__ = ["DICTIONARIES", "MAX_WORDS", "VOTERS", "forget", "known_votes", "search_dirs"]

# Per script: Duta code -> list name (``<name>.dic``, ``<name>.dic.gz`` or aspell's
# ``<name>.cwl.gz``).
DICTIONARIES: dict[str, dict[str, str]] = {
    "Latn": {"fil": "tl", "en": "en_US", "es": "es_ES", "tr": "tr_TR"},
    "Cyrl": {"mn": "mn_MN", "kk": "kk_KZ", "ru": "ru_RU", "uk": "uk_UA", "bg": "bg_BG"},
    "Deva": {"mr": "mr", "ne": "ne_NP", "hi": "hi_IN"},
    "Arab": {"ur": "ur_wordfreq", "fa": "fa-common", "ar": "ar"},
}
# The languages a dictionary may vote for; the others' lists only veto.
VOTERS = frozenset({"fil", "mn", "kk", "mr", "ne", "hi", "ur", "tr"})
MAX_WORDS = 3
# Marker-word votes a known word is worth (:func:`duta.langid.lexicon.word_votes` caps a
# language at 4: x81): 4 for the spell-checking lists of Tagalog, Mongolian and Kazakh (dev.tsv:
# 3 -> 4 gives Tagalog +5.7, Mongolian +2.9 points, nothing lost), 3 for the others (Urdu's
# wordfreq list holds Arabic and Kurdish words of Urdu web text, قالوا; Devanagari's lists hold
# Sanskrit's: at 4, Arabic, Kurdish, Sanskrit -1 text each).
_STRENGTH = {"fil": 4, "mn": 4, "kk": 4}
_DEFAULT_STRENGTH = 3
# The letters each voter writes: a text with another letter gets no vote (Ənənəvi Çin dili is
# Azerbaijani whatever the Tagalog list says of "dili"; Tatar's җ, Kyrgyz's ң are not Mongolian).
_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя-"
ALPHABETS: dict[str, frozenset[str]] = {
    "fil": frozenset("abcdefghijklmnopqrstuvwxyzñ'-"),
    "tr": frozenset("abcçdefgğhıijklmnoöprsştuüvyzâîû'-"),
    "mn": frozenset(_CYRILLIC + "өү"),
    "kk": frozenset(_CYRILLIC + "әғқңөұүһі"),
}
# Letters a voter needs in the text: Kazakh's own і ғ қ ұ, which Tatar and Kyrgyz (no list
# here, and much shared vocabulary) do not write (dev.tsv: Үзгәртү тарихы, турасыз бул were
# Kazakh for its list).
NEEDED: dict[str, frozenset[str]] = {
    "kk": frozenset("іғқұ"),
    "ne": frozenset(chr(c) for c in range(0x093E, 0x094E)),
}
# Sanskrit (no list here) in Devanagari: a visarga, an avagraha, or a word ending in an
# anusvara right after a consonant (बलं; Hindi writes it after a vowel sign: में, यहां). dev.tsv:
# in 67 of 107 Sanskrit texts, 1 of 210 Hindi, 2 of 210 Marathi, no Nepali one.
_SANSKRIT = re.compile("[\u0903\u093d]|[\u0915-\u0939\u0958-\u095f]\u0902(?![\u0900-\u097f])")
# Uzbek's sh, ch (Turkish writes ş, ç), which has no Latin list here: Elektron pochta manzili
# was Turkish for its list.
_UZBEK = re.compile("[sc]h")
_ENV = "DUTA_HUNSPELL_DIRS"
# Lists shipped with Duta (built by tests/data/langid/build_lexicons.py), looked in first.
_SHIPPED = Path(__file__).parent / "data"
_DEFAULT_DIRS = ("/usr/share/hunspell", "/usr/share/myspell", "/usr/share/aspell")


def search_dirs() -> list[Path]:
    """Where ``.dic`` files are looked for: ``$DUTA_HUNSPELL_DIRS`` (``:``-separated), else
    the system's hunspell and myspell folders."""
    value = os.environ.get(_ENV)
    return [Path(p) for p in (value.split(os.pathsep) if value else _DEFAULT_DIRS) if p]


class _Lexicon:
    """The word lists of one script as one sorted array of the words' hashes (process-salted,
    built each run) and, beside it, a bit mask of the languages whose list holds the word: one
    binary search a word, whatever the number of lists."""

    __slots__ = ("_codes", "_hashes", "_masks", "_size")

    def __init__(self, lists: dict[str, array[int]]) -> None:
        self._codes = tuple(lists)
        # A streaming merge of the sorted lists (a dict of every word would take ≈ 100 MB).
        runs = [_tagged(lists[code], 1 << bit) for bit, code in enumerate(self._codes)]
        hashes, masks = array("q"), array("B")
        for key, bit in heapq.merge(*runs):
            if hashes and hashes[-1] == key:
                masks[-1] |= bit
            else:
                hashes.append(key)
                masks.append(bit)
        self._hashes, self._masks, self._size = hashes, masks, len(hashes)

    @property
    def codes(self) -> tuple[str, ...]:
        return self._codes

    def masks(self, tokens: list[str]) -> list[int]:
        """Per token, the bit mask of the lists that hold it (bit i: ``codes[i]``)."""
        out = []
        hashes, size = self._hashes, self._size
        for token in tokens:
            key = hash(token)
            i = bisect_left(hashes, key)
            out.append(self._masks[i] if i < size and hashes[i] == key else 0)
        return out


def _tagged(keys: array[int], bit: int) -> Iterator[tuple[int, int]]:
    return ((key, bit) for key in keys)


def _read(path: Path) -> array[int]:
    """A word list's hashes, sorted: a hunspell ``.dic`` file's stems (the first line is the
    count; ``/`` starts the affix flags) or an aspell ``.cwl.gz`` list (:func:`_aspell_words`).
    Words are lower-cased and NFC-normalised, as :mod:`duta.langid` reads text."""
    hashes: set[int] = set()
    lines: Iterable[str] = (
        _aspell_words(path) if path.name.endswith(".cwl.gz") else _dic_words(path)
    )
    for line in lines:
        word = line.split("/", 1)[0].strip().lower()
        if word and not word.startswith("#"):
            hashes.add(hash(word if word.isascii() else unicodedata.normalize("NFC", word)))
    return array("q", sorted(hashes))


def _dic_words(path: Path) -> Iterator[str]:
    opened = gzip.open if path.suffix == ".gz" else open
    with opened(path, "rt", encoding="utf-8", errors="replace") as lines:
        next(lines, None)
        yield from lines


def _aspell_words(path: Path) -> list[str]:
    """The words of an aspell ``.cwl.gz`` list (Debian's aspell-mr): gzip over aspell's
    ``prezip`` prefix compression: ``0x02``, then per word the number of bytes it shares with
    the word before (``0x00``-``0x1D``, or ``0x1E``, ``0xFF`` * n, one byte: 30 + 255 n + it)
    and its other bytes (``0x20``-``0xFF``), ended by ``0x1F 0xFF``."""
    data = gzip.decompress(path.read_bytes())
    if data[:1] != b"\x02":
        return []
    words: list[str] = []
    previous, i, size = b"", 1, len(data)
    while i < size and data[i] != 0x1F:
        shared = data[i]
        i += 1
        if shared == 0x1E:
            while data[i] == 0xFF:
                shared += 255
                i += 1
            shared += data[i]
            i += 1
        start = i
        while i < size and data[i] >= 0x20:
            i += 1
        previous = previous[:shared] + data[start:i]
        if previous:  # the list ends with an empty entry before 0x1F 0xFF
            words.append(previous.decode("utf-8", errors="replace"))
    return words


def _find(name: str) -> Path | None:
    for folder in (_SHIPPED, *search_dirs()):
        for path in (folder / f"{name}.dic", folder / f"{name}.dic.gz", folder / f"{name}.cwl.gz"):
            if path.is_file():
                return path
    return None


_loaded: dict[str, _Lexicon | None] = {}
_lock = threading.Lock()


def _lexicon(script: str) -> _Lexicon | None:
    """The script's lists, read on first use; ``None`` without a voter's list."""
    if script in _loaded:
        return _loaded[script]
    with _lock:
        if script not in _loaded:
            paths = {code: _find(name) for code, name in DICTIONARIES.get(script, {}).items()}
            found = {code: path for code, path in paths.items() if path is not None}
            # All of a script's lists or none: a voter without its rivals' vetoes would vote
            # for their words too.
            if paths and len(found) == len(paths):
                _loaded[script] = _Lexicon({code: _read(path) for code, path in found.items()})
            else:
                if found:
                    missing = sorted(DICTIONARIES[script][c] for c in paths.keys() - found.keys())
                    logger.info("%s word lists not used: %s missing", script, ", ".join(missing))
                _loaded[script] = None
    return _loaded[script]


def known_votes(tokens: list[str], script: str) -> dict[str, int]:
    """Votes for the :data:`VOTERS` language whose dictionary knows strictly the most of the
    (lower-case) ``tokens``: that many more than the next dictionary of the script."""
    if not tokens or len(tokens) > MAX_WORDS or script not in DICTIONARIES:
        return {}
    lexicon = _lexicon(script)
    if lexicon is None:
        return {}
    masks = lexicon.masks(tokens)
    if not any(masks):
        return {}
    best, second, winner = 0, 0, ""
    for bit, code in enumerate(lexicon.codes):
        n = sum(1 for mask in masks if mask >> bit & 1)
        if n > best:
            best, second, winner = n, best, code
        elif n > second:
            second = n
    if best <= second or winner not in VOTERS:
        return {}
    letters = "".join(tokens)
    alphabet = ALPHABETS.get(winner)
    if alphabet is not None and not alphabet.issuperset(letters):
        return {}
    if script == "Deva" and _SANSKRIT.search(" ".join(tokens)):
        return {}
    if winner == "tr" and _UZBEK.search(" ".join(tokens)):
        return {}
    needed = NEEDED.get(winner)
    if needed is not None and needed.isdisjoint(letters):
        return {}
    return {winner: (best - second) * _STRENGTH.get(winner, _DEFAULT_STRENGTH)}


def forget() -> None:
    """Drop the lists read so far (the next text reads :func:`search_dirs` again)."""
    with _lock:
        _loaded.clear()
