"""Worker settings (environment prefix DUTA_WORKER_)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_threads() -> int:
    return max(1, os.cpu_count() or 1)


class WorkerSettings(BaseSettings):
    """Everything a worker process needs; every knob has a default except the model."""

    model_config = SettingsConfigDict(env_prefix="DUTA_WORKER_", frozen=True, extra="forbid")

    model: Path = Field(Path("model"), description="Model directory to serve.")
    source: str | None = Field(None, description="Source language when the directory has no duta.json.")
    target: str | None = Field(None, description="Target language when the directory has no duta.json.")
    host: str = "0.0.0.0"
    port: int = 50052
    metrics_port: int | None = Field(None, description="Prometheus HTTP port; None disables.")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    compute_type: str = Field("auto", description="auto: int8 on CPU, int8_float16 on CUDA.")
    inter_threads: int = Field(default_factory=_default_threads, ge=1)
    intra_threads: int = Field(1, ge=0)
    beam_size: int = Field(2, ge=1, le=8)
    max_input_tokens: int = Field(256, ge=1)
    max_sentences_per_call: int = Field(512, ge=1)
    max_batch_tokens: int = Field(4096, ge=1)
    decoding_ratio: float = Field(1.5, gt=0, description="max output tokens ≈ ratio × input + extra")
    decoding_extra: int = Field(10, ge=0)
    max_decoding_length: int = Field(512, ge=1)
    no_repeat_ngram_size: int = Field(0, ge=0)
    repetition_penalty: float = Field(1.0, gt=0)
    grace_seconds: float = Field(20.0, ge=0)
    log_level: str = "INFO"
