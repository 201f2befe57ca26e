"""A batch job SIGKILLed mid-run and resumed: byte-identical output, never a partial file."""

from __future__ import annotations

import filecmp
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.cluster import Cluster, wait_for
from tests.reliability.conftest import FIGURES

pytestmark = pytest.mark.reliability

STATE_DIR = ".duta-batch"


def make_documents(root: Path, files: int = 24, paragraphs: int = 12) -> None:
    for i in range(files):
        folder = root / f"part{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        body = "\n\n".join(
            f"第{i}份文件的第{p}段。今天我们讨论第{p}个问题。" for p in range(paragraphs)
        )
        suffix = ".md" if i % 2 else ".txt"
        text = f"# 标题 {i}\n\n{body}\n" if suffix == ".md" else body + "\n"
        (folder / f"doc{i}{suffix}").write_text(text, encoding="utf-8")


def batch(cluster: Cluster, src: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "duta",
        "batch",
        "translate",
        str(src),
        "--from",
        "zh",
        "--to",
        "en",
        "--out",
        str(out),
        "--router",
        cluster.parts["router-a"].address,
        "--progress",
        "log",
    ]


def outputs(out: Path) -> list[Path]:
    return sorted(
        p.relative_to(out) for p in out.rglob("*") if p.is_file() and STATE_DIR not in p.parts
    )


def finished(out: Path) -> int:
    state = out / STATE_DIR
    return (
        sum(len(f.read_text().splitlines()) for f in state.glob("*") if f.is_file())
        if state.is_dir()
        else 0
    )


def test_killed_job_resumes_to_identical_output(cluster: Cluster, tmp_path: Path) -> None:
    """Killed, resumed, then compared with an uninterrupted job over the same cache.

    The cache is what makes a translation repeatable (a batched int8 model may break a near
    tie differently in another batch), so the uninterrupted reference runs last, when every
    sentence has been translated once: any difference is the job's, not the model's.
    """
    src, resumed, reference = tmp_path / "in", tmp_path / "resumed", tmp_path / "ref"
    make_documents(src)
    job = subprocess.Popen(
        batch(cluster, src, resumed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for(lambda: finished(resumed) >= 3 or job.poll() is not None, "a few finished files")
    job.send_signal(signal.SIGKILL)
    job.wait(30)
    done_before = finished(resumed)
    assert done_before < 24, "the job finished before it could be killed: make it larger"
    kept = {
        name: (resumed / name).read_bytes()
        for name in outputs(resumed)
        if ".duta-tmp-" not in name.name
    }

    report = tmp_path / "report.json"
    rerun = subprocess.run(
        [*batch(cluster, src, resumed), "--report", str(report)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    files = json.loads(report.read_text())["files"]
    assert files["skipped"] >= done_before and files["failed"] == 0, files  # not retranslated
    for name, data in kept.items():  # whatever was there after the kill was whole, and kept
        assert (resumed / name).read_bytes() == data, name

    subprocess.run(batch(cluster, src, reference), check=True, capture_output=True, timeout=600)
    assert outputs(resumed) == outputs(reference) and len(outputs(reference)) == 24
    for name in outputs(reference):
        assert filecmp.cmp(resumed / name, reference / name, shallow=False), name
    FIGURES.append(
        f"batch job SIGKILLed with {done_before} of 24 files done ({len(kept)} on disk, whole): "
        f"re-run skipped {files['skipped']}, failed {files['failed']}; 24 files byte-identical "
        "to an uninterrupted job, no partial file"
    )
