"""The soak's verdict: flat memory, no error but the bad requests' INVALID_ARGUMENT, stable p99."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from soak import expected, failures, summarise  # noqa: E402

OUTCOMES = {"translate:OK": 900, "stream:OK": 50, "detect:OK": 40, "bad:INVALID_ARGUMENT": 10}


def run(router_mb=lambda t: 250.0, worker_mb=lambda t: 120.0, late_ms=100.0, outcomes=None):  # noqa: ANN001, ANN201
    """A one-minute soak's raw result: memory every second, one Translate latency a second."""
    memory = [{"t": t, "router": router_mb(t), "demo-zh-en": worker_mb(t)} for t in range(60)]
    latencies = [(t + 0.5, (late_ms if t >= 48 else 100.0) / 1000) for t in range(60)]
    return {"outcomes": outcomes or OUTCOMES, "latencies": latencies, "memory": memory}


def test_a_flat_clean_run_passes() -> None:
    # growing during the warm-up (the first fifth: the cache filling) does not count
    summary = summarise(run(router_mb=lambda t: 200.0 + min(t, 12) * 4), minutes=1)
    assert summary["passed"] and failures(summary) == []
    assert summary["router_rss_growth_pct"] == 0.0 and summary["p99_ratio"] == 1.0
    assert summary["calls"] == 1000 and summary["unexpected_errors"] == 0


def test_memory_growing_after_the_warm_up_fails() -> None:
    summary = summarise(run(worker_mb=lambda t: 100.0 + t / 4), minutes=1)  # +10 MB over 48 s
    assert not summary["passed"] and summary["worker_rss_growth_pct"] >= 5
    assert failures(summary) == [
        f"worker RSS grew {summary['worker_rss_growth_pct']} % after the warm-up"
    ]


def test_a_tail_growing_over_the_run_fails() -> None:
    summary = summarise(run(late_ms=160.0), minutes=1)
    assert summary["p99_ratio"] == 1.6 and not summary["passed"]
    assert failures(summary) == ["p99 not stable: 100.0 -> 160.0 ms"]


@pytest.mark.parametrize(
    "outcome",
    ["translate:UNAVAILABLE", "translate:TEXT_FAILED_PRECONDITION", "bad:OK", "stream:STREAM_13"],
)
def test_any_error_but_a_bad_requests_invalid_argument_fails(outcome: str) -> None:
    summary = summarise(run(outcomes={**OUTCOMES, outcome: 3}), minutes=1)
    assert summary["unexpected_errors"] == 3 and not summary["passed"]


def test_what_each_kind_of_call_must_get() -> None:
    assert expected("bad", "INVALID_ARGUMENT") and expected("detect", "OK")
    assert not expected("translate", "INVALID_ARGUMENT") and not expected("bad", "INTERNAL")
