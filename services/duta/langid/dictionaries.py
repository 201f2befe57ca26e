"""Known words: the operating system's spelling dictionaries as evidence for a close language.

fastText and lingua read one Tagalog, Mongolian or Kazakh word by its letters; a dictionary
says whether the word *is* one of the language's. Debian's hunspell packages hold word lists
written by people for spell checking, from no source the evaluation sets use (``myspell-tl``,
``hunspell-mn``, ``hunspell-kk``; their rivals ``hunspell-ru``, ``-uk``, ``-bg``, ``-en-us``).
They are read where the system installed them (``make system-deps`` does), never copied into
this repository (their licences are GPL-2+, LPPL, MPL...: Duta is Apache-2.0); without them the
detector runs as before.

A text's words are looked up in every dictionary of its script (stems as the ``.dic`` file
lists them, lower-cased); the language whose dictionary knows strictly more of them than any
other's, if it is one of :data:`VOTERS`, gets the difference as marker-word votes
(:func:`duta.langid.lexicon.word_votes`). The other dictionaries only veto: a Russian or English
word known to the Mongolian or Tagalog list as well gives no vote. Only texts of at most
:data:`MAX_WORDS` words are looked up (the gap to lingua is on words and pairs; sentences are
fastText's). Each list is held as a sorted array of the words' hashes (8 bytes a word: ≈ 10 MB
for the 1.3 M words of all seven), built on the first text of its script.
"""

from __future__ import annotations

import os
import threading
from array import array
from bisect import bisect_left
from pathlib import Path

__all__ = ["DICTIONARIES", "MAX_WORDS", "VOTERS", "known_votes", "search_dirs"]

# Per script: Duta code -> hunspell dictionary name (``<name>.dic``).
DICTIONARIES: dict[str, dict[str, str]] = {
    "Latn": {"fil": "tl", "en": "en_US"},
    "Cyrl": {"mn": "mn_MN", "kk": "kk_KZ", "ru": "ru_RU", "uk": "uk_UA", "bg": "bg_BG"},
}
# The languages a dictionary may vote for; the others' lists only veto.
VOTERS = frozenset({"fil", "mn", "kk"})
MAX_WORDS = 3
# The letters each voter writes: a text with another letter gets no vote (Ənənəvi Çin dili is
# Azerbaijani whatever the Tagalog list says of "dili"; Tatar's җ, Kyrgyz's ң are not Mongolian).
_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя-"
ALPHABETS: dict[str, frozenset[str]] = {
    "fil": frozenset("abcdefghijklmnopqrstuvwxyzñ'-"),
    "mn": frozenset(_CYRILLIC + "өү"),
    "kk": frozenset(_CYRILLIC + "әғқңөұүһі"),
}
# Letters a voter needs in the text: Kazakh's own і ғ қ ұ, which Tatar and Kyrgyz (no list
# here, and much shared vocabulary) do not write (dev.tsv: Үзгәртү тарихы, турасыз бул were
# Kazakh for its list).
NEEDED: dict[str, frozenset[str]] = {"kk": frozenset("іғқұ")}
_ENV = "DUTA_HUNSPELL_DIRS"
_DEFAULT_DIRS = ("/usr/share/hunspell", "/usr/share/myspell")


def search_dirs() -> list[Path]:
    """Where ``.dic`` files are looked for: ``$DUTA_HUNSPELL_DIRS`` (``:``-separated), else
    the system's hunspell and myspell folders."""
    value = os.environ.get(_ENV)
    return [Path(p) for p in (value.split(os.pathsep) if value else _DEFAULT_DIRS) if p]


class _Words:
    """A word list as a sorted array of the words' hashes (process-salted; built each run)."""

    __slots__ = ("_hashes", "_size")

    def __init__(self, words: set[int]) -> None:
        self._hashes = array("q", sorted(words))
        self._size = len(self._hashes)

    def __contains__(self, word: str) -> bool:
        key = hash(word)
        i = bisect_left(self._hashes, key)
        return i < self._size and self._hashes[i] == key

    def __len__(self) -> int:
        return self._size


def _read(path: Path) -> _Words:
    """A ``.dic`` file's stems (the first line is the count; ``/`` starts the affix flags)."""
    hashes: set[int] = set()
    with path.open(encoding="utf-8", errors="replace") as lines:
        next(lines, None)
        for line in lines:
            word = line.split("/", 1)[0].strip().lower()
            if word and not word.startswith("#"):
                hashes.add(hash(word))
    return _Words(hashes)


def _find(name: str) -> Path | None:
    for folder in search_dirs():
        path = folder / f"{name}.dic"
        if path.is_file():
            return path
    return None


_loaded: dict[str, dict[str, _Words]] = {}
_lock = threading.Lock()


def _script_words(script: str) -> dict[str, _Words]:
    words = _loaded.get(script)
    if words is None:
        with _lock:
            words = _loaded.get(script)
            if words is None:
                words = {}
                for code, name in DICTIONARIES.get(script, {}).items():
                    path = _find(name)
                    if path is not None:
                        words[code] = _read(path)
                if not VOTERS & words.keys():
                    words = {}  # rivals alone vote for no one
                _loaded[script] = words
    return words


def known_votes(tokens: list[str], script: str) -> dict[str, int]:
    """Votes for the :data:`VOTERS` language whose dictionary knows strictly the most of the
    (lower-case) ``tokens``: that many more than the next dictionary of the script."""
    if not tokens or len(tokens) > MAX_WORDS or script not in DICTIONARIES:
        return {}
    words = _script_words(script)
    if not words:
        return {}
    best, second, winner = 0, 0, ""
    for code, known in words.items():
        n = sum(1 for token in tokens if token in known)
        if n > best:
            best, second, winner = n, best, code
        elif n > second:
            second = n
    if best <= second or winner not in VOTERS:
        return {}
    letters = "".join(tokens)
    if not ALPHABETS[winner].issuperset(letters):
        return {}
    needed = NEEDED.get(winner)
    if needed is not None and needed.isdisjoint(letters):
        return {}
    return {winner: best - second}
