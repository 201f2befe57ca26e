"""Build the word lists Duta ships for language ID from wordfreq, away from the evaluation sets.

The evaluation sets (``build_sets.py``) draw wordfreq's words of rank 150-4,000; a throw-away
probe used ranks 4,000-12,000. A list built here takes only ranks below 150 (function words,
which the sets never draw from wordfreq) and from 12,000 on, so no text the sets took from
wordfreq is in it; texts of other sources (Django, CLDR) can be, as words of the language
(measured in README.md, asserted by ``tests/unit/test_langid_lexicons.py``). Run with the
wordfreq wheel unpacked as for ``build_sets.py``:

    python tests/data/langid/build_lexicons.py U    # needs msgpack

Writes ``services/duta/langid/data/<lang>_wordfreq.dic.gz``: hunspell's ``.dic`` layout (the
word count, then one word a line), gzip-compressed, read by :mod:`duta.langid.dictionaries`.
wordfreq's data is CC-BY-SA 4.0, and so are these lists (see that folder's README.md).
"""

from __future__ import annotations

import argparse
import gzip
import re
from pathlib import Path

import msgpack

# Languages shipped (and the letters of their script), and the rank ranges kept:
# [0, FUNCTION_WORDS) and [FROM_RANK, end).
LANGUAGES = {"ur": re.compile("[\u0600-\u06ff\u0750-\u077f\u200c\u200d]+")}
FUNCTION_WORDS = 150
FROM_RANK = 12_000
OUT = Path(__file__).resolve().parents[3] / "services" / "duta" / "langid" / "data"


def ranked(path: Path) -> list[str]:
    """wordfreq's words of one list in rank order, indexed as ``build_sets.py`` does (its
    cBpack: a header, then one list of words per centibel of frequency, most frequent first)."""
    with gzip.open(path) as f:
        return [w for band in msgpack.unpackb(f.read(), raw=False)[1:] for w in band]


def kept(words: list[str], script: re.Pattern[str]) -> list[str]:
    """Ranks below FUNCTION_WORDS and from FROM_RANK on, less any word that also stands at a
    rank between (a word listed twice), and words written in the language's script only (the
    list is read for text of that script; wordfreq's Urdu list holds English words too)."""
    between = set(words[FUNCTION_WORDS:FROM_RANK])
    return sorted(
        {
            w
            for w in words[:FUNCTION_WORDS] + words[FROM_RANK:]
            if w not in between and script.fullmatch(w)
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("unpacked", type=Path, help="folder with the unpacked wordfreq wheel")
    args = parser.parse_args()
    data = args.unpacked / "wordfreq" / "wordfreq" / "data"
    for lang, script in LANGUAGES.items():
        words = kept(ranked(data / f"small_{lang}.msgpack.gz"), script)
        text = f"{len(words)}\n" + "".join(f"{w}\n" for w in words)
        target = OUT / f"{lang}_wordfreq.dic.gz"
        # mtime=0: the same bytes on every run.
        with gzip.GzipFile(target, "wb", mtime=0) as out:
            out.write(text.encode("utf-8"))
        print(f"{target}: {len(words)} words")


if __name__ == "__main__":
    main()
