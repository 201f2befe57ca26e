"""Language-ID benchmark: Duta, fastText, lingua and CLD2 side by side, in one run.

    python bench/langid.py                  # held-out set (report only; never tune on it)
    python bench/langid.py --set dev        # the development set (the one tuned on)
    python bench/langid.py --source django  # only rows of one source (repeatable)
    python bench/langid.py --no-peers       # Duta and fastText only (fast)

Prints, per language, the accuracy of Duta, fastText lid.176 alone, lingua (all its 75
languages, high-accuracy mode) and CLD2 (the ``pycld2`` package), and a floor column (Duta
minus fastText); the Asian, lingua-75 and all-languages means; single Chinese characters;
texts/s on one thread over the whole mixed set (every language and length class, Duta's
cache off), alternating Duta and fastText alone so the ratio is measured in the same minutes;
the RSS of a process holding only the loaded detector; the reliability of Duta's confidence;
how often lingua is asked, per script.
The last line is the summary::

    asian=… all=… below_fasttext=N ms=… id=… zh_chars=… texts_per_s=… rss_mb=… cpu_texts_per_s=…

(``texts_per_s`` by the wall clock, ``cpu_texts_per_s`` by the process's CPU time.)

A prediction is right when its base language equals the expected one (``zh-Hant`` counts for
``zh``, ``tl`` and ``fil`` are one language, ``nb`` and ``no`` too).
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from duta.langid import Detector, InvalidLanguageCode, base_language

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "langid"
ASIAN = ("zh ja ko vi th id ms tl hi bn mr ta te ur gu pa fa ar he tr kk mn az ka hy").split()  # noqa: SIM905
FLOOR_POINTS = 2.0  # a language more than this below fastText alone counts in below_fasttext
Row = tuple[str, str, str]  # (expected language, class, text)
Predictor = Callable[[str], str]


def load(name: str, sources: set[str] | None = None) -> list[Row]:
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


def predictors(peers: bool) -> dict[str, Predictor]:
    detector = Detector(cache_size=0)  # the uncached path: every text is detected
    predict = detector._predict  # fastText alone: the same model and C++ call
    preds: dict[str, Predictor] = {
        "duta": lambda t: detector.detect(t).language,
        "fasttext": lambda t: predict(" ".join(t.split()) + "\n", 1, 0.0, "strict")[0][1][9:],
    }
    if not peers:
        return preds
    from lingua import LanguageDetectorBuilder

    lingua = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

    def lingua_predict(text: str) -> str:
        lang = lingua.detect_language_of(text)
        return lang.iso_code_639_1.name.lower() if lang else "und"

    import pycld2

    def cld2_predict(text: str) -> str:
        try:
            return pycld2.detect(text)[2][0][1]
        except pycld2.error:
            return "und"

    preds["lingua"] = lingua_predict
    preds["cld2"] = cld2_predict
    return preds


def score(rows: list[Row], predict: Predictor) -> tuple[list[bool], float]:
    """Right/wrong per row, and texts/s of this pass."""
    start = time.perf_counter()
    answers = [predict(text) for _, _, text in rows]
    rate = len(rows) / (time.perf_counter() - start)
    return [_base(a) == _base(lang) for a, (lang, _, _) in zip(answers, rows, strict=True)], rate


def per_language(rows: list[Row], right: list[bool]) -> dict[str, float]:
    hits: dict[str, list[bool]] = collections.defaultdict(list)
    for (lang, _, _), ok in zip(rows, right, strict=True):
        hits[lang].append(ok)
    return {lang: 100.0 * sum(v) / len(v) for lang, v in hits.items()}


def per_class(rows: list[Row], right: list[bool]) -> dict[str, float]:
    hits: dict[str, list[bool]] = collections.defaultdict(list)
    for (_, cls, _), ok in zip(rows, right, strict=True):
        hits[cls].append(ok)
    return {cls: 100.0 * sum(v) / len(v) for cls, v in hits.items()}


def lingua_languages() -> set[str]:
    from lingua import Language

    return {_base(lang.iso_code_639_1.name.lower()) for lang in Language.all()}


def print_table(rows: list[Row], results: dict[str, list[bool]]) -> dict[str, dict[str, float]]:
    names = list(results)
    langs = {n: per_language(rows, r) for n, r in results.items()}
    counts = collections.Counter(lang for lang, _, _ in rows)
    print(f"{'lang':6}{'texts':>6}" + "".join(f"{n:>9}" for n in names) + f"{'floor':>8}")
    for lang in sorted(counts):
        cells = "".join(f"{langs[n][lang]:9.1f}" for n in names)
        floor = langs["duta"][lang] - langs["fasttext"][lang]
        mark = "  <-- below the floor" if floor < -FLOOR_POINTS else ""
        print(f"{lang:6}{counts[lang]:6}{cells}{floor:+8.1f}{mark}")
    print("-" * (20 + 9 * len(names)))
    classes = {n: per_class(rows, r) for n, r in results.items()}
    for cls in sorted(classes["duta"]):
        print(f"{cls:12}" + "".join(f"{classes[n][cls]:9.1f}" for n in names) + "   (pooled)")
    return langs


def print_means(langs: dict[str, dict[str, float]], lingua75: set[str]) -> dict[str, dict]:
    groups = {
        "asian": [lang for lang in langs["duta"] if lang in ASIAN],
        "lingua75": [lang for lang in langs["duta"] if _base(lang) in lingua75],
        "all": list(langs["duta"]),
    }
    means: dict[str, dict] = {}
    for group, members in groups.items():
        means[group] = {n: statistics.mean(v[lang] for lang in members) for n, v in langs.items()}
        cells = "".join(f"{means[group][n]:9.1f}" for n in langs)
        print(f"{'MEAN ' + group:12}{cells}   ({len(members)} languages)")
    return means


def reliability(rows: list[Row], detector: Detector) -> float:
    """Accuracy per confidence bin of Duta's answers; returns the accuracy at >= 0.8."""
    edges = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)
    bins: dict[int, list[bool]] = collections.defaultdict(list)
    high: list[bool] = []
    for lang, _, text in rows:
        d = detector.detect(text)
        ok = _base(d.language) == _base(lang)
        bins[next(i for i in range(len(edges) - 1) if d.confidence < edges[i + 1])].append(ok)
        if d.confidence >= 0.8:
            high.append(ok)
    print("\nreliability of Duta's confidence (held answers per bin, % right):")
    for i, (lo, hi) in enumerate(zip(edges, edges[1:], strict=False)):
        if bins[i]:
            acc = 100.0 * sum(bins[i]) / len(bins[i])
            close = "]" if hi > 1 else ")"
            print(f"  [{lo:.2f}, {min(hi, 1.0):.2f}{close}  {len(bins[i]):6}  {acc:6.1f}")
    acc_high = 100.0 * sum(high) / max(1, len(high))
    print(f"  confidence >= 0.8: {len(high)} answers ({100 * len(high) / len(rows):.1f} %), "
          f"{acc_high:.1f} % right")  # fmt: skip
    return acc_high


