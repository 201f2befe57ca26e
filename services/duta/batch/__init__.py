"""Batch document translation: files in, files out, markup intact, resumable, shardable.

`duta batch translate` (see `cli`) discovers the inputs (`inputs`), keeps this shard's share
(`sharding`), skips what the manifest says is finished (`manifest`), and lets the runner
(`runner`) stream every file's segments (`formats`) to the router (`transport`), with progress
(`progress`) and a report (`report`).
"""

from __future__ import annotations

from duta.batch.formats import FORMATS, FormatError, format_for
from duta.batch.inputs import InputError, InputFile, discover
from duta.batch.manifest import Manifest, atomic_write
from duta.batch.options import BatchOptions
from duta.batch.progress import Progress
from duta.batch.report import FileResult, JobReport
from duta.batch.runner import BatchRunner
from duta.batch.sharding import Shard, shard_from
from duta.batch.transport import RetryPolicy, RouterTransport, TranslateFailed

__all__ = [
    "FORMATS",
    "BatchOptions",
    "BatchRunner",
    "FileResult",
    "FormatError",
    "InputError",
    "InputFile",
    "JobReport",
    "Manifest",
    "Progress",
    "RetryPolicy",
    "RouterTransport",
    "Shard",
    "TranslateFailed",
    "atomic_write",
    "discover",
    "format_for",
    "shard_from",
]
