"""`make bench`'s report: every benchmark listed, one Markdown file, PNG plots (nothing timed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import report  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"


def test_make_bench_runs_every_benchmark() -> None:
    runs = report.benches(soak_minutes=10)
    scripts = {Path(run.argv[0]).stem for run in runs}
    assert scripts == {"worker", "router", "langid", "batch", "load_curve", "soak"}
    assert all((ROOT / run.argv[0]).is_file() for run in runs)
    soak = next(run for run in runs if run.argv[0] == "bench/soak.py")
    assert soak.argv[soak.argv.index("--minutes") + 1] == "10"


def test_the_last_ratio_line_is_the_result_and_outputs_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "OUT", tmp_path)
    run = report.Bench("router", ["bench/router.py"], returncode=0, seconds=88.4)
    run.output = "table\nl1/echo=0.70 (round 1)\nmiss/worker=0.8 bulk/worker=1.0\n\nlog line"
    assert run.last_line == "miss/worker=0.8 bulk/worker=1.0"
    run.save()
    again = report.Bench("router", ["bench/router.py"])
    again.load()  # a later `--only` run reports it from its saved output, and says so
    assert (again.last_line, again.returncode, round(again.seconds)) == (run.last_line, 0, 88)
    assert again.notes and again.notes[0].startswith("from an earlier run (")


def test_one_report_with_the_machine_the_results_and_the_plots(tmp_path: Path) -> None:
    curve, soak = tmp_path / "curve.json", tmp_path / "soak.json"
    curve.write_text(
        json.dumps(
            [
                {"mode": m, "clients": c, "calls_per_s": r * c, "p50_ms": 1.0 * c}
                | {"p95_ms": 2.0 * c, "p99_ms": 3.0 * c}
                for m, r in (("hit", 500), ("miss", 100))
                for c in (1, 2, 4)
            ]
        )
    )
    soak.write_text(json.dumps({"memory": [{"t": t, "router": 250, "w": 120} for t in range(9)]}))
    images = report.plots(curve, soak, out=tmp_path)
    assert len(images) == 2
    for name in ("load_curve.png", "soak_memory.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG)
    good = report.Bench("router", ["bench/router.py"], output="miss/worker=0.80", returncode=0)
    bad = report.Bench("soak", ["bench/soak.py"], output="passed=False", returncode=1)
    text = report.write_report([good, bad], images, tmp_path / "REPORT.md").read_text()
    assert "## Machine" in text and "logical cores" in text and "commit `" in text
    assert "| router | 0 | `miss/worker=0.80` |" in text
    assert "| soak | 0 | **failed (exit 1)** `passed=False` |" in text
    assert all(image in text for image in images)
