"""Router settings (environment prefix DUTA_ROUTER_; the Redis URL also as DUTA_REDIS_URL).

The routes file given with `--config` is a YAML file of these same fields; typically:

    workers:
      - address: 127.0.0.1:50061
      - address: worker-zh-en:50052
    redis_url: redis://127.0.0.1:6379/0
"""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkerEndpoint(BaseModel, frozen=True):
    """A worker pool: a gRPC address (a headless Service name resolves to every replica)."""

    address: str
    name: str = ""


class RouterSettings(BaseSettings):
    """Everything the router needs; `duta up` needs none of it set."""

    model_config = SettingsConfigDict(env_prefix="DUTA_ROUTER_", frozen=True, extra="forbid")

    host: str = "0.0.0.0"
    port: int = 50051
    metrics_port: int | None = Field(None, description="Prometheus HTTP port; None disables.")
    workers: tuple[WorkerEndpoint, ...] = ()
    redis_url: str | None = Field(
        None, validation_alias=AliasChoices("DUTA_REDIS_URL", "DUTA_ROUTER_REDIS_URL", "redis_url")
    )
    cache_entries: int = Field(100_000, ge=0, description="In-process LRU size (L1).")
    cache_ttl_seconds: int = Field(30 * 24 * 3600, ge=1)
    pivot_language: str = "en"
    escalation_threshold: float = Field(
        0.0, ge=0, le=1, description="Escalate below this per-token probability; 0 disables."
    )
    max_texts: int = Field(512, ge=1, description="Texts per Translate call.")
    max_text_chars: int = Field(20_000, ge=1, description="Characters per text.")
    max_request_chars: int = Field(500_000, ge=1, description="Characters per call, all texts.")
    worker_timeout_seconds: float = Field(60.0, gt=0)
    max_concurrent_requests: int = Field(
        256,
        ge=1,
        description="Translate calls and stream messages in progress; beyond: RESOURCE_EXHAUSTED.",
    )
    worker_refresh_seconds: float = Field(
        10.0, gt=0, description="How often worker Info is polled."
    )
    detect_threads: int = Field(2, ge=1)
    grace_seconds: float = Field(20.0, ge=0)
    log_level: str = "INFO"
