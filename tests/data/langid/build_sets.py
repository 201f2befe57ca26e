"""Build the language-ID development and held-out sets from openly licensed package data.

Run once, offline, with the wheels unpacked side by side (see README.md in this folder):

    pip download --no-deps -d W wordfreq==3.1.1 Django==5.2.19 babel==2.19.0 \\
        Faker==40.63.0 spacy==3.8.18
    for w in W/*.whl; do d=${w##*/}; mkdir -p U/${d%%-*}; (cd U/${d%%-*} && unzip -q ../../$w); done
    python tests/data/langid/build_sets.py U     # needs msgpack and babel==2.19.0

Every text goes to ``dev.tsv`` or ``heldout.tsv`` by a hash of the text, so the halves are
disjoint and drawn from the same sources. Only ``dev.tsv`` may be looked at while tuning.
Rows: ``language<TAB>class<TAB>source<TAB>text``; classes ``sentence`` (3+ words, or 8+
characters in unspaced scripts), ``pair`` (two adjacent words cut from a message, else two words
of a list), ``word``, and ``char`` (single Chinese characters).
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import random
import re
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path


def codes(text: str) -> list[str]:
    return text.split()


# lingua's 75 languages (its ISO 639-1 codes; Duta reads tl as fil and nb as no).
LINGUA = codes(
    "af ar az be bg bn bs ca cs cy da de el en eo es et eu fa fi fr ga gu he hi hr hu hy id "
    "is it ja ka kk ko la lg lt lv mi mk mn mr ms nb nl nn pa pl pt ro ru sk sl sn so sq sr "
    "st sv sw ta te th tl tn tr ts uk ur vi xh yo zh zu"
)
# Other languages lid.176 knows that the packages hold real text (or CLDR names) for.
EXTRA = codes(
    "am as ast bo br ceb ckb dv fy gd gl ht jv km kn ku ky lb lo mg ml mt my ne oc or ps sa "
    "sd si su tg tk tt ug uz yi"
)
LANGS = LINGUA + EXTRA
# The 25 languages of Asia Duta was first built for (the "Asian mean").
ASIAN = codes("zh ja ko vi th id ms tl hi bn mr ta te ur gu pa fa ar he tr kk mn az ka hy")

PER_CLASS = 70  # texts per language, class and half (at most)
CHARS = 100  # single Chinese characters per half
HERE = Path(__file__).parent
UNSPACED = {"zh", "ja", "th", "lo", "km", "my", "bo"}
DJANGO = {"zh": ("zh_Hans", "zh_Hant"), "nb": ("nb",), "pt": ("pt", "pt_BR")}
WORDFREQ = {"tl": "fil"}
CLDR = {"tl": "fil", "ku": "ku"}
SPACY = {"ku": "kmr"}
FAKER = {"ar": "ar_AA", "az": "az_AZ", "bn": "bn_BD", "cs": "cs_CZ", "da": "da_DK", "de": "de_DE",
         "el": "el_GR", "es": "es_ES", "fa": "fa_IR", "fr": "fr_FR", "he": "he_IL", "hy": "hy_AM",
         "it": "it_IT", "ja": "ja_JP", "mk": "mk_MK", "nl": "nl_NL", "pl": "pl_PL", "ru": "ru_RU",
         "th": "th_TH", "tl": "fil_PH", "uk": "uk_UA", "vi": "vi_VN", "zh": "zh_CN"}  # fmt: skip
_LETTER = re.compile(r"[^\W\d_]")
_PLACEHOLDER = re.compile(
    r"%\([^)]*\)[sdrfi]|%[sdrfi]|\{[^}]*\}|<[^>]+>|&[a-z]+;|\S+@\S+|\S+://\S+"
)
_MSG = re.compile(r'^(msgid|msgstr(?:\[0\])?) "(.*)"$|^"(.*)"$')


def bucket(text: str) -> str:
    """``dev`` or ``heldout``, by a hash of the text (the halves never share a text)."""
    return "dev" if hashlib.sha1(text.encode()).digest()[0] % 2 == 0 else "heldout"


def clean(text: str) -> str:
    return " ".join(_PLACEHOLDER.sub(" ", text).replace("\t", " ").split())


def _unescape(text: str) -> str:
    return text.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")


def po_pairs(path: Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) of one .po file, translated entries only, header dropped."""
    out: list[tuple[str, str]] = []
    msgid = msgstr = key = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), 'msgid ""']:
        m = _MSG.match(line)
        if m and m.group(1) == "msgid":
            if msgid and msgstr and msgstr != msgid:
                out.append((clean(msgid), clean(msgstr)))
            msgid = msgstr = ""
        if m:
            key = m.group(1) or key
            text = _unescape(m.group(2) if m.group(1) else m.group(3))
            if key == "msgid":
                msgid += text
            elif key in ("msgstr", "msgstr[0]"):
                msgstr += text
        else:
            key = ""
    return out


