"""The worker benchmark's router-shaped callers and its per-phase, per-call-size tails."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from worker import router_callers  # noqa: E402
from worker_load import Phase  # noqa: E402


def test_each_call_size_gets_about_a_third_of_the_sentences_in_flight() -> None:
    assert Counter(router_callers([1, 8, 64], 32)) == {1: 10, 8: 1, 64: 1}
    callers = router_callers([1, 8, 64], 128)
    assert Counter(callers) == {1: 42, 8: 5, 64: 1}
    in_flight = {size: size * n for size, n in Counter(callers).items()}
    assert all(40 <= sentences <= 64 for sentences in in_flight.values())


def test_a_size_larger_than_its_share_still_gets_one_caller() -> None:
    assert Counter(router_callers([1, 128], 32)) == {1: 16, 128: 1}


def test_tails_are_per_phase_and_per_call_size() -> None:
    ones = [0.1] * 98 + [0.3, 0.5]  # one slow call in a hundred: p99 is the slow one
    phase = Phase("mixed", 1.0, latencies={1: ones, 64: [2.0, 4.0]})
    assert phase.tail(1) == (100.0, 500.0)
    assert phase.tail(64) == (3000.0, 4000.0)
    p50, p99 = phase.tail()
    assert p50 == 100.0 and p99 == 2000.0
    assert Phase("idle", 0.0).tail() == (0.0, 0.0)
