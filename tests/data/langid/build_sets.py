"""Build the language-ID development and held-out sets from openly-licensed package data.

Run once, offline, with the unpacked wheels (see README.md in this folder):

    python tests/data/langid/build_sets.py --wordfreq DIR --spacy DIR --babel

Every item goes to ``dev.tsv`` or ``heldout.tsv`` by a hash of its text, so the two halves
are disjoint and drawn from the same sources. Only ``dev.tsv`` may be looked at while tuning.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import random
import re
from pathlib import Path

LANGS = "zh ja ko vi th id ms tl hi bn mr ta te ur gu pa fa ar he tr kk mn az ka hy".split()  # noqa: SIM905
WORDFREQ = {"tl": "fil"}
HERE = Path(__file__).parent
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


def wordfreq_words(root: Path, lang: str) -> list[str]:
    import msgpack

    path = root / "wordfreq" / "data" / f"small_{WORDFREQ.get(lang, lang)}.msgpack.gz"
    if not path.exists():
        return []
    with gzip.open(path) as f:
        buckets = msgpack.unpackb(f.read(), raw=False)[1:]
    words: list[str] = []
    for bucket in buckets:
        words.extend(bucket)
    # Skip the ~150 most frequent tokens (punctuation, particles shared across languages),
    # keep words with at least one letter.
    return [w for w in words[150:4000] if _keep(w, lang)]


def _keep(word: str, lang: str) -> bool:
    if not _LETTERS.search(word):
        return False
    return word.isalpha() if lang in _LATIN else not word.isascii()


_LATIN = {"vi", "id", "ms", "tl", "tr", "az"}


def spacy_sentences(root: Path, lang: str) -> list[str]:
    path = root / "spacy" / "lang" / lang / "examples.py"
    if not path.exists():
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "sentences":
            return [s for s in ast.literal_eval(node.value) if isinstance(s, str)]
    return []


def cldr_words(lang: str) -> list[str]:
    from babel import Locale

    loc = Locale.parse({"tl": "fil"}.get(lang, lang))
    words = [*loc.months["format"]["wide"].values(), *loc.days["format"]["wide"].values()]
    words += list(loc.languages.values())[:150] + list(loc.territories.values())[:150]
    return [w for w in words if _LETTERS.search(w)]


def bucket(text: str) -> str:
    return "dev" if hashlib.sha1(text.encode()).digest()[0] % 2 == 0 else "heldout"


def build(args: argparse.Namespace) -> dict[str, list[tuple[str, str, str, str]]]:
    rng = random.Random(20261128)
    out: dict[str, list[tuple[str, str, str, str]]] = {"dev": [], "heldout": []}
    for lang in LANGS:
        words = wordfreq_words(args.wordfreq, lang) if args.wordfreq else []
        source = "wordfreq"
        if len(words) < 200 and args.babel:
            words, source = cldr_words(lang), "cldr"
        words = list(dict.fromkeys(words))
        rng.shuffle(words)
        for half in ("dev", "heldout"):
            mine = [w for w in words if bucket(w) == half][:150]
            for w in mine[:100]:
                out[half].append((lang, "word", source, w))
            for _ in range(100 if len(mine) > 10 else 0):
                sep = "" if lang in ("zh", "ja", "th") else " "
                out[half].append((lang, "pair", source, sep.join(rng.sample(mine, 2))))
            if lang == "zh":
                chars = [c for w in mine for c in w if "\u4e00" <= c <= "\u9fff"]
                for c in list(dict.fromkeys(chars))[:100]:
                    out[half].append((lang, "char", source, c))
        for s in spacy_sentences(args.spacy, lang) if args.spacy else []:
            out[bucket(s)].append(
                (lang, "sentence", "spacy", s.replace("\t", " ").replace("\n", " "))
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wordfreq", type=Path, help="unpacked wordfreq wheel")
    parser.add_argument("--spacy", type=Path, help="unpacked spacy wheel")
    parser.add_argument("--babel", action="store_true", help="use CLDR data from Babel")
    args = parser.parse_args()
    for half, rows in build(args).items():
        with open(HERE / f"{half}.tsv", "w", encoding="utf-8") as f:
            f.write("# language\tclass\tsource\ttext\n")
            for row in rows:
                f.write("\t".join(row) + "\n")
        print(half, len(rows))


if __name__ == "__main__":
    main()