def django(root: Path, lang: str) -> list[tuple[str, str]]:
    """(English source, translation) of Django's messages; for English, the sources alone."""
    pairs: list[tuple[str, str]] = []
    for locale in DJANGO.get(lang, (lang if lang != "en" else "fr",)):
        for path in sorted((root / "django").glob(f"**/locale/{locale}/LC_MESSAGES/*.po")):
            pairs += po_pairs(path)
    if lang == "en":
        pairs = [(src, src) for src, _ in pairs]
    return list(dict.fromkeys(pairs))


def spacy_examples(root: Path, lang: str) -> list[str]:
    path = root / "spacy" / "spacy" / "lang" / SPACY.get(lang, lang) / "examples.py"
    if not path.exists():
        return []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "sentences":
            return [clean(s) for s in ast.literal_eval(node.value) if isinstance(s, str)]
    return []


def wordfreq(root: Path, lang: str) -> list[str]:
    """wordfreq's small list, ranks 150-4000 (the most frequent tokens are shared or symbols)."""
    import msgpack

    name = f"small_{WORDFREQ.get(lang, lang)}.msgpack.gz"
    path = root / "wordfreq" / "wordfreq" / "data" / name
    if not path.exists():
        return []
    with gzip.open(path) as f:
        buckets = msgpack.unpackb(f.read(), raw=False)[1:]
    words = [w for b in buckets for w in b][150:4000]
    return [w for w in words if _word_ok(w, lang)]


def cldr(lang: str) -> list[str]:
    """Month, weekday, language and territory names and relative dates from CLDR (Babel)."""
    from babel import Locale

    loc = Locale.parse(CLDR.get(lang, lang))
    names = [*loc.months["format"]["wide"].values(), *loc.days["format"]["wide"].values()]
    names += list(loc.languages.values())[:200] + list(loc.territories.values())[:200]
    for field in loc._data.get("date_fields", {}).values():
        names += [v for k, v in field.items() if isinstance(v, str) and k.startswith("relative")]
    english = Locale.parse("en")
    own = set(english.languages.values()) | set(english.territories.values())
    return [clean(n) for n in names if n not in own or lang == "en"]


def faker_words(root: Path, lang: str) -> list[str]:
    if lang not in FAKER:
        return []
    path = root / "faker" / "faker" / "providers" / "lorem" / FAKER[lang] / "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "word_list":
            return [w for w in _literal(node.value) if _word_ok(w, lang)]
    return []


def _literal(node: ast.expr) -> list[str]:
    """A list literal, or a sum of list literals (``(...) + (...)``)."""
    if isinstance(node, ast.BinOp):
        return _literal(node.left) + _literal(node.right)
    try:
        value = ast.literal_eval(node)
    except ValueError:  # a name defined elsewhere in the module: not a word list here
        return []
    return [w for w in value if isinstance(w, str)] if isinstance(value, (list, tuple)) else []


def _word_ok(word: str, lang: str) -> bool:
    """All letters (marks allowed), 2+ characters; not ASCII for non-Latin languages."""
    if len(word) < 2 or not all(unicodedata.category(c)[0] in "LM" for c in word):
        return False
    return word.isascii() is False or _ascii_language(lang)


def _ascii_language(lang: str) -> bool:
    return lang not in _NON_SCRIPT_LATIN


_NON_SCRIPT_LATIN = set(
    codes(
        "zh ja ko th hi bn mr ta te ur gu pa fa ar he kk mn ka hy be bg el mk ru sr uk am as bo "
        "ckb dv km kn ky lo ml my ne or ps sa sd si tg tt ug yi"
    )
)


def tokens(text: str, lang: str, source: str = "") -> list[str]:
    """Words of ``text`` with edge punctuation stripped; ``""`` for a token that is not a word
    of the language (digits, symbols, ASCII in a non-Latin script, a word left in English)."""
    borrowed = set(source.lower().split())
    out = []
    for raw in text.split():
        tok = raw.strip("".join(c for c in set(raw) if unicodedata.category(c)[0] in "PS"))
        ok = _word_ok(tok, lang) and (tok.lower() not in borrowed or lang == "en")
        out.append(tok if ok else "")
    return out


