"""Worker settings (environment prefix DUTA_WORKER_)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from duta.common.settings import ServiceSettings


def available_cores() -> int:
    """CPU cores this process may run on (the container's share, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class WorkerSettings(ServiceSettings):
    """Everything a worker process needs; every knob has a default except the model.

    Threads: CTranslate2 keeps `inter_threads` model replicas, each running one batch with
    `intra_threads` threads. The default, one replica per core with one thread each, fills the
    cores without oversubscribing them and is the fastest setting measured on CPU (MODELS.md).
    """

    model_config = SettingsConfigDict(env_prefix="DUTA_WORKER_", frozen=True, extra="forbid")

    model: Path = Field(Path("model"), description="Model directory to serve.")
    source: str | None = Field(
        None, description="Source language when the directory has no duta.json."
    )
    target: str | None = Field(
        None, description="Target language when the directory has no duta.json."
    )
    port: int = 50052
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto: CUDA when present.")
    compute_type: str = Field("auto", description="auto: int8 on CPU, int8_float16 on CUDA.")
    inter_threads: int = Field(default_factory=available_cores, ge=1, description="Replicas.")
    intra_threads: int = Field(1, ge=0, description="Threads per replica; 0: CTranslate2 picks.")
    beam_size: int = Field(2, ge=1, le=8, description="Default beam size.")
    max_input_tokens: int = Field(256, ge=1, description="Longest sentence, in source tokens.")
    max_sentences_per_call: int = Field(512, ge=1)
    # Dynamic batching.
    batching: bool = Field(True, description="Merge concurrent calls; off: one call at a time.")
    max_batch_tokens: int = Field(
        2048,
        ge=1,
        description="Budget of one batch in source tokens × beam size: what bounds a replica's "
        "working memory (≈ 85 kB per unit on an opus-mt-base model, 25 tokens in and out).",
    )
    max_wait_ms: float = Field(
        20.0,
        ge=0,
        description="How long a free replica may wait for its share of the work in flight.",
    )
    max_queue_tokens: int = Field(
        65536,
        ge=1,
        description="Source tokens accepted and unfinished; beyond: RESOURCE_EXHAUSTED.",
    )
    # Memory (duta.worker.memory).
    malloc_arena_max: int = Field(
        2, ge=0, description="glibc malloc arenas (CPU); 0: glibc's default (8 per core)."
    )
    release_memory_when_idle: bool = Field(
        True, description="Give freed memory back to the system whenever the worker idles."
    )
    cuda_cache_mb: int = Field(
        200, ge=0, description="Device memory CTranslate2's CUDA caching allocator may keep."
    )
    # Run-away guards.
    decoding_ratio: float = Field(
        1.5, gt=0, description="max output tokens ≈ ratio × input + extra"
    )
    decoding_extra: int = Field(10, ge=0)
    max_decoding_length: int = Field(512, ge=1, description="Absolute cap on output tokens.")
    no_repeat_ngram_size: int = Field(0, ge=0, description="Forbid repeating n-grams; 0: off.")
    repetition_penalty: float = Field(1.0, gt=0, description="> 1 penalises repeated tokens.")

    def replicas(self, device: str) -> int:
        """CTranslate2 replicas (batches run at once) on the resolved `device`.

        `inter_threads`, except on CUDA when it was not set explicitly: one there, since
        replicas on one GPU share its weights and compete for the same device, and bigger
        batches, not more of them, are what pays on a GPU.
        """
        if device == "cuda" and "inter_threads" not in self.model_fields_set:
            return 1
        return self.inter_threads
