"""Where a process's CPU goes (bench helper): per thread, and inside Python with py-spy.

`thread_cpu(pid)` snapshots every thread's CPU time from /proc; the difference of two
snapshots over a phase gives the cores each thread kept busy. CTranslate2 computes on threads
of its own (C++ threads, invisible to py-spy), one per replica: their cores over the replicas
is how busy the replicas were, whatever the wall clock did.

`Profiler(pid, path)` records `py-spy record --native` collapsed stacks of the Python threads
while it is open; `summarise(path, seconds, rate)` turns them into cores used per category:
the Python threads' wait in `translate_batch`, SentencePiece, gRPC and protobuf, the batcher,
asyncio, the rest of Python. Only active samples are recorded (no `--idle`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

RATE = 50  # samples per second (py-spy pauses the process for each: keep it light)

# First match wins, from the innermost frame outwards.
_CATEGORIES = (
    ("ctranslate2", re.compile(r"translate_batch|ctranslate2", re.I)),
    ("sentencepiece", re.compile(r"sentencepiece|EncodeAsPieces|DecodePieces|_sp_|spm", re.I)),
    ("batcher", re.compile(r"duta/worker/(batcher|schedule)|batcher\.py|schedule\.py")),
    ("grpc+protobuf", re.compile(r"grpc|protobuf|_pb2|upb", re.I)),
    ("asyncio", re.compile(r"asyncio|selectors|epoll")),
)


def available() -> bool:
    """py-spy is installed next to this interpreter (or on PATH)."""
    return _binary() is not None


def _binary() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


class Profiler:
    """py-spy recording `pid` into `path` until `stop()`."""

    def __init__(self, pid: int, path: Path) -> None:
        binary = _binary()
        if binary is None:
            raise RuntimeError("py-spy is not installed: pip install py-spy")
        self.path = path
        cmd = [binary, "record", "--native", "--format", "raw"]
        cmd += ["--rate", str(RATE), "--pid", str(pid), "--output", str(path)]
        self.process = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )

    def stop(self) -> None:
        """Stops recording (SIGINT: py-spy writes its output then exits)."""
        self.process.send_signal(subprocess.signal.SIGINT)  # type: ignore[attr-defined]
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def summarise(path: Path, seconds: float, rate: int = RATE) -> dict[str, float]:
    """Cores used per category over `seconds` (samples ÷ rate ÷ seconds)."""
    counts: Counter[str] = Counter()
    if not path.exists():
        return {}
    for line in path.read_text(errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        counts[_category(stack)] += int(number)
    return {name: count / rate / seconds for name, count in counts.most_common()}


_WAITING = re.compile(
    r"acquire_lock|cond_wait|cond_timedwait|SimpleQueue_get|epoll_wait|futex|__poll|select\b"
)


def _category(stack: str) -> str:
    frames = stack.split(";")
    if any(_WAITING.search(frame) for frame in frames[-4:]):
        return "waiting"  # a blocked thread py-spy still counted as active
    for frame in reversed(frames):
        for name, pattern in _CATEGORIES:
            if pattern.search(frame):
                return name
    return "other python"


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of each thread of `pid`, by thread id."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def busiest(before: dict[int, float], after: dict[int, float], seconds: float) -> list[float]:
    """Cores each thread kept busy between two `thread_cpu` snapshots, busiest first."""
    cores = [(after[tid] - before.get(tid, 0.0)) / seconds for tid in after]
    return sorted((c for c in cores if c >= 0.005), reverse=True)


def describe(cores: dict[str, float]) -> str:
    """One line: `ctranslate2 1.82 cores, grpc+protobuf 0.05, …`."""
    if not cores:
        return "no samples"
    parts = [f"{name} {value:.2f}" for name, value in cores.items() if name != "waiting"]
    return "cores busy: " + ", ".join(parts)