def gather(root: Path, lang: str) -> dict[str, list[tuple[str, list[str]]]]:
    """Candidate texts per class: a list of (source, texts) per class, best source first."""
    messages = [(src, dst) for src, dst in django(root, lang) if _LETTER.search(dst)]
    examples = spacy_examples(root, lang)
    sentences: dict[str, list[str]] = {"django": [], "spacy": []}
    words, pairs = [], []
    for src, dst in [*messages, *(("", s) for s in examples)]:
        toks = tokens(dst, lang, src)
        source = "django" if src else "spacy"
        if lang in UNSPACED:
            if len(dst) >= 8 and not dst.isascii():
                sentences[source].append(dst)
            continue
        real = sum(len(t) for t in toks)
        if len(toks) >= 3 and real >= 0.6 * sum(c.isalpha() for c in dst):
            sentences[source].append(dst)
        words += [t for t in toks if t]
        pairs += [f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False) if a and b]
    names = cldr(lang)
    name_words = [n for n in names if " " not in n and _word_ok(n, lang)]
    name_pairs = [
        n for n in names if len(n.split()) == 2 and all(_word_ok(t, lang) for t in n.split())
    ]
    lists = [("wordfreq", wordfreq(root, lang)), ("faker", faker_words(root, lang))]
    return {
        "sentence": list(sentences.items()),
        "word": [("django", words), *lists, ("cldr", name_words)],
        "pair": [("django", pairs), ("cldr", name_pairs)],
        "_lists": [*lists, ("cldr", name_words)],
    }


def pick(
    sources: list[tuple[str, list[str]]], half: str, n: int, rng: random.Random
) -> list[tuple[str, str]]:
    """Up to ``n`` texts of ``half``, taken in turn from each source (each shuffled)."""
    pools = []
    for source, texts in sources:
        mine = [t for t in dict.fromkeys(texts) if bucket(t) == half]
        rng.shuffle(mine)
        pools.append([(source, t) for t in mine])
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(out) < n and any(pools):
        for pool in pools:
            while pool and pool[-1][1] in seen:
                pool.pop()
            if pool and len(out) < n:
                out.append(pool.pop())
                seen.add(out[-1][1])
    return out


def random_pairs(lists: list[tuple[str, list[str]]], lang: str, half: str, n: int,
                 rng: random.Random) -> list[tuple[str, str]]:  # fmt: skip
    """Two words of one list side by side, when real text gives too few adjacent pairs."""
    sep = "" if lang in UNSPACED else " "
    out = []
    for source, words in lists:
        mine = sorted({w for w in words if bucket(w) == half})
        if len(mine) < 10:
            continue
        for _ in range(3 * n):
            pair = sep.join(rng.sample(mine, 2))
            if bucket(pair) == half:  # the pair's own hash too, so the halves stay disjoint
                out.append((source, pair))
    rng.shuffle(out)
    return list(dict.fromkeys(out))[:n]


def build(root: Path) -> dict[str, list[tuple[str, ...]]]:
    rng = random.Random(20261203)
    out: dict[str, list[tuple[str, ...]]] = {"dev": [], "heldout": []}
    found = unambiguous({lang: gather(root, lang) for lang in LANGS})
    for lang in LANGS:
        for half, rows in out.items():
            for cls in ("sentence", "word", "pair"):
                got = pick(found[lang][cls], half, PER_CLASS, rng)
                if cls == "pair" and len(got) < PER_CLASS:
                    lists = found[lang]["_lists"]
                    got += random_pairs(lists, lang, half, PER_CLASS - len(got), rng)
                rows += [(lang, cls, source, text) for source, text in got]
            if lang == "zh":
                words = [w for _, ws in found[lang]["_lists"] for w in ws]
                chars = [c for w in words for c in w if "\u4e00" <= c <= "\u9fff"]
                got = pick([("wordfreq", chars)], half, CHARS, rng)
                rows += [(lang, "char", source, text) for source, text in got]
    return out


def unambiguous(found: dict[str, dict]) -> dict[str, dict]:
    """Drop every text (case aside) that two languages' sources both hold: "Juni", "Bolivia",
    "日本" or "Django" belong to no one language, and no detector can be right about them."""
    owners: dict[str, set[str]] = {}
    for lang, classes in found.items():
        for pools in classes.values():
            for _, texts in pools:
                for text in texts:
                    owners.setdefault(text.lower(), set()).add(lang)
    return {
        lang: {
            cls: [(src, [t for t in texts if len(owners[t.lower()]) == 1]) for src, texts in pools]
            for cls, pools in classes.items()
        }
        for lang, classes in found.items()
    }


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path, help="folder with the unpacked wheels")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.root / "babel"))
    for half, rows in build(args.root).items():
        with open(HERE / f"{half}.tsv", "w", encoding="utf-8") as f:
            f.write("# language\tclass\tsource\ttext\n")
            f.writelines("\t".join(row) + "\n" for row in rows)
        print(half, len(rows))


if __name__ == "__main__":
    main()
