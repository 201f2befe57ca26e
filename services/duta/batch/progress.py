"""Progress: a tqdm bar on a terminal; plain periodic log lines elsewhere (Kubernetes logs)."""

from __future__ import annotations

import sys
import time
from typing import Literal, TextIO

from tqdm import tqdm

__all__ = ["Progress", "ProgressMode"]

ProgressMode = Literal["auto", "bar", "log", "none"]


class Progress:
    """Counts files, segments and characters; shows rate and ETA."""

    def __init__(
        self,
        total_files: int,
        mode: ProgressMode = "auto",
        stream: TextIO | None = None,
        interval: float = 10.0,
    ) -> None:
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if self.stream.isatty() else "log"
        self.mode = mode
        self.total = total_files
        self.files = self.segments = self.characters = 0
        self.interval = interval
        self.started = self._last_line = time.monotonic()
        self._bar = (
            tqdm(total=total_files, unit="file", file=self.stream, dynamic_ncols=True)
            if mode == "bar"
            else None
        )

    def add_segments(self, segments: int, characters: int) -> None:
        """Some segments came back from the router."""
        self.segments += segments
        self.characters += characters
        self._show()

    def file_done(self) -> None:
        """One file is finished (translated, skipped or failed)."""
        self.files += 1
        if self._bar is not None:
            self._bar.update(1)
        self._show()

    def close(self) -> None:
        """Ends the bar, or writes a last log line."""
        if self._bar is not None:
            self._show(force=True)
            self._bar.close()
        elif self.mode == "log":
            self._log()

    def _show(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._bar is not None:
            rate = self.segments / max(now - self.started, 1e-9)
            self._bar.set_postfix_str(f"{rate:.1f} seg/s, {self.characters:,} chars", refresh=force)
        elif self.mode == "log" and (force or now - self._last_line >= self.interval):
            self._log()

    def _log(self) -> None:
        now = time.monotonic()
        self._last_line = now
        elapsed = now - self.started
        rate = self.segments / elapsed if elapsed else 0.0
        eta = f"{(self.total - self.files) * elapsed / self.files:.0f}s" if self.files else "?"
        print(
            f"duta batch: {self.files}/{self.total} files, {self.segments} segments, "
            f"{self.characters} characters, {rate:.1f} segments/s, "
            f"elapsed {elapsed:.0f}s, eta {eta}",
            file=self.stream,
            flush=True,
        )
