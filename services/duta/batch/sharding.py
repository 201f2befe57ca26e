"""Deterministic sharding for Kubernetes Indexed Jobs.

A file belongs to shard ``sha256(output path) mod count``: it depends on the file alone, so
every pod computes the same partition from its own listing and each file is translated by
exactly one shard. The index and count default to the environment of an Indexed Job:
``JOB_COMPLETION_INDEX`` (set by Kubernetes) and ``JOB_COMPLETIONS`` (set in the Job manifest to
its ``completions``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from duta.batch.inputs import InputFile

__all__ = ["INDEX_ENV", "COUNT_ENV", "Shard", "shard_from"]

INDEX_ENV = "JOB_COMPLETION_INDEX"
COUNT_ENV = "JOB_COMPLETIONS"


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (0-based)."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"shard count must be at least 1, got {self.count}")
        if not 0 <= self.index < self.count:
            raise ValueError(f"shard index must be in 0–{self.count - 1}, got {self.index}")

    def owns(self, relative: str) -> bool:
        """Whether this shard translates the file with this output path."""
        digest = hashlib.sha256(relative.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index

    def select(self, files: Sequence[InputFile]) -> list[InputFile]:
        """The files of this shard, in order."""
        return [f for f in files if self.owns(f.relative)]

    @property
    def label(self) -> str:
        """`3-of-8`, or empty for an unsharded job."""
        return f"{self.index}-of-{self.count}" if self.count > 1 else ""


def shard_from(
    index: int | None, count: int | None, environ: Mapping[str, str] | None = None
) -> Shard:
    """The shard from explicit values, else the Indexed Job's environment, else 0 of 1."""
    env = os.environ if environ is None else environ
    try:
        if index is None:
            index = int(env.get(INDEX_ENV, "0"))
        if count is None:
            count = int(env.get(COUNT_ENV, "1"))
    except ValueError:
        raise ValueError(f"{INDEX_ENV} and {COUNT_ENV} must be whole numbers") from None
    return Shard(index, count)
