"""Helpers shared by the batch tests: a router over the demo workers, and running a job."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from duta.cli.main import main
from duta.router import RouterSettings, WorkerEndpoint
from tests.conftest import LoopThread, WorkerCluster, running_router

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "tests" / "data" / "batch" / "docs"


@contextlib.contextmanager
def batch_router(
    loop: LoopThread, workers: WorkerCluster, redis_url: str | None, **overrides: Any
) -> Iterator[str]:
    """A real router over the demo workers and Redis; yields its address."""
    settings = RouterSettings(
        **{
            "host": "127.0.0.1",
            "port": 0,
            "workers": tuple(WorkerEndpoint(address=workers.address(n)) for n in workers.services),
            "redis_url": redis_url,
            **overrides,
        }
    )
    with running_router(loop, settings) as router:
        yield f"127.0.0.1:{router.service.port}"


def run_job(address: str, inputs: list[Path], out: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """`duta batch translate` in this process; returns (exit status, JSON report)."""
    argv = ["batch", "translate", *map(str, inputs), "--from", "en", "--to", "ja"]
    argv += ["--out", str(out), "--router", address, "--progress", "none", *extra]
    status = main(argv)
    reports = sorted((out / ".duta-batch").glob("report*.json"))
    return status, json.loads(reports[-1].read_text()) if reports else {}


def job_process(address: str, inputs: list[Path], out: Path, *extra: str) -> subprocess.Popen:
    """`duta batch translate` as its own process (to be killed)."""
    argv = [sys.executable, "-m", "duta", "batch", "translate", *map(str, inputs)]
    argv += ["--from", "en", "--to", "ja", "--out", str(out), "--router", address]
    argv += ["--progress", "log", *extra]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def tree(root: Path) -> dict[str, bytes]:
    """Every output file below `root` (the job's state directory aside) and its bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".duta-batch" not in p.relative_to(root).parts
    }
