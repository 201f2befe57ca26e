"""The job manifest: which outputs are finished, for which input and settings; atomic writes.

The manifest lives in ``OUT/.duta-batch/``, one append-only JSON Lines file per shard (so the
pods of an Indexed Job never write the same file). A line is appended, and flushed to disk,
only after its output file has been renamed into place; a re-run skips a file whose input
hash and settings match a line and whose output is still the one written, and redoes the rest.
Outputs are written to a temporary file in ``OUT/.duta-batch/tmp/`` and renamed into place,
so the output tree never holds a partial file, even after a SIGKILL; the next run removes the
temporary files a killed run left there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = [
    "STATE_DIR",
    "TEMP_MARK",
    "Entry",
    "Manifest",
    "atomic_write",
    "remove_leftovers",
    "sha256",
    "temp_dir",
]

STATE_DIR = ".duta-batch"
_MODE = 0o666 & ~os.umask(os.umask(0o022))  # new files get the usual permissions
TEMP_MARK = ".duta-tmp-"


def sha256(data: bytes) -> str:
    """Hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One finished file."""

    relative: str
    input_sha256: str
    settings: str
    output_sha256: str
    segments: int
    characters: int


class Manifest:
    """The finished files of every shard of a job writing to `out`."""

    def __init__(self, out: Path, shard_label: str = "") -> None:
        self.dir = out / STATE_DIR
        self.path = self.dir / (
            f"manifest-{shard_label}.jsonl" if shard_label else "manifest.jsonl"
        )
        self.entries: dict[str, Entry] = {}
        self._lock = threading.Lock()  # files finish in worker threads
        for file in sorted(self.dir.glob("manifest*.jsonl")):
            for line in file.read_text(encoding="utf-8").splitlines():
                with contextlib.suppress(ValueError, TypeError):  # a line cut by a kill
                    entry = Entry(**json.loads(line))
                    self.entries[entry.relative] = entry

    def finished(self, relative: str, input_sha256: str, settings: str, output: Path) -> bool:
        """True when `relative` was finished for this input and settings and is intact."""
        entry = self.entries.get(relative)
        if entry is None or (entry.input_sha256, entry.settings) != (input_sha256, settings):
            return False
        try:
            return sha256(output.read_bytes()) == entry.output_sha256
        except OSError:
            return False

    def record(self, entry: Entry) -> None:
        """Appends a finished file (call after its output is in place)."""
        line = json.dumps(asdict(entry), ensure_ascii=False) + "\n"
        with self._lock:
            self.dir.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            self.entries[entry.relative] = entry


def temp_dir(out: Path) -> Path:
    """Where a job writing to `out` keeps its outputs until they are whole."""
    return out / STATE_DIR / "tmp"


def atomic_write(path: Path, data: bytes, owner: str = "job", temp: Path | None = None) -> None:
    """Writes `data` to `path` through a temporary file (named after `owner`) and a rename.

    The temporary file is made in `temp` (the output's own directory when None); `temp` must
    be on the output's file system, as a rename across file systems fails.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    directory = path.parent if temp is None else temp
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}{TEMP_MARK}{owner}-", dir=directory)
    try:
        os.fchmod(fd, _MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def remove_leftovers(out: Path, owner: str = "job") -> int:
    """Deletes the temporary files a killed run of `owner` left behind; returns how many.

    Only `owner`'s: the other shards of an Indexed Job may be writing theirs right now.
    """
    count = 0
    for leftover in temp_dir(out).glob(f".*{TEMP_MARK}{owner}-*"):
        with contextlib.suppress(OSError):
            leftover.unlink()
            count += 1
    return count
