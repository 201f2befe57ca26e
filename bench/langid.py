"""Language-ID benchmark: accuracy per language and length class, and texts/s.

Compares Duta's detector with fastText (lid.176.ftz) alone and, when installed, lingua
(high-accuracy mode) and pycld2, on the same texts, in one run:

    python bench/langid.py                       # held-out set
    python bench/langid.py --set dev             # development set (the one tuned on)
    python bench/langid.py --source django       # only texts from real running text
    python bench/langid.py --speed-only

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

from duta.langid import Detector, InvalidLanguageCode, base_language

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


def _base(code: str) -> str:
    try:
        return base_language(code)
    except InvalidLanguageCode:
        return code


def predictors() -> dict[str, Predictor]:
    detector = Detector()
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
    args = parser.parse_args()
    rows = load(args.set, set(args.source) if args.source else None)
    preds = predictors()
    if not args.speed_only:
        where = f", sources {', '.join(args.source)}" if args.source else ""
        print(f"set: {args.set} ({len(rows)} texts{where})\n")
        report(rows, preds)
    short = [text for _, cls, text in rows if cls in ("word", "pair", "char")]
    print("\nspeed, one thread, short texts (words and pairs):")
    for name, fn in preds.items():
        print(f"  {name:10}{speed(short, fn):12,.0f} texts/s")


if __name__ == "__main__":
    main()
