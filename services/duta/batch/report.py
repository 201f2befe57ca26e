"""Per-file results and the job report: a summary table for people, JSON for machines."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["FileResult", "JobReport", "Status"]

Status = Literal["ok", "failed", "skipped", "unsupported"]


@dataclass
class FileResult:
    """What happened to one file. `error` never quotes the file's text."""

    relative: str
    status: Status
    format: str = ""
    segments: int = 0
    characters: int = 0
    sentences: int = 0
    cached_sentences: int = 0
    source_language: str = ""
    seconds: float = 0.0
    error: str = ""


@dataclass
class JobReport:
    """The outcome of a job (one shard)."""

    router: str
    target: str
    shard: str
    elapsed_seconds: float = 0.0
    retries: int = 0
    demo_output: bool = False
    files: list[FileResult] = field(default_factory=list)

    def count(self, status: Status) -> int:
        """How many files ended with `status`."""
        return sum(f.status == status for f in self.files)

    def total(self, name: str) -> int:
        """The sum of one numeric FileResult field over the translated files."""
        return sum(int(getattr(f, name)) for f in self.files if f.status == "ok")

    @property
    def cache_hit_rate(self) -> float:
        """Sentences answered from the router's cache / sentences translated."""
        sentences = self.total("sentences")
        return self.total("cached_sentences") / sentences if sentences else 0.0

    @property
    def segments_per_second(self) -> float:
        """Segments translated per second of the job."""
        return self.total("segments") / self.elapsed_seconds if self.elapsed_seconds else 0.0

    def to_dict(self) -> dict[str, object]:
        """The JSON report."""
        return {
            "router": self.router,
            "target_language": self.target,
            "shard": self.shard or "0-of-1",
            "files": {s: self.count(s) for s in ("ok", "failed", "skipped", "unsupported")},
            "segments": self.total("segments"),
            "characters": self.total("characters"),
            "sentences": self.total("sentences"),
            "cached_sentences": self.total("cached_sentences"),
            "cache_hit_rate": round(self.cache_hit_rate, 4),
            "segments_per_second": round(self.segments_per_second, 2),
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "retries": self.retries,
            "demo_output": self.demo_output,
            "errors": [
                {"file": f.relative, "error": f.error}
                for f in self.files
                if f.status in ("failed", "unsupported")
            ],
            "per_file": [asdict(f) for f in self.files],
        }

    def write(self, path: Path) -> None:
        """Writes the JSON report."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n")

    def summary(self) -> str:
        """A table of files by status, then the totals and the failures."""
        rows = [("status", "files", "segments", "characters")]
        for status in ("ok", "skipped", "failed", "unsupported"):
            chosen = [f for f in self.files if f.status == status]
            rows.append(
                (
                    status,
                    str(len(chosen)),
                    str(sum(f.segments for f in chosen)),
                    str(sum(f.characters for f in chosen)),
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
            for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append(
            f"{self.segments_per_second:.1f} segments/s, cache hit rate "
            f"{self.cache_hit_rate:.1%}, {self.retries} retries, {self.elapsed_seconds:.1f} s"
        )
        lines += [f"  {f.status}: {f.relative}: {f.error}" for f in self.files if f.error]
        if self.demo_output:
            lines.append("DEMO MODELS produced this output: random text, NOT a translation.")
        return "\n".join(lines)
