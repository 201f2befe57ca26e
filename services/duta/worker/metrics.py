"""Prometheus metrics of the worker (served on `metrics_port` by the process entry point).

Every metric carries the served model's id, so several workers in one process (tests) and
several pools behind one Prometheus stay apart.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
_RATIO_BUCKETS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)

REQUESTS = Counter(
    "duta_worker_requests_total", "Translate calls by outcome (gRPC status).", ["model", "code"]
)
SENTENCES = Counter("duta_worker_sentences_total", "Sentences translated.", ["model"])
TOKENS_IN = Counter("duta_worker_input_tokens_total", "Source tokens translated.", ["model"])
TOKENS_OUT = Counter("duta_worker_output_tokens_total", "Target tokens written.", ["model"])
DROPPED = Counter(
    "duta_worker_dropped_sentences_total",
    "Queued sentences dropped uncomputed (caller cancelled or deadline passed).",
    ["model", "reason"],
)
REJECTIONS = Counter(
    "duta_worker_rejections_total", "Calls refused before queueing.", ["model", "reason"]
)
BATCH_SENTENCES = Histogram(
    "duta_worker_batch_sentences", "Sentences per batch.", ["model"], buckets=_SIZE_BUCKETS
)
BATCH_PADDING = Histogram(
    "duta_worker_batch_padding_ratio",
    "Share of a batch's source token slots that are padding.",
    ["model"],
    buckets=_RATIO_BUCKETS,
)
QUEUE_SENTENCES = Gauge("duta_worker_queue_sentences", "Sentences waiting for a batch.", ["model"])
INFLIGHT_TOKENS = Gauge(
    "duta_worker_inflight_tokens", "Source tokens accepted and not yet finished.", ["model"]
)
LATENCY = Histogram(
    "duta_worker_request_seconds", "Translate call latency.", ["model"], buckets=_LATENCY_BUCKETS
)
BUSY_SECONDS = Counter(
    "duta_worker_replica_busy_seconds_total",
    "Seconds the Translator replicas spent computing batches, all replicas together "
    "(÷ replicas × wall time: how busy they were; the rest is idle between batches).",
    ["model"],
)