def second_opinion_share(rows: list[Row]) -> None:
    """How often Duta asks lingua (its second opinion), per script of the answer: the issue's
    "asked far too often on Latin-script text" measured, not assumed."""
    detector = Detector(cache_size=0)
    if detector._ngram is None:
        print("\nsecond opinion: lingua not installed")
        return
    asked = [0]
    scores = detector._ngram.scores

    def counting(text: str, asked_about: frozenset[str]) -> dict[str, float]:
        asked[0] += 1
        return scores(text, asked_about)

    detector._ngram.scores = counting  # type: ignore[method-assign,assignment]
    texts: collections.Counter[str] = collections.Counter()
    calls: collections.Counter[str] = collections.Counter()
    for _, _, text in rows:
        before = asked[0]
        script = detector.detect(text).script
        texts[script] += 1
        calls[script] += asked[0] - before
    print("\nsecond opinion (lingua) asked, per script of the answer (texts asked / texts):")
    for script, n in texts.most_common(8):
        print(f"  {script:5} {calls[script]:6} / {n:6}  ({100 * calls[script] / n:5.1f} %)")
    total = sum(calls.values())
    print(f"  all   {total:6} / {len(rows):6}  ({100 * total / len(rows):5.1f} %)")


def throughput(
    rows: list[Row], preds: dict[str, Predictor], rounds: int = 3
) -> dict[str, dict[str, float]]:
    """texts/s over the whole mixed set, Duta and fastText alternating: by the wall clock and
    by the process's CPU time (process_time: what the other processes of a shared machine
    take from this one's core counts less); the median per name and clock."""
    texts = [text for _, _, text in rows]
    clocks = {"wall": time.perf_counter, "cpu": time.process_time}
    rates: dict[str, dict[str, list[float]]] = {
        clock: {"duta": [], "fasttext": []} for clock in clocks
    }
    for _ in range(rounds):
        for name in rates["wall"]:
            fn = preds[name]
            wall, cpu = time.perf_counter(), time.process_time()
            for text in texts:
                fn(text)
            rates["cpu"][name].append(len(texts) / (time.process_time() - cpu))
            rates["wall"][name].append(len(texts) / (time.perf_counter() - wall))
    print(f"\nspeed, one thread, whole mixed set ({len(texts)} texts, cache off), {rounds} rounds:")
    for clock, per_name in rates.items():
        for name, values in per_name.items():
            cells = "  ".join(f"{v:9,.0f}" for v in values)
            print(f"  {name:9}{cells}  texts/s ({clock} clock)")
        ratio = [d / f for d, f in zip(per_name["duta"], per_name["fasttext"], strict=True)]
        print(f"  duta/fasttext ratio per round ({clock}): {', '.join(f'{r:.3f}' for r in ratio)}")
    return {
        clock: {name: statistics.median(v) for name, v in per_name.items()}
        for clock, per_name in rates.items()
    }


