"""The settings of one batch job."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from duta.batch.sharding import Shard

__all__ = ["FORMAT_VERSION", "BatchOptions"]

# Bump when a format's output changes for the same input, so finished files are redone.
FORMAT_VERSION = 1


@dataclass(frozen=True)
class BatchOptions:
    """What a job translates and how.

    Attributes:
        target: target language (BCP-47).
        out: the output directory (the input tree is mirrored below it).
        source: source language; empty detects each file's language.
        fields: JSON/JSONL keys or paths to translate (all string values when empty).
        shard: which part of the inputs this process translates.
        max_in_flight: stream messages in flight to the router at once.
        files_in_flight: files read, translated and written at once.
        max_request_texts: segments per message.
        max_request_chars: characters per message (one longer segment goes alone).
        beam_size: beam for decoding; 0 uses the models' default.
        no_cache: bypass the router's cache (benchmarks).
        report: where the JSON report goes; default ``OUT/.duta-batch/report[-SHARD].json``.
    """

    target: str
    out: Path
    source: str = ""
    fields: tuple[str, ...] = ()
    shard: Shard = field(default_factory=Shard)
    max_in_flight: int = 32
    files_in_flight: int = 8
    max_request_texts: int = 32
    max_request_chars: int = 8000
    beam_size: int = 0
    no_cache: bool = False
    report: Path | None = None

    def settings_key(self) -> str:
        """A digest of everything that changes an output (recorded in the manifest)."""
        settings = [FORMAT_VERSION, self.target, self.source, sorted(self.fields), self.beam_size]
        return hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:16]

    @property
    def report_path(self) -> Path:
        """The JSON report's path."""
        if self.report is not None:
            return self.report
        suffix = f"-{self.shard.label}" if self.shard.label else ""
        return self.out / ".duta-batch" / f"report{suffix}.json"
