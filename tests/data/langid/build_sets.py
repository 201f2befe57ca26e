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
import unicodedata
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


DJANGO = {"zh": "zh_Hans"}
_UNSPACED = {"zh", "ja", "th"}
_PLACEHOLDER = re.compile(r"%\([^)]*\)[sdrf]|%[sdrf]|\{[^}]*\}|<[^>]+>|&[a-z]+;")
_MSG = re.compile(r'^(msgid|msgstr(?:\[0\])?) "(.*)"$|^"(.*)"$')


def django_messages(root: Path, lang: str) -> list[str]:
    """Translated messages of Django and its contrib apps, placeholders and markup removed."""
    out: list[str] = []
    pattern = f"**/locale/{DJANGO.get(lang, lang)}/LC_MESSAGES/*.po"
    for path in sorted(root.glob(pattern)):
        msgid, msgstr, key = "", "", ""
        for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
            m = _MSG.match(line)
            if m and m.group(1):
                if m.group(1) == "msgid":
                    out.append(_clean(msgstr) if msgid and msgstr != msgid else "")
                    msgid, msgstr = "", ""
                key = m.group(1)
                text = m.group(2)
            elif m:
                text = m.group(3)
            else:
                key, text = "", ""
            text = text.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
            if key == "msgid":
                msgid += text
            elif key in ("msgstr", "msgstr[0]"):
                msgstr += text
        out.append(_clean(msgstr) if msgid and msgstr != msgid else "")
    return [m for m in dict.fromkeys(out) if _LETTERS.search(m)]


def _clean(text: str) -> str:
    return " ".join(_PLACEHOLDER.sub(" ", text).replace("\t", " ").split())


def _tokens(sentence: str, lang: str) -> list[str]:
    """Whitespace tokens with edge punctuation removed: all-letter tokens of 2+ characters
    (not ASCII for languages not written in Latin letters), else ``""``."""
    out = []
    for raw in sentence.split():
        tok = raw.strip("".join(c for c in set(raw) if unicodedata.category(c)[0] in "PS"))
        letters = all(unicodedata.category(c)[0] in "LM" for c in tok)
        if len(tok) > 1 and letters and (lang in _LATIN or not tok.isascii()):
            out.append(tok)
        else:
            out.append("")
    return out


def sentence_rows(lang: str, messages: list[str], source: str, rng: random.Random) -> dict:
    """Sentences (3+ words), and single words and adjacent word pairs cut from all messages."""
    classes: dict[str, list[str]] = {"sentence": [], "word": [], "pair": []}
    for msg in messages:
        toks = _tokens(msg, lang)
        long = len(msg) >= 8 if lang in _UNSPACED else len(msg.split()) >= 3
        if long:
            classes["sentence"].append(msg)
        if lang in _UNSPACED:
            continue
        classes["word"] += [t for t in toks if t]
        classes["pair"] += [f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False) if a and b]
    out: dict[str, list[tuple[str, str, str, str]]] = {"dev": [], "heldout": []}
    for cls, items in classes.items():
        items = list(dict.fromkeys(items))
        rng.shuffle(items)
        for half in out:
            mine = [t for t in items if bucket(t) == half][:100]
            out[half] += [(lang, cls, source, t) for t in mine]
    return out


def faker_words(root: Path) -> list[str]:
    """Faker's Filipino word list (from a list of the 1,000 most common Filipino words)."""
    path = root / "faker" / "providers" / "lorem" / "fil_PH" / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "word_list":
            return list(ast.literal_eval(node.value))
    return []


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
    if args.django:
        _add_real_text(args, out)
    return out


def _add_real_text(args: argparse.Namespace, out: dict[str, list]) -> None:
    rng = random.Random(20261129)
    for lang in LANGS:
        rows = sentence_rows(lang, django_messages(args.django, lang), "django", rng)
        for half in out:
            out[half] += rows[half]
    if args.faker:
        words = faker_words(args.faker)
        rng.shuffle(words)
        for half in out:
            mine = [w for w in words if bucket(w) == half][:150]
            out[half] += [("tl", "word", "faker", w) for w in mine[:100]]
            pairs = [" ".join(rng.sample(mine, 2)) for _ in range(100)]
            out[half] += [("tl", "pair", "faker", p) for p in pairs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wordfreq", type=Path, help="unpacked wordfreq wheel")
    parser.add_argument("--spacy", type=Path, help="unpacked spacy wheel")
    parser.add_argument("--babel", action="store_true", help="use CLDR data from Babel")
    parser.add_argument("--django", type=Path, help="unpacked Django wheel (translated messages)")
    parser.add_argument("--faker", type=Path, help="unpacked Faker wheel (Filipino word list)")
    args = parser.parse_args()
    for half, rows in build(args).items():
        with open(HERE / f"{half}.tsv", "w", encoding="utf-8") as f:
            f.write("# language\tclass\tsource\ttext\n")
            for row in rows:
                f.write("\t".join(row) + "\n")
        print(half, len(rows))


if __name__ == "__main__":
    main()