_RSS_SCRIPT = """
import json, sys
from duta.langid import Detector
d = Detector(cache_size=0)
for line in open(sys.argv[1], encoding="utf-8"):
    if not line.startswith("#"):
        d.detect(line.rstrip("\\n").split("\\t", 3)[3])
rss = [l for l in open("/proc/self/status") if l.startswith(("VmRSS", "VmHWM"))]
print(json.dumps({l.split(":")[0]: int(l.split()[1]) / 1024 for l in rss}))
"""


def detector_rss(name: str) -> dict[str, float]:
    """RSS (MB) of a fresh process holding the detector after it has detected the whole set."""
    out = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, str(DATA / f"{name}.tsv")],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", default="heldout", choices=["heldout", "dev"])
    parser.add_argument("--source", action="append", help="only rows of this source; repeatable")
    parser.add_argument("--no-peers", action="store_true", help="skip lingua and CLD2")
    args = parser.parse_args()
    rows = load(args.set, set(args.source) if args.source else None)
    preds = predictors(peers=not args.no_peers)
    counts = collections.Counter(cls for _, cls, _ in rows)
    print(f"set: {args.set}, {len(rows)} texts, {len({r[0] for r in rows})} languages; "
          + ", ".join(f"{c} {n}" for c, n in sorted(counts.items())) + "\n")  # fmt: skip
    results, rates = {}, {}
    for name, fn in preds.items():
        results[name], rates[name] = score(rows, fn)
    langs = print_table(rows, results)
    means = print_means(langs, lingua_languages())
    chars = [(lang, cls, t) for lang, cls, t in rows if cls == "char"]
    char_acc = {n: per_class(rows, r).get("char", float("nan")) for n, r in results.items()}
    print(f"{'zh 1 char':12}" + "".join(f"{char_acc[n]:9.1f}" for n in preds)
          + f"   ({len(chars)} single Chinese characters)")  # fmt: skip
    print("accuracy-pass texts/s: " + ", ".join(f"{n} {r:,.0f}" for n, r in rates.items()))
    reliability(rows, Detector(cache_size=0))
    second_opinion_share(rows)
    speed = throughput(rows, preds)
    rss = detector_rss(args.set)
    print(f"\ndetector process RSS after detecting the set: {rss['VmRSS']:.0f} MB "
          f"(peak {rss['VmHWM']:.0f} MB)")  # fmt: skip
    below = [
        lang for lang, v in langs["duta"].items() if v < langs["fasttext"][lang] - FLOOR_POINTS
    ]
    listed = " ".join(below) or "none"
    print(f"below the fastText floor by more than {FLOOR_POINTS:g} points: {listed}")
    duta = langs["duta"]
    print(
        f"asian={means['asian']['duta']:.1f} all={means['all']['duta']:.1f} "
        f"below_fasttext={len(below)} ms={duta.get('ms', 0):.1f} id={duta.get('id', 0):.1f} "
        f"zh_chars={char_acc['duta']:.1f} texts_per_s={speed['wall']['duta']:.0f} "
        f"rss_mb={rss['VmRSS']:.0f} cpu_texts_per_s={speed['cpu']['duta']:.0f}"
    )


if __name__ == "__main__":
    main()
