"""bench/langid.py's report of how often the second opinion (lingua) is asked, per script."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from langid import second_opinion_share  # noqa: E402


def test_lingua_calls_are_counted_per_script(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        ("tl", "word", "bahay"),  # fastText unsure, Tagalog's letters: lingua is asked
        ("id", "sentence", "Saya mau pergi ke kantor besok pagi"),  # fastText sure: not asked
        ("da", "pair", "Fremtidige ikke"),  # no Asian evidence: not asked
        ("ko", "word", "안녕하세요"),  # one-script text: never asked
    ]
    second_opinion_share(rows)
    lines = capsys.readouterr().out.splitlines()
    assert any(line.split()[:4] == ["Latn", "1", "/", "3"] for line in lines), lines
    assert any(line.split()[:4] == ["Hang", "0", "/", "1"] for line in lines), lines
    assert lines[-1].split()[:4] == ["all", "1", "/", "4"]
