"""Batch jobs as a user runs them: killed and resumed, sharded, with no router, --embedded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from duta.batch.manifest import STATE_DIR, temp_dir
from duta.cli.up import free_port
from tests.integration.batch_cluster import DOCS, batch_router, job_process, run_job, tree

FILES = 40


@pytest.fixture(scope="module")
def address(loop_thread, workers, redis_server):
    with batch_router(loop_thread, workers, redis_server.url) as address:
        yield address


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Small text and Markdown files in nested folders: many files, few segments each."""
    root = tmp_path_factory.mktemp("corpus")
    for number in range(FILES):
        folder = root / f"part{number % 4}"
        folder.mkdir(exist_ok=True)
        name = f"doc{number:02d}.{'md' if number % 2 else 'txt'}"
        (folder / name).write_text(
            f"# Chapter {number}\n\nThis is document number {number} of the archive. "
            f"It describes case {number * 7} in detail.\n\nThe end of file {number}.\n"
        )
    return root


def _finished(out: Path) -> set[str]:
    lines = []
    for manifest in (out / STATE_DIR).glob("manifest*.jsonl"):
        lines += manifest.read_text().splitlines()
    return {json.loads(line)["relative"] for line in lines if line.endswith("}")}


def test_killed_job_resumes_without_redoing_finished_files(address, corpus, tmp_path) -> None:
    out = tmp_path / "resumed"
    proc = job_process(address, [corpus], out, "--files-in-flight", "1", "--concurrency", "1")
    try:
        while len(_finished(out)) < 3 and proc.poll() is None:
            time.sleep(0.01)  # polling for a condition: the manifest's progress
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
    finished = _finished(out)
    assert 3 <= len(finished) < FILES, "the job ended before it could be killed mid-run"
    before = tree(out)
    # No temporary or partial file in the output tree: only finished files, and at most the
    # one renamed into place just before the kill (then its manifest line was still to come).
    assert finished <= set(before) and len(set(before) - finished) <= 1
    stamps = {f: os.stat(out / f).st_mtime_ns for f in finished}

    status, report = run_job(address, [corpus], out)
    assert status == 0
    assert report["files"]["skipped"] == len(finished)
    assert report["files"]["ok"] == FILES - len(finished)
    assert {f: os.stat(out / f).st_mtime_ns for f in finished} == stamps  # not rewritten
    assert not list(temp_dir(out).iterdir())  # the killed run's temporary files removed
    after = tree(out)
    assert {f: after[f] for f in before} == before  # what the kill left was whole

    status, whole = run_job(address, [corpus], tmp_path / "whole")
    assert status == 0 and whole["sentences"] > 0
    assert whole["cache_hit_rate"] == 1.0  # every sentence was translated once already
    assert tree(out) == tree(tmp_path / "whole") and len(tree(out)) == FILES


