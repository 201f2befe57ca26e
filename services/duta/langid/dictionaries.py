"""Known words: spelling dictionaries and word lists as evidence for a close language.

fastText and lingua read one Tagalog, Mongolian, Marathi or Urdu word by its letters; a word
list says whether the word *is* one of the language's. Debian's spelling dictionaries hold
lists written by people for spell checking, from no source the evaluation sets use
(``myspell-tl``, ``hunspell-tr``, ``-mn``, ``-kk``, ``aspell-mr``, ``hunspell-ne``, ``-hi``,
and as rivals ``hunspell-ru``, ``-uk``, ``-bg``, ``-en-us``, ``-es``, ``-ar``, ``aspell-fa``). They
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
language bits beside each (9 bytes a word; ≈ 2 M words in all), read when a
:class:`~duta.langid.Detector` is made (:func:`preload`), or else on the first text of that
script.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import threading
import unicodedata
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from duta.common import heap

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
# Texts of more words are not looked up (dev.tsv, 5: Nepali +3.8, Hindi, Kyrgyz, Kurdish -0.5).
MAX_WORDS = 3
# Marker-word votes a known word is worth (:func:`duta.langid.lexicon.word_votes` caps a
# language at 4: x81): 4 for the spell-checking lists of Tagalog, Mongolian and Kazakh
# (dev.tsv: 3 -> 4 gives Tagalog +5.7, Mongolian +2.9 points, Malay and Turkish -1 text), 3
# for the others (Urdu's wordfreq list holds Arabic and Kurdish words of Urdu web text, قالوا;
# Devanagari's lists hold Sanskrit's: at 4, Arabic, Kurdish, Sanskrit -1 text each).
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
# Kazakh for its list); for Nepali a vowel sign or virama (its list holds bare consonant words
# Hindi writes too: गजब, खत; on wordfreq's Hindi words of rank 4,000-12,000, Hindi fell 25.5 ->
# 22.2 % without this).
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
    """Where the lists are looked for after Duta's own ``data`` folder: ``$DUTA_HUNSPELL_DIRS``
    (``:``-separated), else the system's hunspell, myspell and aspell folders."""
    value = os.environ.get(_ENV)
    return [Path(p) for p in (value.split(os.pathsep) if value else _DEFAULT_DIRS) if p]


# Reading a list (see _read): comment lines, a line's flags or morphology, and the pieces
# read at a time.
_COMMENTS = re.compile("^#.*$", re.MULTILINE)
_FLAGS = re.compile("[/\t \r].*")
_CHUNK_CHARS = 200_000
_CHUNK_WORDS = 20_000
_NONE = np.zeros(0, dtype=np.int64)
# Hashes are signed 64-bit: the top bits, shifted to 0.._BUCKETS-1, pick a bucket.
_BUCKET_BITS = 16
_BUCKETS = 1 << _BUCKET_BITS
_SHIFT = 64 - _BUCKET_BITS
_OFFSET = _BUCKETS // 2


class _Lexicon:
    """The word lists of one script as one sorted array of the words' hashes (process-salted,
    built each run) and, beside it, a bit mask of the languages whose list holds the word: one
    binary search a word, whatever the number of lists, within the slice of hashes that share
    its top :data:`_BUCKET_BITS` bits (≈ 5 comparisons instead of 21: bisect on an array boxes
    every value it compares)."""

    __slots__ = ("_codes", "_hashes", "_masks", "_starts", "code_of", "voters")

    def __init__(self, lists: dict[str, np.ndarray]) -> None:
        self._codes = tuple(lists)
        self.code_of = {1 << bit: code for bit, code in enumerate(self._codes)}
        self.voters = sum(bit for bit, code in self.code_of.items() if code in VOTERS)
        # Every list's hashes with its bit, sorted; equal hashes' bits or-ed together.
        keys = np.concatenate([lists[code] for code in self._codes])
        bits = np.concatenate(
            [np.full(len(lists[code]), 1 << i, np.uint8) for i, code in enumerate(self._codes)]
        )
        order = np.argsort(keys, kind="stable")
        keys, bits = keys[order], bits[order]
        first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        unique = keys[first]
        self._hashes = array("q", unique.tobytes())
        self._masks = array("B", np.bitwise_or.reduceat(bits, first).tobytes())
        # _starts[b]: the index of the first hash in bucket b or later (b = top bits + offset).
        buckets = (unique >> _SHIFT) + _OFFSET
        counts = np.bincount(buckets, minlength=_BUCKETS)
        self._starts = array(
            "q", np.concatenate(([0], np.cumsum(counts))).astype(np.int64).tobytes()
        )

    @property
    def codes(self) -> tuple[str, ...]:
        return self._codes

    def masks(self, tokens: list[str]) -> list[int]:
        """Per token, the bit mask of the lists that hold it (bit i: ``codes[i]``)."""
        out = []
        hashes, starts = self._hashes, self._starts
        for token in tokens:
            key = hash(token)
            b = (key >> _SHIFT) + _OFFSET
            end = starts[b + 1]
            i = bisect_left(hashes, key, starts[b], end)
            out.append(self._masks[i] if i < end and hashes[i] == key else 0)
        return out


