"""Fixtures of the reliability suite: the cluster as processes, and load from another process."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.cluster import Cluster, wait_for

ROOT = Path(__file__).resolve().parents[2]
# One line per test of what it measured (calls, failures, requests): printed at the end of the
# run, so the README's figures can be read from `make reliability`'s output.
FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    from duta.models import build_demo_models

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: `make test` installs it (apt-get)")
    models = tmp_path_factory.mktemp("models")
    build_demo_models(models, [("zh", "en"), ("ja", "en")])
    cluster = Cluster(models, tmp_path_factory.mktemp("cluster"), binary)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


class Load:
    """`tests.reliability.loadgen` running in its own process against the cluster."""

    def __init__(self, target: str, workdir: Path, clients: int = 8) -> None:
        self.path = workdir / "load-stats.json"
        self.log = workdir / "loadgen.log"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.reliability.loadgen",
                    "--address",
                    target,
                    "--stats",
                    str(self.path),
                    "--clients",
                    str(clients),
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stats(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {"ok": 0, "failed": 0, "codes": {}, "errors": []}

    def wait_more_ok(self, count: int, what: str) -> None:
        """Waits until `count` more calls have succeeded than now."""
        start = self.stats()["ok"]
        wait_for(lambda: self.stats()["ok"] >= start + count, f"{count} more successes {what}")

    def stop(self) -> dict[str, Any]:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)
        stats = self.stats()
        assert stats.get("done"), f"load generator did not finish: {self.log.read_text()[-2000:]}"
        return stats


@pytest.fixture
def load(cluster: Cluster, tmp_path: Path) -> Iterator[Load]:
    load = Load(cluster.target, tmp_path)
    try:
        load.wait_more_ok(50, "before the fault")
        yield load
    finally:
        if load.process.poll() is None:
            load.process.kill()
            load.process.wait()