def test_rerun_redoes_only_changed_files_detecting_the_language(address, tmp_path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a.txt", "b.txt"):
        (docs / name).write_text(f"The file {name} says hello to the world.\n")
    (docs / "c.txt").write_text("今天天气很好。我们明天去公园散步吧。\n")
    out = tmp_path / "out"
    status, report = run_job(address, [docs], out, "--from", "auto", "--to", "en")
    assert status == 0
    detected = {f["relative"]: f["source_language"] for f in report["per_file"]}
    assert detected["a.txt"] == "en" and detected["c.txt"] == "zh-Hans"  # per file
    (docs / "b.txt").write_text("The file b.txt now says something new.\n")
    status, report = run_job(address, [docs], out, "--from", "auto", "--to", "en")
    assert status == 0 and report["files"]["skipped"] == 2 and report["files"]["ok"] == 1
    assert [f["relative"] for f in report["per_file"] if f["status"] == "ok"] == ["b.txt"]
    status, report = run_job(address, [docs], out, "--from", "auto", "--to", "ko")
    assert report["files"]["ok"] == 3  # other settings: every file is redone


def test_overload_is_retried_with_backoff(loop_thread, workers, corpus, tmp_path) -> None:
    """A router that takes one message at a time refuses the rest: the job retries them."""
    with batch_router(loop_thread, workers, None, max_concurrent_requests=1) as busy:
        status, report = run_job(busy, [corpus / "part0"], tmp_path / "out", "--no-cache")
    assert status == 0 and report["files"]["ok"] == FILES // 4
    assert report["retries"] > 0


def test_shards_cover_every_file_exactly_once(address, corpus, tmp_path) -> None:
    out = tmp_path / "sharded"
    for index in range(3):
        env_job = ["--shard-index", str(index), "--shard-count", "3"]
        status, report = run_job(address, [corpus], out, *env_job)
        assert status == 0 and report["shard"] == f"{index}-of-3"
    per_shard = [
        {json.loads(line)["relative"] for line in m.read_text().splitlines()}
        for m in sorted((out / STATE_DIR).glob("manifest-*-of-3.jsonl"))
    ]
    assert len(per_shard) == 3 and all(per_shard)
    assert sum(len(s) for s in per_shard) == FILES
    assert set().union(*per_shard) == set(tree(corpus)) == set(tree(out))


def test_router_restart_mid_job_is_retried(loop_thread, workers, corpus, tmp_path) -> None:
    """The router goes away mid-job (streams break: UNAVAILABLE) and comes back on its port."""
    port = free_port()
    out = tmp_path / "out"
    slow = ["--files-in-flight", "1", "--concurrency", "1", "--retries", "30"]
    with batch_router(loop_thread, workers, None, port=port) as address:
        proc = job_process(address, [corpus], out, *slow)
        while len(_finished(out)) < 2 and proc.poll() is None:
            time.sleep(0.01)  # polling for a condition: the job is under way
    assert proc.poll() is None, "the job ended before the router went away"
    with batch_router(loop_thread, workers, None, port=port):
        assert proc.wait(240) == 0
    report = json.loads((out / STATE_DIR / "report.json").read_text())
    assert report["files"]["ok"] == FILES and report["retries"] > 0


def test_api_key_is_sent_and_a_refused_key_stops_the_job_at_once(
    loop_thread, workers, corpus, tmp_path, monkeypatch, capsys
) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("batch-test-key\n")
    with batch_router(loop_thread, workers, None, api_keys_file=keys) as locked:
        monkeypatch.setenv("DUTA_API_KEY", "wrong-key")
        status, _ = run_job(locked, [corpus / "part1"], tmp_path / "refused")
        assert status == 2 and "set DUTA_API_KEY" in capsys.readouterr().err
        monkeypatch.setenv("DUTA_API_KEY", "batch-test-key")
        status, report = run_job(locked, [corpus / "part1"], tmp_path / "out")
    assert status == 0 and report["files"]["ok"] == FILES // 4


def _duta_batch(*argv: str) -> subprocess.CompletedProcess[str]:
    """`duta batch translate ARGV` as a user runs it, in its own process."""
    command = [sys.executable, "-m", "duta", "batch", "translate", *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_no_router_says_how_to_start_one(tmp_path) -> None:
    router = f"127.0.0.1:{free_port()}"
    done = _duta_batch(
        str(DOCS / "notes.txt"),
        "--to",
        "ja",
        "--out",
        str(tmp_path),
        "--router",
        router,
        "--connect-timeout",
        "1",
    )
    assert done.returncode == 2
    assert "no router is serving" in done.stderr and "duta up" in done.stderr
    assert "--embedded" in done.stderr


def test_embedded_starts_and_stops_a_local_cluster(tmp_path) -> None:
    from duta.models import build_demo_models

    build_demo_models(tmp_path / "models", [("en", "ja")])
    done = _duta_batch(
        str(DOCS / "notes.txt"),
        str(DOCS / "movie.srt"),
        "--from",
        "en",
        "--to",
        "ja",
        "--out",
        str(tmp_path / "out"),
        "--embedded",
        "--models",
        str(tmp_path / "models"),
        "--no-redis",
        "--progress",
        "log",
    )
    assert done.returncode == 0, done.stderr
    assert set(tree(tmp_path / "out")) == {"notes.txt", "movie.srt"}
    assert "duta batch: 2/2 files" in done.stderr  # plain log lines off a terminal
    assert "ok" in done.stdout and "DEMO MODELS" in done.stdout
    assert not _processes_mentioning(str(tmp_path / "models"))  # the cluster is gone


def _processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains `text`."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError, ValueError):
            continue
        if text in cmdline and state != "Z":
            found.append(int(proc.name))
    return found
