"""Router settings (environment prefix DUTA_ROUTER_; the Redis URL also as DUTA_REDIS_URL).

The routes file given with `--config` is a YAML file of these same fields; typically:

    workers:
      - address: dns:///worker-zh-en:50052         # a headless Service: every replica
      - addresses: [10.0.0.5:50052, 10.0.0.6:50052]  # or the replicas listed
    redis_url: redis://127.0.0.1:6379/0

SIGHUP re-reads the routes file (pools added and removed) and the API-key file.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from duta.common.settings import ServiceSettings
from duta.langid.codes import InvalidLanguageCode, canonicalize

# Languages with no model of their own, read as a close relative that has one (said out loud in
# the answer: `source_language` is the relative, `detected_language` the language itself).
DEFAULT_FALLBACKS: dict[str, str] = {
    "yue": "zh-Hant",
    "yue-Hant": "zh-Hant",
    "yue-Hans": "zh-Hans",
    "wuu": "zh-Hans",
    "ms": "id",
    "jv": "id",
    "su": "id",
    "ceb": "fil",
    "mr": "hi",
    "ne": "hi",
}


class WorkerEndpoint(BaseModel, frozen=True):
    """A worker pool: the replicas of one model.

    Either one `address` (`host:port`, or `dns:///name:port` for a headless Service whose name
    resolves to every replica) or several `addresses` (IP:port each) of the same model.
    """

    address: str = ""
    addresses: tuple[str, ...] = ()
    name: str = ""

    @model_validator(mode="after")
    def _one_target(self) -> WorkerEndpoint:
        if bool(self.address) == bool(self.addresses):
            raise ValueError("a worker pool needs `address` or `addresses` (one of them)")
        return self

    @property
    def label(self) -> str:
        """How logs and errors name the pool before it has answered."""
        return self.name or self.address or ",".join(self.addresses)


class RouterSettings(ServiceSettings):
    """Everything the router needs; `duta up` needs none of it set."""

    model_config = SettingsConfigDict(env_prefix="DUTA_ROUTER_", frozen=True, extra="forbid")

    port: int = 50051
    workers: tuple[WorkerEndpoint, ...] = ()
    redis_url: str | None = Field(
        None,
        validation_alias=AliasChoices("DUTA_REDIS_URL", "DUTA_ROUTER_REDIS_URL", "redis_url"),
        description="redis:// or rediss:// (TLS), with a password as redis://:PASSWORD@host.",
    )
    redis_ca_file: Path | None = Field(
        None, description="CA of a rediss:// (TLS) server's certificate, when not a public one."
    )
    cache_entries: int = Field(100_000, ge=0, description="In-process LRU size (L1); 0: off.")
    cache_ttl_seconds: int = Field(30 * 24 * 3600, ge=1)
    redis_retry_seconds: float = Field(
        2.0, gt=0, description="After a Redis error, how long the cache is skipped (breaker)."
    )
    pivot_language: str = "en"
    escalation_threshold: float = Field(
        0.0, ge=0, le=1, description="Escalate below this per-token probability; 0 disables."
    )
    fallback_languages: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_FALLBACKS),
        description="language → close relative whose model serves it when it has none.",
    )
    max_texts: int = Field(512, ge=1, description="Texts per Translate call.")
    max_text_chars: int = Field(20_000, ge=1, description="Characters per text.")
    max_request_chars: int = Field(500_000, ge=1, description="Characters per call, all texts.")
    stream_max_text_chars: int = Field(
        200_000, ge=1, description="Characters per text in a TranslateStream message (bulk)."
    )
    stream_window: int = Field(
        8, ge=1, description="Stream messages in progress or answered-but-unread per stream."
    )
    worker_timeout_seconds: float = Field(60.0, gt=0)
    per_try_timeout_seconds: float = Field(
        15.0, gt=0, description="A worker attempt with no answer by then is retried elsewhere."
    )
    merge_worker_calls: bool = Field(
        False,
        description="Opt-in: concurrent calls of different requests to one pool (same "
        "languages and beam) go out as one worker call while the pool has its share of calls "
        "in flight. Off by default: measured side by side it did not beat unmerged calls on a "
        "tiny model and cost an opus-mt-sized worker 25 % more CPU (bench/README-router.md).",
    )
    worker_calls_per_replica: int = Field(
        4,
        ge=1,
        description="Worker calls in flight per pool replica before further calls wait to be "
        "merged into the next one (with `merge_worker_calls`).",
    )
    merge_max_sentence_ms: float = Field(
        20.0,
        gt=0,
        description="Calls are merged only while the pool's recent calls took less than this "
        "per sentence in flight (a cheap model, where each call's fixed cost shows); a slower "
        "model's worker batches best every call at once.",
    )
    max_concurrent_requests: int = Field(
        256,
        ge=1,
        description="Translate calls and stream messages in progress; beyond: RESOURCE_EXHAUSTED.",
    )
    worker_refresh_seconds: float = Field(
        10.0, gt=0, description="How often worker Info is polled (pools come and go by themselves)."
    )
    ready_timeout_seconds: float = Field(
        30.0,
        ge=0,
        description="NOT_SERVING until every pool has answered, or this long with at least one.",
    )
    detect_threads: int = Field(2, ge=1)
    detector_ngram: bool = Field(
        True, description="lingua n-gram models for close languages (≈ 200 MB, slower start)."
    )
    api_keys_file: Path | None = Field(
        None,
        description="One API key per line (a mounted Secret); callers must send "
        "`authorization: Bearer <key>`. Re-read on SIGHUP.",
    )
    worker_tls_ca_file: Path | None = Field(None, description="CA of the workers' certificates.")
    worker_tls_cert_file: Path | None = Field(None, description="Client certificate (mTLS).")
    worker_tls_key_file: Path | None = Field(None, description="Client key (mTLS).")
    worker_tls_server_name: str | None = Field(
        None, description="Name checked against the workers' certificates, when not the host."
    )

    @field_validator("fallback_languages")
    @classmethod
    def _known_languages(cls, table: dict[str, str]) -> dict[str, str]:
        """The close-language table in canonical codes (as requests and detections are), so
        `Yue` or `zh-yue` match; a code Duta does not know is refused at start, not ignored."""
        out: dict[str, str] = {}
        for code, relative in table.items():
            try:
                out[canonicalize(code)] = canonicalize(relative)
            except InvalidLanguageCode as exc:
                raise ValueError(f"fallback_languages {code!r} → {relative!r}: {exc}") from exc
        return out
