"""Prometheus metrics of the router (served on `metrics_port` when set).

Per-RPC counts and latencies are recorded for every service by the common interceptor.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from duta.common.metrics import child as child  # metrics.child(METRIC, label…), re-exported

TEXTS = Counter(
    "duta_router_texts_total",
    "Texts answered, by route (FAILED: that text alone failed).",
    ["route"],
)
TRANSLATE_SECONDS = Histogram(
    "duta_router_translate_seconds",
    "Translate calls and stream messages, by route: CACHED when every text came from the cache,"
    " else the most involved route among their texts (FAILED: none was translated).",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SENTENCES = Counter(
    "duta_router_sentences_total", "Sentences per model hop, by cache result.", ["model", "cache"]
)
WORKER_ERRORS = Counter(
    "duta_router_worker_errors_total",
    "Failed worker calls, by model and status.",
    ["model", "code"],
)
DETECTIONS = Counter(
    "duta_router_detections_total", "Texts whose language was detected.", ["language"]
)
COALESCED = Counter(
    "duta_router_coalesced_sentences_total",
    "Sentences that waited for an identical one already sent to the same model.",
)
STREAM_PENDING = Gauge(
    "duta_router_stream_messages_pending",
    "TranslateStream messages in progress or answered and not yet taken by their caller.",
)
CALL_REQUESTS = Histogram(
    "duta_router_worker_call_requests",
    "Requests served by one worker Translate call (more than 1: concurrent calls merged).",
    ["model"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
MERGE_WAITING = Gauge(
    "duta_router_worker_calls_waiting",
    "Requests' worker calls waiting for a pool's calls in flight, to go out merged.",
)
SENTENCE_SECONDS = Gauge(
    "duta_router_worker_sentence_seconds",
    "Recent worker calls' seconds per sentence in flight (moving average), by model: worker "
    "calls are merged only below merge_max_sentence_ms.",
    ["model"],
)
