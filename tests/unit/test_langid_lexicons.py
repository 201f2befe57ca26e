"""The word lists Duta ships (duta/langid/data/*_wordfreq.dic.gz, built by
tests/data/langid/build_lexicons.py from wordfreq ranks below 150 and from 12,000 on) are
disjoint from the texts the evaluation sets took from wordfreq (ranks 150-4,000)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import duta.langid

DATA = Path(__file__).resolve().parents[1] / "data" / "langid"
SHIPPED = sorted((Path(duta.langid.__file__).parent / "data").glob("*_wordfreq.dic.gz"))


def _words(path: Path) -> list[str]:
    count, *words = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    assert int(count) == len(words)
    return words


def _rows(half: str) -> list[tuple[str, str, str, str]]:
    lines = (DATA / f"{half}.tsv").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t", 3)) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


def test_a_list_is_shipped_small_sorted_and_unique() -> None:
    assert [p.name for p in SHIPPED] == ["ur_wordfreq.dic.gz"]
    for path in SHIPPED:
        assert path.stat().st_size < 1_000_000
        words = _words(path)
        assert len(words) > 10_000
        assert words == sorted(set(words))


@pytest.mark.parametrize("half", ["heldout", "dev"])
def test_no_text_the_sets_took_from_wordfreq_is_in_a_shipped_list(half: str) -> None:
    for path in SHIPPED:
        lang = path.name.split("_")[0]
        words = set(_words(path))
        taken = [
            text for code, _, source, text in _rows(half) if code == lang and source == "wordfreq"
        ]
        assert len(taken) > 10  # the set does hold such texts
        assert [t for t in taken if t in words or any(w in words for w in t.split())] == []