def _read(path: Path) -> np.ndarray:
    """A word list's hashes, unique and sorted: a hunspell ``.dic`` file's stems (the first
    line is the count; ``/`` starts the affix flags; plain or gzip) or an aspell ``.cwl.gz``
    list (:func:`_aspell_words`). Words are lower-cased and NFC-normalised, as
    :mod:`duta.langid` reads text."""
    if path.name.endswith(".cwl.gz"):
        words = _aspell_words(path)
        chunks: Iterable[str] = (
            "\n".join(words[i : i + _CHUNK_WORDS]) for i in range(0, len(words), _CHUNK_WORDS)
        )
    else:
        raw = path.read_bytes()
        raw = gzip.decompress(raw) if path.suffix == ".gz" else raw
        chunks = _chunks(raw.decode("utf-8", errors="replace").split("\n", 1)[-1])
    hashes = np.unique(np.concatenate([_hashes(chunk) for chunk in chunks] or [_NONE]))
    return hashes


def _chunks(text: str) -> Iterator[str]:
    """``text`` in pieces of about _CHUNK_CHARS characters, cut at line ends (a few thousand
    words at a time: the strings of a whole list at once took ≈ 80 MB, not all given back)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + _CHUNK_CHARS)
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end + 1


def _hashes(chunk: str) -> np.ndarray:
    """The hashes of a piece of a list's lines: comment lines out, then everything from a
    line's first "/", tab or space (flags, morphology); bulk operations, ≈ 4 times faster than
    a Python loop over the lines."""
    if not chunk.isascii():
        chunk = unicodedata.normalize("NFC", chunk)
    words = _FLAGS.sub("", _COMMENTS.sub("", chunk.lower())).split("\n")
    return np.fromiter((hash(w) for w in words if w), dtype=np.int64)


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
                # Reading frees ≈ 50 MB of temporaries glibc would keep (RSS 118 -> 52 MB
                # for all four scripts' lists alone).
                heap.release()
            else:
                if found:
                    missing = sorted(DICTIONARIES[script][c] for c in paths.keys() - found.keys())
                    logger.info("%s word lists not used: %s missing", script, ", ".join(missing))
                _loaded[script] = None
    return _loaded[script]


def preload() -> None:
    """Reads every script's lists now, so that no request pays for it: on first use a
    script's lists take 0.2 s (Devanagari) to 1.2 s (Cyrillic) to read."""
    for script in DICTIONARIES:
        _lexicon(script)


def known_votes(tokens: list[str], script: str) -> dict[str, int]:
    """Votes for the :data:`VOTERS` language whose list knows strictly the most of the
    (lower-case) ``tokens``: that many more than the next list of the script, times its
    :data:`_STRENGTH`."""
    if not tokens or len(tokens) > MAX_WORDS:
        return {}
    if script in _loaded:
        lexicon = _loaded[script]
    elif script in DICTIONARIES:
        lexicon = _lexicon(script)
    else:
        return {}
    if lexicon is None:
        return {}
    masks = lexicon.masks(tokens)
    union = 0
    for mask in masks:
        union |= mask
    if not union & lexicon.voters:
        return {}  # most texts: no voter's list knows a word
    if len(masks) == 1:  # one word: known to one list alone, or a tie
        best, second, top = 1, 0, masks[0]
        if top & (top - 1):
            return {}
    else:
        best, second, top = _ranked(masks)
        if not top & lexicon.voters:
            return {}
    winner = lexicon.code_of[top]
    if not _letters_allow(winner, tokens, script):
        return {}
    return {winner: (best - second) * _STRENGTH.get(winner, _DEFAULT_STRENGTH)}


def _ranked(masks: list[int]) -> tuple[int, int, int]:
    """The most words a list knows, the next list's count, and the first list's bit (0 for a
    tie)."""
    counts: dict[int, int] = {}
    for mask in masks:
        while mask:
            bit = mask & -mask
            counts[bit] = counts.get(bit, 0) + 1
            mask ^= bit
    best = max(counts.values())
    top = [bit for bit, n in counts.items() if n == best]
    second = max([n for bit, n in counts.items() if bit != top[0]], default=0)
    return best, second, top[0] if len(top) == 1 else 0


def _letters_allow(winner: str, tokens: list[str], script: str) -> bool:
    """Whether the text's letters leave the voter possible (:data:`ALPHABETS`, :data:`NEEDED`,
    no Sanskrit mark in Devanagari, no Uzbek digraph for Turkish)."""
    letters = "".join(tokens)
    alphabet = ALPHABETS.get(winner)
    if alphabet is not None and not alphabet.issuperset(letters):
        return False
    needed = NEEDED.get(winner)
    if needed is not None and needed.isdisjoint(letters):
        return False
    if script == "Deva" and _SANSKRIT.search(" ".join(tokens)):
        return False
    return not (winner == "tr" and _UZBEK.search(" ".join(tokens)))


def forget() -> None:
    """Drop the lists read so far (the next text reads :func:`search_dirs` again)."""
    with _lock:
        _loaded.clear()
