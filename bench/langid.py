"""Language-ID benchmark: accuracy per language and length class, and texts/s.

Compares Duta's detector with fastText (lid.176.ftz) alone and, when installed, lingua
(high-accuracy mode) and pycld2, on the same texts, in one run:

    python bench/langid.py                       # held-out set
    python bench/langid.py --set dev             # development set (the one tuned on)
    python bench/langid.py --source django       # only texts from real running text
    python bench/langid.py --speed-only
    python bench/langid.py --testdata DIR        # lingua's public language-testdata layout

``--testdata DIR`` reads ``DIR/{single-words,word-pairs,sentences}/<code>.txt`` (one text per
line, ISO 639-1 file names as in lingua's ``language-testdata``) for the 25 languages Duta
targets; missing files are skipped and listed. The data is public but not ours: keep it outside
the repository (see tests/data/langid/README.md).

A prediction counts as right when its base language equals the expected one
(``zh-Hant`` is right for ``zh``; ``yue`` is not).
"""

from __future__ import annotations

import argparse
import collections
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from duta.langid import Detector, InvalidLanguageCode, base_language, canonicalize

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "langid"
Predictor = Callable[[str], str]


def load(name: str, sources: set[str] | None = None) -> list[tuple[str, str, str]]:
    rows = []
    for line in (DATA / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            lang, cls, source, text = line.split("\t", 3)
            if sources is None or source in sources:
                rows.append((lang, cls, text))
    return rows


TARGET_LANGUAGES = (
    *("zh", "ja", "ko", "vi", "th", "id", "ms", "tl", "hi", "bn", "mr", "ta", "te"),
    *("ur", "gu", "pa", "fa", "ar", "he", "tr", "kk", "mn", "az", "ka", "hy"),
)
TESTDATA_CLASSES = {"single-words": "word", "word-pairs": "pair", "sentences": "sentence"}


def load_testdata(root: Path) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Rows (expected language, class, text) from lingua's language-testdata layout.

    The expected language is the canonical BCP-47 code of the file name (``tl`` -> ``fil``),
    compared by base language, so ``zh-Hans``/``zh-Hant`` count as right for ``zh``.
    Returns the rows and the ``class/code`` pairs that have no file.
    """
    rows, missing = [], []
    for folder, cls in TESTDATA_CLASSES.items():
        for code in TARGET_LANGUAGES:
            path = root / folder / f"{code}.txt"
            if not path.is_file():
                missing.append(f"{folder}/{code}")
                continue
            lang = canonicalize(code)
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    rows.append((lang, cls, line.strip()))
    return rows, missing


def _base(code: str) -> str:
    try:
        return base_language(code)
    except InvalidLanguageCode:
        return code


def predictors() -> dict[str, Predictor]:
    # No result cache: the speed loop repeats the same texts, which would measure look-ups.
    detector = Detector(cache_size=0)
    model = detector._model  # fastText alone, same model file
    preds: dict[str, Predictor] = {
        "duta": lambda t: detector.detect(t).language,
        "fasttext": lambda t: model.predict(t.replace("\n", " "), k=1)[0][0][9:],
    }
    try:
        from lingua import LanguageDetectorBuilder

        lingua = LanguageDetectorBuilder.from_all_languages().build()

        def lingua_predict(text: str) -> str:
            lang = lingua.detect_language_of(text)
            return lang.iso_code_639_1.name.lower() if lang else "und"

        preds["lingua"] = lingua_predict
    except ImportError:
        pass
    try:
        import pycld2

        def cld2_predict(text: str) -> str:
            try:
                return pycld2.detect(text)[2][0][1]
            except pycld2.error:
                return "und"

        preds["cld2"] = cld2_predict
    except ImportError:
        pass
    return preds


def accuracy(rows: list[tuple[str, str, str]], predict: Predictor) -> dict[tuple[str, str], float]:
    hits: dict[tuple[str, str], list[int]] = collections.defaultdict(list)
    for lang, cls, text in rows:
        ok = _base(predict(text)) == _base(lang)
        hits[(lang, cls)].append(ok)
        hits[(lang, "all")].append(ok)
        hits[("ALL", cls)].append(ok)
    return {key: 100.0 * sum(v) / len(v) for key, v in hits.items()}


def speed(texts: list[str], predict: Predictor, seconds: float = 2.0) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for text in texts:
            predict(text)
        n += len(texts)
    return n / (time.perf_counter() - start)


def report(rows: list[tuple[str, str, str]], preds: dict[str, Predictor]) -> None:
    names = list(preds)
    results = {name: accuracy(rows, fn) for name, fn in preds.items()}
    classes = sorted({cls for _, cls, _ in rows})
    langs = sorted({lang for lang, _, _ in rows})
    print(f"{'lang':6}{'class':10}" + "".join(f"{n:>10}" for n in names))
    for lang in langs:
        for cls in [*classes, "all"]:
            if (lang, cls) in results[names[0]]:
                cells = "".join(f"{results[n][(lang, cls)]:10.1f}" for n in names)
                print(f"{lang:6}{cls:10}{cells}")
    print("-" * (16 + 10 * len(names)))
    for cls in classes:
        print(f"{'ALL':6}{cls:10}" + "".join(f"{results[n][('ALL', cls)]:10.1f}" for n in names))
    means = {n: statistics.mean(results[n][(lang, "all")] for lang in langs) for n in names}
    print(f"{'MEAN':16}" + "".join(f"{means[n]:10.1f}" for n in names) + "   (mean over languages)")
    cells = sorted({(lang, cls) for lang, cls, _ in rows})
    cell_means = {n: statistics.mean(results[n][c] for c in cells) for n in names}
    print(
        f"{'MEAN':16}"
        + "".join(f"{cell_means[n]:10.1f}" for n in names)
        + f"   (mean over {len(cells)} language x class cells)"
    )
    chars = [(lang, "char", t) for lang, _, t in rows if _base(lang) == "zh" and len(t) == 1]
    if chars:
        char_acc = {n: accuracy(chars, preds[n])[("ALL", "char")] for n in names}
        print(
            f"{'zh 1 char':16}"
            + "".join(f"{char_acc[n]:10.1f}" for n in names)
            + f"   ({len(chars)} single Chinese characters)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", default="heldout", choices=["heldout", "dev"])
    parser.add_argument(
        "--source",
        action="append",
        help="only rows from this source (wordfreq, cldr, spacy, django, faker); repeatable",
    )
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument(
        "--testdata",
        type=Path,
        metavar="DIR",
        help="score lingua's public language-testdata layout in DIR instead of our sets",
    )
    args = parser.parse_args()
    if args.testdata:
        rows, missing = load_testdata(args.testdata)
        name = f"testdata {args.testdata}"
    else:
        rows, missing = load(args.set, set(args.source) if args.source else None), []
        name = args.set
    preds = predictors()
    if not args.speed_only:
        where = f", sources {', '.join(args.source)}" if args.source else ""
        print(f"set: {name} ({len(rows)} texts{where})")
        if missing:
            print(f"no file for {len(missing)} language x class cells: {' '.join(missing)}")
        counts = collections.Counter(cls for _, cls, _ in rows)
        print("texts per class: " + ", ".join(f"{c} {n}" for c, n in sorted(counts.items())) + "\n")
        report(rows, preds)
    short = [text for _, cls, text in rows if cls in ("word", "pair", "char")]
    print("\nspeed, one thread, short texts (words and pairs):")
    for name, fn in preds.items():
        print(f"  {name:10}{speed(short, fn):12,.0f} texts/s")


if __name__ == "__main__":
    main()
