"""The worker benchmark's steady-state rate leaves out the start burst and the drain."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from worker_load import steady  # noqa: E402


def test_steady_rate_ignores_a_slow_start_and_a_slow_drain() -> None:
    # 100 answers of 10 tokens: one per second in the middle, but the first and last ten take
    # ten seconds each (a burst at the start, a drain at the end).
    marks, now = [], 0.0
    for i in range(100):
        now += 10.0 if i < 10 or i >= 90 else 1.0
        marks.append((now, 10 * (i + 1)))
    assert steady(marks, callers=4) == 10.0  # tokens per second in the middle
    whole = marks[-1][1] / marks[-1][0]
    assert whole < 4.0


def test_too_short_a_run_has_no_steady_state() -> None:
    marks = [(1.0, 10), (1.1, 20), (1.2, 30), (1.3, 40)]
    assert steady(marks, callers=4) is None
